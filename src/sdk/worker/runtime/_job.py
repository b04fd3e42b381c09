"""One activated job, start to end: run the handler under its lease, then report, or hand back.

The handler runs in a cancel scope of its own that the job type's ``LeaseKeeper`` cancels
when the lease ends, the job is lost or ``max_run_time_ms`` passed; the keeper extends the
lease meanwhile. How the run ends decides what is sent:

handler returned or raised               -> report the outcome (complete / fail / error)
ran past ``max_run_time_ms``             -> fail (retries - 1), saying so
lease ended (extension off or failing)   -> nothing: the server hands the job out again
job no longer ours (404/409 on extend)   -> nothing: cancelled, or someone else owns it now
worker cancelled (shutdown)              -> hand back: fail with retries unchanged, no back-off

The slot is free as soon as the handler returned: the report goes out from the worker's
``Reporter`` while the next job runs, and comes back to ``reported``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import partial

import anyio

from ..._logging import Log
from ...models import ActivatedJob
from .._context import JobContext
from .._middleware import chain
from .._options import Strategy
from .._outcome import Complete, Fail, Outcome, ThrowError
from .._task import TaskSpec, invocation_of
from ..observe import JobTrace
from ..strategies import ExecutionStrategy
from ._lease import Lease, LeaseKeeper, Stop
from ._pending import PendingReport
from ._runtime import Runtime

HAND_BACK_TIMEOUT_S = 5.0


class JobRunner:
    """Runs the jobs of one ``TaskSpec`` (shared by all of that type's concurrent jobs).

    ``in_flight`` counts handlers admitted and not yet returned (the poller counts a job in
    before its task starts); ``unreported`` counts returned handlers whose report the server
    has not answered yet. ``on_freed`` is called whenever either drops.
    """

    def __init__(
        self,
        task: TaskSpec,
        strategy: ExecutionStrategy,
        runtime: Runtime,
        *,
        log: Log,
        keeper: LeaseKeeper,
        on_freed: Callable[[], None],
    ) -> None:
        self.task = task
        self.in_flight = 0
        self.unreported = 0
        self._strategy = strategy
        self._state = runtime.state
        self._chain = (
            chain(task.middleware, partial(strategy.run, invocation_of(task)))
            if task.middleware
            else None
        )
        """The task's middleware around the strategy; ``None``: call the strategy directly."""
        self._worker_name = runtime.worker_name
        self._log = log
        """The job type's logger."""
        self._reporter = runtime.reporter
        self._keeper = keeper
        self._on_freed = on_freed
        self._job_log = runtime.job_log
        self._tracing = runtime.tracing
        metrics = runtime.metrics
        self._all_reported: anyio.Event | None = None
        job_type = task.job_type
        self._gauge = metrics.in_flight.labels(job_type)
        self._duration = metrics.duration.labels(job_type)
        self._counters = {
            Complete: metrics.completed.labels(job_type),
            Fail: metrics.failed.labels(job_type),
            ThrowError: metrics.errored.labels(job_type),
        }
        self._abandoned = metrics.abandoned
        self._progress = runtime.progress

    async def run(self, job: ActivatedJob) -> None:
        """Run ``job``'s handler (in a job task of the poller's) and queue its report."""
        tracing = self._tracing
        trace = None
        if tracing is not None and tracing.traces(job):
            trace = tracing.start(job, in_child=self.task.strategy is Strategy.PROCESS)
        started = time.perf_counter()
        self._gauge.inc()
        try:
            ended = await self._run_handler(job, trace)
        except anyio.get_cancelled_exc_class():
            await self._hand_back(job, trace)
            raise
        finally:
            self.in_flight -= 1
            self._gauge.dec()
            self._on_freed()
        if ended is None:
            if trace is not None:
                trace.end()
            return
        outcome, deadline_ms = ended
        self._duration.observe(time.perf_counter() - started)
        self.unreported += 1
        report = PendingReport(
            job,
            outcome,
            self,
            deadline_ms=deadline_ms,
            started_s=started,
            retry=self.task.retry,
            trace=trace,
        )
        self._reporter.submit(report)

    def reported(self, report: PendingReport, taken: bool) -> None:
        """The server answered ``report`` (or it was given up): count it, log it."""
        self.unreported -= 1
        if taken:
            self._counters[type(report.outcome)].inc()
            elapsed_s = time.perf_counter() - report.started_s
            self._job_log.ended(self._log, report.job, report.outcome, elapsed_s)
        else:
            self._abandon("not_reported")
        if report.trace is not None:
            report.trace.end()
        self._on_freed()
        if self.unreported == 0 and self._all_reported is not None:
            self._all_reported.set()

    def _abandon(self, reason: str) -> None:
        """Count a job given up (rare: its series appears only then)."""
        self._abandoned.labels(self.task.job_type, reason).inc()

    async def all_reported(self) -> None:
        """Wait until every report of this job type has been answered (the drain's end)."""
        while self.unreported:
            self._all_reported = anyio.Event()
            await self._all_reported.wait()

    async def _run_handler(
        self, job: ActivatedJob, trace: JobTrace | None
    ) -> tuple[Outcome, int] | None:
        """The outcome and the job's deadline (epoch ms), or ``None`` if nothing is to be sent."""
        flag = threading.Event()
        progress = self._progress
        report = None if progress is None else partial(progress.offer, job.job_key)
        ctx = JobContext.of(job, self._worker_name, self._state, flag, progress=report)
        with anyio.CancelScope() as scope:
            lease = self._keeper.track(job, scope, flag)
            try:
                if trace is None:
                    outcome = await self._call(ctx)
                else:
                    with trace.current():
                        outcome = await self._call(ctx)
            finally:
                self._keeper.release(lease)
                if progress is not None:
                    progress.ended(job.job_key)
            if lease.stopped is not Stop.LOST:  # lost as the handler returned: nothing to send
                return outcome, lease.deadline_ms
        return self._stopped(job, lease)

    async def _call(self, ctx: JobContext) -> Outcome:
        if self._chain is None:
            return await self._strategy.run(invocation_of(self.task), ctx)
        return await self._chain(ctx)

    def _stopped(self, job: ActivatedJob, lease: Lease) -> tuple[Outcome, int] | None:
        """What to send for a handler the keeper stopped."""
        if lease.stopped is Stop.MAX_RUN:
            message = (
                f"handler still running after"
                f" max_run_time_ms={self.task.lease_extension.max_run_time_ms};"
                " stopped (LeaseExtension.max_run_time_ms bounds handlers whose lease is extended)"
            )
            return Fail(message), lease.deadline_ms
        if lease.stopped is Stop.LOST:
            self._abandon("lost")
            return None
        self._abandon("timeout")
        self._log.bind(job_key=job.job_key).warning(
            "✗ {} {} timed out: its lease of {} ms ended; the server will hand it out again",
            job.type,
            job.job_key,
            self.task.timeout_ms,
        )
        return None

    async def _hand_back(self, job: ActivatedJob, trace: JobTrace | None) -> None:
        log = self._log.bind(job_key=job.job_key)
        with anyio.CancelScope(shield=True), anyio.move_on_after(HAND_BACK_TIMEOUT_S):
            if trace is None:
                await self._reporter.hand_back(job, log)
            else:
                with trace.handing_back():
                    await self._reporter.hand_back(job, log)
            log.warning("↩ {} {} handed back unfinished", job.type, job.job_key)
        self._abandon("handed_back")
        if trace is not None:
            trace.end()
