"""``async def`` handlers on the event loop; cancellation reaches the handler itself."""

from __future__ import annotations

from .._context import JobContext
from .._outcome import Outcome
from .._task import Invocation


class AsyncStrategy:
    async def run(self, invocation: Invocation, ctx: JobContext) -> Outcome:
        return await invocation.run_async(ctx)

    async def aclose(self) -> None:
        return None
