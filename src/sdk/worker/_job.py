"""One activated job, start to end: run the handler under its lease, report, or hand back.

The handler runs inside a cancel scope whose deadline is the job's lease; a ``LeaseKeeper``
beside it extends the lease and moves that deadline. How the run ends decides what is sent:

handler returned or raised               -> report the outcome (complete / fail / error)
ran past ``max_run_time_ms``             -> fail (retries - 1), saying so
lease ended (extension off or failing)   -> nothing: the server hands the job out again
job no longer ours (404/409 on extend)   -> nothing: someone else owns it now
worker cancelled (shutdown)              -> hand back: fail with retries unchanged, no back-off
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from functools import partial
from typing import Any

import anyio

from .._logging import Log
from ..client import AsyncClient
from ..models import ActivatedJob
from ._batcher import ReportBatcher
from ._context import JobContext
from ._lease import LeaseKeeper
from ._metrics import WorkerMetrics
from ._middleware import chain
from ._outcome import Complete, Fail, Outcome, ThrowError
from ._reporter import Reporter
from ._strategies import ExecutionStrategy
from ._task import TaskSpec
from ._tracing import JobTracing

HAND_BACK_TIMEOUT_S = 5.0


class JobRunner:
    """Runs the jobs of one ``TaskSpec`` (shared by all of that type's concurrent jobs)."""

    def __init__(
        self,
        task: TaskSpec,
        strategy: ExecutionStrategy,
        client: AsyncClient,
        worker_name: str,
        log: Log,
        metrics: WorkerMetrics,
        *,
        batcher: ReportBatcher | None = None,
        state: Mapping[str, Any] | None = None,
        tracing: JobTracing | None = None,
    ) -> None:
        self.task = task
        self._strategy = strategy
        self._state = state
        self._chain = (
            chain(task.middleware, partial(strategy.run, task.invocation))
            if task.middleware
            else None
        )
        """The task's middleware around the strategy; ``None``: call the strategy directly."""
        self._worker_name = worker_name
        self._log = log
        self._metrics = metrics
        job_type = task.job_type
        self._in_flight = metrics.in_flight.labels(job_type)
        self._duration = metrics.duration.labels(job_type)
        self._counters = {
            Complete: metrics.completed.labels(job_type),
            Fail: metrics.failed.labels(job_type),
            ThrowError: metrics.errored.labels(job_type),
        }
        self._tracing = tracing
        self._reporter = (
            Reporter(client, task, batcher)
            if tracing is None
            else tracing.reporter(client, task, batcher)
        )
        self.keeper: LeaseKeeper | None = None
        """Extends leases; ``None`` when the task's extension is off. Its ``run`` is the
        poller's to start."""
        if task.lease_extension.enabled:
            self.keeper = LeaseKeeper(
                client,
                task.timeout_ms,
                task.lease_extension,
                log,
                on_extended=metrics.lease_extensions.labels(task.job_type).inc,
            )

    async def run(self, job: ActivatedJob) -> None:
        if self._tracing is None or not self._tracing.traces(job):
            await self._run(job)
        else:
            await self._tracing.run(job, self._run)

    async def _run(self, job: ActivatedJob) -> None:
        log = self._log.bind(job_key=job.job_key)
        job_type = self.task.job_type
        in_flight = self._in_flight
        in_flight.inc()
        started = time.perf_counter()
        try:
            result = await self._run_handler(job, log)
            if result is None:
                return
            outcome, deadline_ms = result
            self._duration.observe(time.perf_counter() - started)
            if deadline_ms != job.deadline:  # extended: the report may retry until the new one
                job = job.model_copy(update={"deadline": deadline_ms})
            with anyio.CancelScope(shield=True):
                reported = await self._reporter.report(job, outcome, log)
            if reported:
                self._counters[type(outcome)].inc()
                _log_outcome(log, job, outcome, time.perf_counter() - started)
            else:
                self._metrics.abandoned.labels(job_type, "not_reported").inc()
        except anyio.get_cancelled_exc_class():
            with anyio.CancelScope(shield=True), anyio.move_on_after(HAND_BACK_TIMEOUT_S):
                await self._reporter.hand_back(job, log)
                log.warning("↩ {} {} handed back unfinished", job.type, job.job_key)
            self._metrics.abandoned.labels(job_type, "handed_back").inc()
            raise
        finally:
            in_flight.dec()

    async def _run_handler(self, job: ActivatedJob, log: Log) -> tuple[Outcome, int] | None:
        """The outcome and the job's deadline (epoch ms), or ``None`` if nothing is to be sent."""
        ctx = JobContext.of(job, self._worker_name, self._state)
        keeper, lease = self.keeper, None
        lease_s = self.task.timeout_ms / 1000
        max_run_ms = self.task.lease_extension.max_run_time_ms
        with anyio.move_on_after(math.inf if max_run_ms is None else max_run_ms / 1000):
            with anyio.CancelScope(deadline=anyio.current_time() + lease_s) as lease_scope:
                if keeper is not None:
                    lease = keeper.track(job, lease_scope)
                try:
                    if self._chain is None:
                        outcome = await self._strategy.run(self.task.invocation, ctx)
                    else:
                        outcome = await self._chain(ctx)
                finally:
                    if keeper is not None and lease is not None:
                        keeper.release(lease)
                return outcome, job.deadline if lease is None else lease.deadline_ms
            if lease is not None and lease.lost:
                self._metrics.abandoned.labels(self.task.job_type, "lost").inc()
                return None
            self._metrics.abandoned.labels(self.task.job_type, "timeout").inc()
            log.warning(
                "✗ {} {} timed out: its lease of {} ms ended; the server will hand it out again",
                job.type,
                job.job_key,
                self.task.timeout_ms,
            )
            return None
        # only the max-run-time scope is left to have ended the handler
        message = (
            f"handler still running after max_run_time_ms={max_run_ms};"
            " stopped (LeaseExtension.max_run_time_ms bounds handlers whose lease is extended)"
        )
        return Fail(message), job.deadline if lease is None else lease.deadline_ms


def _log_outcome(log: Log, job: ActivatedJob, outcome: Outcome, elapsed_s: float) -> None:
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
            max(job.retries - 1, 0) if outcome.retries is None else outcome.retries,
            first_line,
        )
    else:
        log.info("⚑ {} {} threw error {} in {}", job.type, job.job_key, outcome.code, took)
