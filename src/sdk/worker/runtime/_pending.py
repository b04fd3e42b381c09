"""One ended job's outcome on its way to the server, and what it says on the wire.

A ``PendingReport`` is made once, when the handler has returned (its slot is free by then), and
travels through the ``Reporter``'s queue and retries until the server took it or it was given
up; then its ``owner`` is told, once. Its batch-item JSON is serialised once, retries included.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from pydantic_core import to_json

from ...client import AsyncClient
from ...models import ActivatedJob
from .._options import RetryPolicy
from .._outcome import Complete, Fail, Outcome, ThrowError, retries_left
from ._backoff import Backoff

if TYPE_CHECKING:
    from ..observe import JobTrace


class ReportOwner(Protocol):
    """Whom a report tells how it went (the job type's runner)."""

    def reported(self, report: PendingReport, taken: bool) -> None: ...


class PendingReport:
    """An outcome to send for ``job``; ``outcome`` is final (a ``Fail`` knows its retries)."""

    __slots__ = (
        "_item",
        "attempt",
        "back_off_ms",
        "backoff",
        "deadline_ms",
        "job",
        "outcome",
        "owner",
        "retry",
        "started_s",
        "trace",
    )

    def __init__(
        self,
        job: ActivatedJob,
        outcome: Outcome,
        owner: ReportOwner,
        *,
        deadline_ms: int,
        started_s: float,
        retry: RetryPolicy,
        trace: JobTrace | None = None,
    ) -> None:
        self.job = job
        self.owner = owner
        self.retry = retry
        """The back-off policy of failures."""
        self.deadline_ms = deadline_ms
        """The job's lease end (epoch ms) as far as we know: retries stop short of it."""
        self.started_s = started_s
        """``perf_counter`` when the handler started (the log line's duration)."""
        self.trace = trace
        self._set(outcome)

    def _set(self, outcome: Outcome) -> None:
        self.outcome = outcome
        self.back_off_ms = 0
        """A failure's retry back-off."""
        if isinstance(outcome, Fail):
            retries = retries_left(self.job, outcome)
            self.back_off_ms = self.retry.backoff_ms(retries) if retries else 0
        self.attempt = 0
        self.backoff: Backoff | None = None
        self._item: bytes | None = None

    def reject(self, message: str) -> None:
        """The server refused the result: report a failure saying ``message`` instead."""
        self._set(Fail(message))

    def item_json(self) -> bytes:
        """This report as an item of a ``jobs.report-batch`` request (a ``JobReport``)."""
        if self._item is None:
            self._item = to_json({"jobKey": self.job.job_key, **_fields(self)})
        return self._item

    async def send(self, client: AsyncClient) -> None:
        """Send this report as the exact per-job Camunda call; raise what it raises."""
        job, outcome = self.job, self.outcome
        if isinstance(outcome, Complete):
            await client.complete_job(job.job_key, outcome.variables, lease_token=job.lease_token)
        elif isinstance(outcome, ThrowError):
            await client.throw_job_error(
                job.job_key,
                outcome.code,
                error_message=outcome.message or None,
                variables=outcome.variables or None,
                lease_token=job.lease_token,
            )
        else:
            await client.fail_job(
                job.job_key,
                retries=retries_left(job, outcome),
                error_message=outcome.message,
                retry_backoff_ms=self.back_off_ms,
                lease_token=job.lease_token,
            )


def _fields(report: PendingReport) -> dict[str, Any]:
    """The ``JobReport`` fields besides the key, as the wire spells them."""
    job, outcome = report.job, report.outcome
    fields: dict[str, Any]
    if isinstance(outcome, Complete):
        fields = {"kind": "complete", "variables": outcome.variables}
    elif isinstance(outcome, ThrowError):
        fields = {"kind": "error", "errorCode": outcome.code}
        if outcome.message:
            fields["errorMessage"] = outcome.message
        if outcome.variables:
            fields["variables"] = outcome.variables
    else:
        fields = {
            "kind": "fail",
            "retries": retries_left(job, outcome),
            "errorMessage": outcome.message,
            "retryBackOff": report.back_off_ms,
        }
    if job.lease_token is not None:
        fields["leaseToken"] = job.lease_token
    return fields
