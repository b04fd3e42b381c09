"""``POST /v2/ext/jobs/reports``: many job outcomes in one request and one transaction.

Each report gets exactly the answer its per-job Camunda call would have had (204, or the
problem's status and detail), so a worker handles a batch result as it handles single calls.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...models import (
    JobReport,
    JobReportBatch,
    JobReportBatchResult,
    ReportKind,
)
from .._problems import BrokerError, InvalidRequest
from ..store import Failure, JobOutcome
from ._request import INT64_MAX, read_model, store_of


def _operation(report: JobReport) -> JobOutcome:
    """The store's view of a report: which command, on which job, with what."""
    key = int(report.job_key)
    if key > INT64_MAX:
        raise InvalidRequest(f"jobKey {report.job_key!r} is not a valid job key")
    lease = report.lease_token
    if report.kind is ReportKind.COMPLETE:
        return JobOutcome(key, lease, report.variables)
    if report.kind is ReportKind.FAIL:
        failure = Failure(
            report.retries, report.error_message, report.retry_back_off, report.variables
        )
        return JobOutcome(key, lease, report.variables, failure)
    code = report.error_code
    if not code:
        raise InvalidRequest(f"reports: job {key}: errorCode is required for kind 'error'")
    return JobOutcome(key, lease, report.variables, error_code=code, message=report.error_message)


def _result(report: JobReport, outcome: tuple[bool, Any]) -> dict[str, Any]:
    """The fields of the report's ``JobReportResult`` (validated together, in one call)."""
    ok, value = outcome
    if ok:
        return {"job_key": report.job_key, "status": 204}
    if isinstance(value, BrokerError):
        return {
            "job_key": report.job_key,
            "status": value.status,
            "title": value.title,
            "detail": value.detail,
        }
    raise value


async def report_jobs(request: Request) -> Response:
    body = await read_model(request, JobReportBatch)
    operations = [_operation(report) for report in body.reports]  # all valid, or a 400
    store = store_of(request)
    outcomes = await store.write_group(operations)
    for report, (ok, job_type) in zip(body.reports, outcomes, strict=True):
        if ok and report.kind is ReportKind.FAIL and report.retries > 0:
            store.notifier.notify(job_type)  # it comes back: waiting polls recompute
        elif ok:
            store.slot_freed(job_type)  # under a max-active limit, a poll may take another
    results = [_result(r, o) for r, o in zip(body.reports, outcomes, strict=True)]
    answer = JobReportBatchResult.model_validate({"results": results})
    return Response(answer.to_wire(), media_type="application/json")


ROUTES = [Route("/v2/ext/jobs/reports", report_jobs, methods=["POST"])]
