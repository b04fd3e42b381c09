"""The strategy interface: run one handler call for one job and say how it came out."""

from __future__ import annotations

from typing import Protocol

from .._context import JobContext
from .._outcome import Outcome
from .._task import Invocation


class ExecutionStrategy(Protocol):
    """Runs handlers; cancelling ``run`` stops waiting for (and, where possible, the) handler."""

    async def run(self, invocation: Invocation, ctx: JobContext) -> Outcome: ...

    async def aclose(self) -> None: ...
