"""Telling the server how a job came out, surviving passing faults.

A report is retried on connection errors and 5xx/429 until shortly before the job's lease
ends. A 404/409 answer means the job is no longer ours (completed elsewhere, timed out and
handed on): logged, never answered with a compensating failure.
"""

from __future__ import annotations

import time

import anyio

from .._logging import Log
from ..client import AsyncClient
from ..errors import (
    BackpressureError,
    BadRequestError,
    ConflictError,
    ConnectionError,
    NotFoundError,
    ServerError,
)
from ..models import ActivatedJob
from ..models._batch import JobReport, ReportKind
from ._backoff import Backoff
from ._batcher import ReportBatcher
from ._outcome import Complete, Fail, Outcome, ThrowError
from ._task import TaskSpec

TRANSIENT = (ConnectionError, BackpressureError, ServerError)
MAX_REPORT_ATTEMPTS = 8
HANDED_BACK = "worker shutting down"
"""The error message of a job handed back at shutdown (failed with its retries unchanged)."""


class Reporter:
    """Sends one task's outcomes: in batches while ``batcher`` runs, else one call per job."""

    def __init__(
        self, client: AsyncClient, task: TaskSpec, batcher: ReportBatcher | None = None
    ) -> None:
        self._client = client
        self._task = task
        self._batcher = batcher

    async def report(self, job: ActivatedJob, outcome: Outcome, log: Log) -> bool:
        """Send ``outcome``; ``True`` when the server took it."""
        try:
            await self._with_retries(job, outcome, log)
        except (NotFoundError, ConflictError) as exc:
            log.warning("job {} is no longer ours ({}); result dropped", job.job_key, exc.detail)
            return False
        except BadRequestError as exc:
            if isinstance(outcome, Fail):
                log.error("job {}: the server rejected the failure report: {}", job.job_key, exc)
                return False
            log.error(
                "job {}: the server rejected the result ({}); failing the job", job.job_key, exc
            )
            return await self.report(job, Fail(f"the server rejected the result: {exc}"), log)
        except TRANSIENT as exc:
            log.error("job {}: could not report the result, giving up: {}", job.job_key, exc)
            return False
        return True

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

    async def _with_retries(self, job: ActivatedJob, outcome: Outcome, log: Log) -> None:
        backoff = Backoff(base_s=0.05, cap_s=2.0)
        for attempt in range(1, MAX_REPORT_ATTEMPTS + 1):
            try:
                await self._send(job, outcome)
                return
            except TRANSIENT as exc:
                delay = backoff.next_delay_s()
                lease_left_s = job.deadline / 1000 - time.time()
                if attempt == MAX_REPORT_ATTEMPTS or delay >= lease_left_s:
                    raise
                log.warning("job {}: report failed ({}), retrying", job.job_key, exc)
                await anyio.sleep(delay)

    async def _send(self, job: ActivatedJob, outcome: Outcome) -> None:
        report = self._report(job, outcome)
        if self._batcher is not None and self._batcher.open:
            await self._batcher.submit(report)
        elif report.kind is ReportKind.COMPLETE:
            await self._client.complete_job(
                job.job_key, report.variables, lease_token=report.lease_token
            )
        elif report.kind is ReportKind.ERROR:
            assert report.error_code is not None  # set by _report for every ERROR
            await self._client.throw_job_error(
                job.job_key,
                report.error_code,
                error_message=report.error_message,
                variables=report.variables,
                lease_token=report.lease_token,
            )
        else:
            await self._client.fail_job(
                job.job_key,
                retries=report.retries,
                error_message=report.error_message,
                retry_backoff_ms=report.retry_back_off,
                lease_token=report.lease_token,
            )

    def _backoff_ms(self, retries: int) -> int:
        return self._task.retry.backoff_ms(retries) if retries else 0

    def _report(self, job: ActivatedJob, outcome: Outcome) -> JobReport:
        """What to tell the server, once for both paths: a batch item or a per-job call."""
        key, lease = job.job_key, job.lease_token
        if isinstance(outcome, Complete):
            return JobReport(
                job_key=key,
                kind=ReportKind.COMPLETE,
                variables=outcome.variables,
                lease_token=lease,
            )
        if isinstance(outcome, ThrowError):
            return JobReport(
                job_key=key,
                kind=ReportKind.ERROR,
                error_code=outcome.code,
                error_message=outcome.message or None,
                variables=outcome.variables or None,
                lease_token=lease,
            )
        retries = max(job.retries - 1, 0) if outcome.retries is None else outcome.retries
        return JobReport(
            job_key=key,
            kind=ReportKind.FAIL,
            retries=retries,
            error_message=outcome.message,
            retry_back_off=self._backoff_ms(retries),
            lease_token=lease,
        )
