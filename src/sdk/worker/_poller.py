"""One job type's loop: long-poll for as many jobs as there are free slots, run, report.

Never holds more jobs than ``max_jobs``; polls again at once after a batch and as soon as a
slot frees; backs off with jitter only when the server fails.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import anyio
from loguru import logger

from ..client import AsyncClient
from ..errors import BackpressureError, SdkError
from ..models import ActivatedJob
from ._backoff import Backoff
from ._context import JobContext
from ._outcome import Complete, Fail, Outcome
from ._reporter import Reporter
from ._strategies import ExecutionStrategy, strategy_for
from ._task import TaskSpec

if TYPE_CHECKING:
    from loguru import Logger

HAND_BACK_TIMEOUT_S = 5.0


class JobPoller:
    """Runs one ``TaskSpec``: its poll loop and the jobs it activated.

    Lifecycle: ``run()`` until ``stop()`` (stop activating, let running jobs finish) or
    cancellation (running jobs are handed back to the server before ``run`` returns).
    """

    def __init__(self, task: TaskSpec, client: AsyncClient, worker_name: str) -> None:
        self.task = task
        self._client = client
        self._worker_name = worker_name
        self._strategy: ExecutionStrategy = strategy_for(task)
        self._reporter = Reporter(client, task)
        self._log = logger.bind(job_type=task.job_type, worker=worker_name)
        self._in_flight = 0
        self._slot_freed = anyio.Event()
        self._stopping = anyio.Event()
        self._poll_scope: anyio.CancelScope | None = None
        self._backoff = Backoff()

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def stop(self) -> None:
        """Stop activating (an activation in flight is abandoned); running jobs go on."""
        self._stopping.set()
        self._slot_freed.set()
        if self._poll_scope is not None:
            self._poll_scope.cancel()

    async def run(self) -> None:
        self._log.info(
            "polling {!r} with {} ({} slots, {} strategy)",
            self.task.job_type,
            self.task.name,
            self.task.max_jobs,
            self.task.strategy.value,
        )
        try:
            async with anyio.create_task_group() as jobs:
                while not self._stopping.is_set():
                    await self._wait_for_slot()
                    for job in await self._poll():
                        self._in_flight += 1
                        jobs.start_soon(self._run_job, job)
        finally:
            with anyio.CancelScope(shield=True):
                await self._strategy.aclose()

    async def _wait_for_slot(self) -> None:
        while self._in_flight >= self.task.max_jobs and not self._stopping.is_set():
            await self._slot_freed.wait()

    def _free_slot(self) -> None:
        self._in_flight -= 1
        self._slot_freed.set()
        self._slot_freed = anyio.Event()

    async def _poll(self) -> list[ActivatedJob]:
        free = self.task.max_jobs - self._in_flight
        if free <= 0 or self._stopping.is_set():
            return []
        with anyio.CancelScope() as self._poll_scope:
            try:
                jobs = await self._client.activate_jobs(
                    self.task.job_type,
                    max_jobs=free,
                    timeout_ms=self.task.timeout_ms,
                    worker=self._worker_name,
                    request_timeout_ms=self.task.request_timeout_ms,
                    fetch_variables=self.task.fetch_variables,
                )
            except (SdkError, ValueError) as exc:  # never let one bad answer end the loop
                await self._back_off(exc)
                return []
        if self._poll_scope.cancelled_caught:
            return []
        if self._backoff.failing:
            self._log.info("poll recovered after {} failed attempt(s)", self._backoff.attempt)
            self._backoff.reset()
        return jobs[:free]

    async def _back_off(self, exc: Exception) -> None:
        if not self._backoff.failing:
            kind = "server busy" if isinstance(exc, BackpressureError) else "poll failed"
            self._log.error("{}: {}; retrying with back-off", kind, exc)
        delay = self._backoff.next_delay_s()
        self._log.debug("poll attempt {} failed; next in {:.2f}s", self._backoff.attempt, delay)
        await anyio.sleep(delay)

    async def _run_job(self, job: ActivatedJob) -> None:
        log = self._log.bind(job_key=job.job_key)
        ctx = JobContext.of(job, self._worker_name)
        started = time.perf_counter()
        try:
            with anyio.move_on_after(self.task.timeout_ms / 1000) as timer:
                outcome = await self._strategy.run(self.task.invocation, ctx)
            if timer.cancelled_caught:
                log.warning(
                    "✗ {} {} timed out after {:.0f} ms; the server will hand it out again",
                    job.type,
                    job.job_key,
                    self.task.timeout_ms,
                )
                return
            with anyio.CancelScope(shield=True):
                if await self._reporter.report(job, outcome, log):
                    _log_outcome(log, job, outcome, time.perf_counter() - started)
        except anyio.get_cancelled_exc_class():
            with anyio.CancelScope(shield=True), anyio.move_on_after(HAND_BACK_TIMEOUT_S):
                await self._reporter.hand_back(job, log)
                log.warning("↩ {} {} handed back unfinished", job.type, job.job_key)
            raise
        finally:
            self._free_slot()


def _log_outcome(log: Logger, job: ActivatedJob, outcome: Outcome, elapsed_s: float) -> None:
    took = f"{elapsed_s * 1000:.0f}ms"
    if isinstance(outcome, Complete):
        log.info("✓ {} {} completed in {}", job.type, job.job_key, took)
    elif isinstance(outcome, Fail):
        first_line = outcome.message.splitlines()[0] if outcome.message else ""
        log.warning(
            "✗ {} {} failed in {} ({} retries left): {}",
            job.type,
            job.job_key,
            took,
            max(job.retries - 1, 0),
            first_line,
        )
    else:
        log.info("⚑ {} {} threw error {} in {}", job.type, job.job_key, outcome.code, took)
