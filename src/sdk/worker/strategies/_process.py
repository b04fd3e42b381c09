"""CPU-bound ``def`` handlers in child processes (our ``ProcessPool``, see ``_pool``).

Cancelling a call kills its child. A child that dies mid-job (a crash, ``os._exit``) fails
that job with a clear message; the pool starts a fresh child for the next one.
``max_jobs_per_child`` replaces a child after that many jobs.
"""

from __future__ import annotations

from .._context import JobContext
from .._outcome import Outcome
from .._task import Invocation
from ._pool import ProcessPool


class ProcessStrategy:
    def __init__(self, max_processes: int, max_jobs_per_child: int | None = None) -> None:
        self._pool = ProcessPool(max_processes, max_jobs_per_child)

    async def run(self, invocation: Invocation, ctx: JobContext) -> Outcome:
        return await self._pool.run(invocation, ctx)

    async def aclose(self) -> None:
        await self._pool.aclose()
