"""Telling the server how jobs came out: one queue per worker, sent in the background.

A job's handler returns, its slot frees at once, and its ``PendingReport`` waits here. With the
broker's ``jobs.report-batch`` extension one loop sends what has queued as one request (a
batch is natural, not timed: reports that end while one request is in flight go out together
in the next, so a lone job waits for no timer); against a Camunda cluster a few sender loops
make the exact per-job calls. Either way each report gets the answer its per-job call would
have had:

- taken: the owner is told (metrics, log line, span);
- 404/409: the job is no longer ours (completed elsewhere, timed out and handed on): logged,
  never answered with a compensating failure;
- 400 for a result: the job fails instead, saying the server rejected the result;
- connection errors, 429 and 5xx: retried with back-off from one heap of due times until
  shortly before the job's lease ends.

When the worker stops, what is still queued gets one last, bounded attempt.
"""

from __future__ import annotations

import heapq
import itertools
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable

import anyio

from ..._logging import Log
from ...client import AsyncClient
from ...errors import (
    BackpressureError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    SdkError,
    ServerError,
    ServerUnreachableError,
    error_class_for,
)
from ...models import ActivatedJob, JobReportResult, ProblemDetail
from .._outcome import Fail
from ._backoff import Backoff
from ._clock import LoopClock
from ._pending import PendingReport

BATCH_EXTENSION = "jobs.report-batch"
MAX_BATCH = 500
EXACT_SENDERS = 32
"""Per-job calls in flight at once against a Camunda cluster (the client keeps 64 connections)."""
TRANSIENT = (ServerUnreachableError, BackpressureError, ServerError)
MAX_REPORT_ATTEMPTS = 8
FINAL_FLUSH_S = 5.0
"""How long queued reports may still take once the worker stops."""
HANDED_BACK = "worker shutting down"
"""The error message of a job handed back at shutdown (failed with its retries unchanged)."""

Send = Callable[[list[PendingReport]], Awaitable[None]]


