"""One run of a worker: its poll loops, the server probe, the HTTP endpoint, and shutdown.

Shutdown, in order (one log line per phase):
1. stop activating: every poll loop stops asking for jobs; ``/readyz`` answers 503;
2. drain: running jobs may finish, and their reports be answered, for up to the grace period;
3. cancel what still runs: each such job is handed back at once (failed with its retries
   unchanged and no back-off, message "worker shutting down"), so none waits out its lease;
   async handlers are cancelled, thread handlers' results discarded, process children killed;
   reports still queued get one last attempt (``FINAL_FLUSH_S``);
4. return (the client is the caller's to close).
A cancellation from outside (a second signal) skips step 2. A stop during start-up (the
extension discovery, a task's schedule) cancels those calls and returns: no job was taken.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

import anyio

from ...errors import ConfigurationError, SdkError
from .._task import TaskSpec
from ..observe import App, serve_http
from ._poller import JobPoller
from ._reporter import BATCH_EXTENSION
from ._runtime import Runtime
from ._schedules import upsert_schedules


class WorkerRun:
    """Runs the poll loops of ``tasks`` with ``runtime`` until ``stop()``, then shuts down."""

    def __init__(
        self,
        runtime: Runtime,
        tasks: Sequence[TaskSpec],
        *,
        grace_period_s: float,
        report_batching: bool | None = None,
    ) -> None:
        self.name = runtime.worker_name
        self.grace_period_s = grace_period_s
        self.draining = False
        self.http_url: str | None = None
        self._client = runtime.client
        self._log = runtime.log
        self._link = runtime.link
        self._stop = anyio.Event()
        self._starting: anyio.CancelScope | None = None
        """Open while start-up asks the server things; ``stop`` cancels it."""
        self._report_batching = report_batching
        self._reporter = runtime.reporter
        self._job_log = runtime.job_log
        self._progress = runtime.progress
        self._pollers = [JobPoller(task, runtime) for task in tasks]
        self._scheduled = [task for task in tasks if task.schedule is not None]

    @property
    def in_flight(self) -> int:
        return sum(p.in_flight for p in self._pollers)

    def stop(self) -> None:
        self._stop.set()
        if self._starting is not None:
            self._starting.cancel()  # a start-up call may wait long on a server that is away

    async def run(self, http: tuple[App, socket.socket] | None = None) -> None:
        drained = anyio.Event()
        remaining = len(self._pollers)

        async def run_poller(poller: JobPoller) -> None:
            nonlocal remaining
            try:
                await poller.run()
            finally:
                remaining -= 1
                if remaining == 0:
                    drained.set()

        self._log.info(
            "worker {} starting: {} job type(s) on {}", self.name, remaining, self._client.base_url
        )
        async with anyio.create_task_group() as reports:
            with anyio.CancelScope() as self._starting:
                if self._stop.is_set():
                    self._starting.cancel()
                self._reporter.batching = await self._batching_wanted()
                await upsert_schedules(self._client, self._scheduled, self._log)
            self._starting = None
            if self._stop.is_set():
                self._log.info("worker {} stopped before it started polling", self.name)
                return
            reports.start_soon(self._reporter.run)
            reports.start_soon(self._job_log.run)
            if self._progress is not None:
                reports.start_soon(self._progress.run)
            await self._run_pollers(http, drained, run_poller)
            reports.cancel_scope.cancel()  # every job has reported (or the drain ended early)
        # 4. done
        self._log.info("worker {} stopped", self.name)

    async def _batching_wanted(self) -> bool:
        """Discover the batch-report extension (a real Camunda answers 404: exact calls)."""
        if self._report_batching is False:
            return False
        try:
            capabilities = await self._client.capabilities()
        except SdkError as exc:
            if self._report_batching:
                raise ConfigurationError(
                    f"report_batching=True, but discovery failed: {exc}"
                ) from None
            self._log.debug("no extension discovery ({}); reporting per job", exc)
            return False
        offered = capabilities is not None and BATCH_EXTENSION in capabilities.extensions
        if self._report_batching and not offered:
            raise ConfigurationError(
                f"report_batching=True, but {self._client.base_url} does not offer"
                f" {BATCH_EXTENSION!r}; a Camunda cluster needs per-job reports"
            )
        self._log.info("reporting {}", "in batches (jobs.report-batch)" if offered else "per job")
        return offered

    async def _run_pollers(
        self,
        http: tuple[App, socket.socket] | None,
        drained: anyio.Event,
        run_poller: Callable[[JobPoller], Coroutine[Any, Any, None]],
    ) -> None:
        async with anyio.create_task_group() as tg:
            if http is not None:
                self.http_url = await tg.start(serve_http, *http, self._log)
            tg.start_soon(self._link.watch, self._client)
            for poller in self._pollers:
                tg.start_soon(run_poller, poller)
            await self._stop.wait()
            # 1. stop activating
            self.draining = True
            for poller in self._pollers:
                poller.stop()
            self._log.info(
                "worker {}: stopping: no new jobs; {} running job(s) have {:g}s to finish",
                self.name,
                self.in_flight,
                self.grace_period_s,
            )
            # 2. drain, up to the grace period
            with anyio.move_on_after(self.grace_period_s):
                await drained.wait()
            # 3. cancel what still runs: each job hands itself back as it is cancelled
            if not drained.is_set():
                self._log.warning(
                    "worker {}: grace period of {:g}s over, handing back {} job(s)",
                    self.name,
                    self.grace_period_s,
                    self.in_flight,
                )
            tg.cancel_scope.cancel()
