"""Plain ``def`` handlers in worker threads, at most ``max_threads`` at once.

A thread cannot be stopped from outside: on cancellation (job timeout, shutdown) we stop
waiting and discard its result; the thread runs on until the handler returns.
"""

from __future__ import annotations

import anyio
import anyio.to_thread

from .._context import JobContext
from .._outcome import Outcome
from .._task import Invocation


class ThreadStrategy:
    def __init__(self, max_threads: int) -> None:
        self._limiter = anyio.CapacityLimiter(max_threads)

    async def run(self, invocation: Invocation, ctx: JobContext) -> Outcome:
        return await anyio.to_thread.run_sync(
            invocation.run_sync, ctx, limiter=self._limiter, abandon_on_cancel=True
        )

    async def aclose(self) -> None:
        return None
