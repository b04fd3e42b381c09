"""CPU-bound ``def`` handlers in child processes (anyio's reusable process pool).

Cancelling a call terminates its child. A child that dies mid-job (a crash, ``os._exit``)
fails that job with a clear message; the pool starts a fresh child for the next one.
"""

from __future__ import annotations

import anyio
import anyio.to_process
from anyio import BrokenWorkerProcess

from .._context import JobContext
from .._outcome import Fail, Outcome
from .._task import Invocation


class ProcessStrategy:
    def __init__(self, max_processes: int) -> None:
        self._limiter = anyio.CapacityLimiter(max_processes)

    async def run(self, invocation: Invocation, ctx: JobContext) -> Outcome:
        try:
            return await anyio.to_process.run_sync(
                invocation.run_sync, ctx, cancellable=True, limiter=self._limiter
            )
        except BrokenWorkerProcess as exc:
            return Fail(f"the child process running the handler died: {exc}")

    async def aclose(self) -> None:
        return None
