"""Plain ``def`` handlers called on the event loop itself: for tests of tiny handlers only.

Like ``httpx.MockTransport``, it removes threads from a test's moving parts; a handler that
blocks here blocks the whole worker.
"""

from __future__ import annotations

from .._context import JobContext
from .._outcome import Outcome
from .._task import Invocation


class InlineStrategy:
    async def run(self, invocation: Invocation, ctx: JobContext) -> Outcome:
        return invocation.run_sync(ctx)

    async def aclose(self) -> None:
        return None
