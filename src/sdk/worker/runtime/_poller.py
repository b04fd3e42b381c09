"""One job type's loop: long-poll for as many jobs as there are free slots, run, report.

Never runs more than ``max_jobs`` handlers at once. A slot frees when its handler returns;
the job's report then goes out in the background, and at most ``max_jobs`` more jobs wait for
their report's answer before polling pauses (a worker holds at most twice ``max_jobs`` jobs).
Polls again at once after a batch and as soon as a slot frees; backs off with full jitter only
when the server fails (capped, reset by the next success, never shorter than a
``Retry-After`` the server sent). A failing server is never fatal: the loop polls on until it
answers again.
"""

from __future__ import annotations

import anyio
import anyio.lowlevel

from ...errors import BackpressureError, SdkError
from ...models import ActivatedJob
from .._task import TaskSpec
from ..strategies import ExecutionStrategy, strategy_for
from ._backoff import Backoff
from ._job import JobRunner
from ._job_tasks import JobTasks
from ._lease import LeaseKeeper
from ._runtime import Runtime

POLL_BACKOFF_BASE_S = 0.1
POLL_BACKOFF_CAP_S = 30.0


class JobPoller:
    """Runs one ``TaskSpec``: its poll loop and the jobs it activated.

    Lifecycle: ``run()`` until ``stop()`` (stop activating, let running jobs finish) or
    cancellation (running jobs are handed back to the server before ``run`` returns).
    """

    def __init__(self, task: TaskSpec, runtime: Runtime) -> None:
        self.task = task
        fetch, tracing, metrics = task.fetch_variables, runtime.tracing, runtime.metrics
        self._fetch = fetch if tracing is None else tracing.fetched(fetch)
        self._client = runtime.client
        self._worker_name = runtime.worker_name
        self._strategy: ExecutionStrategy = strategy_for(task)
        self._log = runtime.log.bind(job_type=task.job_type)
        self._metrics = metrics
        self._link = runtime.link
        self._keeper = LeaseKeeper(
            runtime.client,
            task.timeout_ms,
            task.lease_extension,
            self._log,
            on_extended=metrics.lease_extensions.labels(task.job_type).inc,
        )
        self._runner = JobRunner(
            task,
            self._strategy,
            runtime,
            log=self._log,
            keeper=self._keeper,
            on_freed=self._freed,
        )
        self._activated = metrics.activated.labels(task.job_type)
        self._task_name = f"job {task.job_type}"
        """The job tasks' name, given rather than derived from the callable."""
        self._capacity = anyio.Event()
        """Set when a slot or a report's place frees, while the loop waits for one."""
        self._stopping = anyio.Event()
        self._poll_scope: anyio.CancelScope | None = None
        self._backoff = Backoff(base_s=POLL_BACKOFF_BASE_S, cap_s=POLL_BACKOFF_CAP_S)
        metrics.add_job_type(task.job_type)

    @property
    def in_flight(self) -> int:
        """Handlers running (jobs activated and not yet returned)."""
        return self._runner.in_flight

    def stop(self) -> None:
        """Stop activating (an activation in flight is abandoned); running jobs go on."""
        self._stopping.set()
        self._capacity.set()
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
        runner = self._runner
        try:
            async with anyio.create_task_group() as keeper:
                keeper.start_soon(self._keeper.run)
                async with anyio.create_task_group() as group:
                    jobs = JobTasks(group, runner.run, name=self._task_name)
                    try:
                        while not self._stopping.is_set():
                            await self._wait_for_capacity()
                            batch = await self._poll()
                            runner.in_flight += len(batch)
                            for job in batch:
                                jobs.start(job)
                            # the jobs just started reach their handlers before the next poll
                            # is built: ~0.2 ms of pickup latency (docs/performance.md)
                            await anyio.lowlevel.checkpoint()
                    finally:
                        jobs.close()
                keeper.cancel_scope.cancel()  # every handler has ended
            await runner.all_reported()  # the drain ends with the last answer
        finally:
            with anyio.CancelScope(shield=True):
                await self._strategy.aclose()

    def _free(self) -> int:
        """Jobs to ask for: free slots, as long as reports waiting stay within ``max_jobs``."""
        runner, max_jobs = self._runner, self.task.max_jobs
        return min(max_jobs - runner.in_flight, 2 * max_jobs - runner.in_flight - runner.unreported)

    def _freed(self) -> None:
        self._capacity.set()

    async def _wait_for_capacity(self) -> None:
        while self._free() <= 0 and not self._stopping.is_set():
            self._capacity = anyio.Event()
            await self._capacity.wait()

    async def _poll(self) -> list[ActivatedJob]:
        free = self._free()
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
                    fetch_variables=self._fetch,
                )
            except (SdkError, ValueError) as exc:  # never let one bad answer end the loop
                await self._back_off(exc)
                return []
        if self._poll_scope.cancelled_caught:
            return []
        self._backoff.reset()
        self._link.ok()
        if len(jobs) > free:
            jobs = jobs[:free]
        if jobs:
            self._activated.inc(len(jobs))
        return jobs

    async def _back_off(self, exc: Exception) -> None:
        """Wait before the next poll; the link logs the state change, not every failure."""
        self._metrics.poll_errors.labels(self.task.job_type).inc()
        self._link.failed(exc)
        delay = self._backoff.next_delay_s()
        if isinstance(exc, BackpressureError) and exc.retry_after_s is not None:
            delay = max(delay, exc.retry_after_s)  # the server said how long to stay away
        self._log.debug(
            "poll attempt {} failed ({}); next in {:.2f}s", self._backoff.attempt, exc, delay
        )
        await anyio.sleep(delay)