class Reporter:
    """The worker's outgoing reports; ``run`` (a task the worker owns) sends them."""

    def __init__(self, client: AsyncClient, log: Log) -> None:
        self._client = client
        self._log = log
        self.batching = False
        """Send through the ``jobs.report-batch`` extension (set before ``run``)."""
        self._ready: deque[PendingReport] = deque()
        self._later: list[tuple[float, int, PendingReport]] = []
        """Reports waiting to be retried, by due time (anyio's clock)."""
        self._order = itertools.count()
        self._idle: list[anyio.Event] = []
        """One event per sender waiting for work; a new report wakes one."""
        self._closing = False
        self._now = LoopClock()

    def submit(self, report: PendingReport) -> None:
        """Queue ``report``; its owner hears how it went once the server answered."""
        self._ready.append(report)
        if self._idle:
            self._idle.pop().set()

    async def run(self) -> None:
        """Send reports until cancelled, then give what is left one bounded last attempt."""
        try:
            async with anyio.create_task_group() as tg:
                if self.batching:
                    tg.start_soon(self._sender, MAX_BATCH, self._send_batch)
                else:
                    for _ in range(EXACT_SENDERS):
                        tg.start_soon(self._sender, 1, self._send_each)
        finally:
            with anyio.CancelScope(shield=True), anyio.move_on_after(FINAL_FLUSH_S):
                await self._flush()
            self._give_up_rest()

    async def hand_back(self, job: ActivatedJob, log: Log) -> None:
        """Return an unfinished job at once (retries unchanged, no back-off)."""
        try:
            await self._client.fail_job(
                job.job_key,
                retries=job.retries,
                error_message=HANDED_BACK,
                retry_backoff_ms=0,
                lease_token=job.lease_token,
            )
        except Exception as exc:  # the lease timeout will return it instead
            log.warning(
                "job {}: could not hand back ({}); it returns after its timeout", job.job_key, exc
            )

    # -- sending ------------------------------------------------------------------------------

    async def _sender(self, size: int, send: Send) -> None:
        while True:
            reports = self._take(size)
            if not reports:
                await self._wait()
                continue
            # A request in flight gets its answer: cancellation waits until what is ready has
            # gone (each send is bounded by its timeouts; retries wait in the heap, outside).
            # One scope for a run of sends rather than one per send: entering and leaving a
            # scope looks the current task up each time.
            with anyio.CancelScope(shield=True):
                while reports:
                    await send(reports)
                    reports = self._take(size)

    def _take(self, size: int) -> list[PendingReport]:
        later, now = self._later, self._now()
        while later and (later[0][0] <= now or self._closing):
            self._ready.append(heapq.heappop(later)[2])
        ready = self._ready
        return [ready.popleft() for _ in range(min(size, len(ready)))]

    async def _wait(self) -> None:
        wake = anyio.Event()
        self._idle.append(wake)
        wait_s = self._later[0][0] - self._now() if self._later else math.inf
        try:
            with anyio.move_on_after(wait_s):
                await wake.wait()
        finally:
            if not wake.is_set():
                self._idle.remove(wake)

    async def _flush(self) -> None:
        self._closing = True  # one more attempt each, no retries
        while reports := self._take(len(self._ready) + len(self._later)):
            if self.batching:
                for start in range(0, len(reports), MAX_BATCH):
                    await self._send_batch(reports[start : start + MAX_BATCH])
            else:
                async with anyio.create_task_group() as tg:
                    for report in reports:
                        tg.start_soon(self._send_each, [report])

    def _give_up_rest(self) -> None:
        rest = [*self._ready, *(entry[2] for entry in self._later)]
        self._ready.clear()
        self._later.clear()
        if rest:
            self._log.error("{} report(s) not sent: the worker stopped first", len(rest))
        for report in rest:
            self._done(report, taken=False)

    async def _send_batch(self, reports: list[PendingReport]) -> None:
        for report in reports:
            if report.trace is not None:
                report.trace.report_started(report.outcome, batched=True)
        try:
            results = await self._client.report_jobs_json([r.item_json() for r in reports])
        except SdkError as exc:  # the whole request failed: each report retries on its own
            for report in reports:
                self._failed(report, exc)
            return
        if len(results) != len(reports):
            mismatch = ServerUnreachableError(
                f"the server answered {len(results)} results for {len(reports)} reports"
            )
            for report in reports:
                self._failed(report, mismatch)
            return
        for report, result in zip(reports, results, strict=True):
            if result.status < 300:
                self._done(report, taken=True)
            else:
                self._failed(report, _error_of(result))

    async def _send_each(self, reports: list[PendingReport]) -> None:
        for report in reports:
            try:
                if report.trace is None:
                    await report.send(self._client)
                else:
                    with report.trace.reporting(report.outcome):  # the HTTP span's parent
                        await report.send(self._client)
            except Exception as exc:
                self._failed(report, exc)
            else:
                self._done(report, taken=True)

    # -- answers ------------------------------------------------------------------------------

    def _done(self, report: PendingReport, *, taken: bool) -> None:
        if report.trace is not None:
            report.trace.report_ended(report.outcome, taken)
        report.owner.reported(report, taken)

    def _failed(self, report: PendingReport, exc: Exception) -> None:
        key, outcome = report.job.job_key, report.outcome
        log = self._log.bind(job_key=key, job_type=report.job.type)
        if isinstance(exc, TRANSIENT):
            self._retry(report, exc, log)
            return
        if isinstance(exc, NotFoundError | ConflictError):
            log.warning("job {} is no longer ours ({}); result dropped", key, exc.detail)
        elif isinstance(exc, BadRequestError) and not isinstance(outcome, Fail):
            log.error("job {}: the server rejected the result ({}); failing the job", key, exc)
            if report.trace is not None:
                report.trace.report_ended(outcome, taken=False)
            report.reject(f"the server rejected the result: {exc}")
            self.submit(report)
            return
        elif isinstance(exc, BadRequestError):
            log.error("job {}: the server rejected the failure report: {}", key, exc)
        elif isinstance(exc, SdkError):
            log.error("job {}: could not report the result, giving up: {}", key, exc)
        else:  # a bug must not take the worker down with it (called in its except block)
            log.exception("job {}: reporting failed, giving up: {!r}", key, exc)
        self._done(report, taken=False)

    def _retry(self, report: PendingReport, exc: Exception, log: Log) -> None:
        if report.backoff is None:
            report.backoff = Backoff(base_s=0.05, cap_s=2.0)
        report.attempt += 1
        delay_s = report.backoff.next_delay_s()
        lease_left_s = report.deadline_ms / 1000 - time.time()
        if self._closing or report.attempt >= MAX_REPORT_ATTEMPTS or delay_s >= lease_left_s:
            key = report.job.job_key
            log.error("job {}: could not report the result, giving up: {}", key, exc)
            self._done(report, taken=False)
            return
        log.warning("job {}: report failed ({}), retrying", report.job.job_key, exc)
        heapq.heappush(self._later, (self._now() + delay_s, next(self._order), report))
        if self._idle:
            self._idle.pop().set()  # a waiting sender wakes to wait for the new due time


def _error_of(result: JobReportResult) -> Exception:
    """The error the per-job call would have raised for ``result``'s status."""
    problem = ProblemDetail(
        title=result.title or "", status=result.status, detail=result.detail or ""
    )
    return error_class_for(result.status)(result.status, problem)
