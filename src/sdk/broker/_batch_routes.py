"""``POST /v2/ext/jobs/reports``: many job outcomes in one request and one transaction.

Each report gets exactly the answer its per-job Camunda call would have had (204, or the
problem's status and detail), so a worker handles a batch result as it handles single calls.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..models._batch import (
    JobReport,
    JobReportBatch,
    JobReportBatchResult,
    ReportKind,
)
from ._contract import Failure, Jobs
from ._http import INT64_MAX, read_model, store_of
from ._problems import BrokerError, InvalidRequest


def _operation(report: JobReport) -> Callable[[Jobs, int], Any]:
    """The store call a report stands for, bound to everything but the store and the time."""
    key = int(report.job_key)
    if key > INT64_MAX:
        raise InvalidRequest(f"jobKey {report.job_key!r} is not a valid job key")
    lease = report.lease_token
    if report.kind is ReportKind.COMPLETE:
        return lambda jobs, now: jobs.complete(key, report.variables, lease, now)
    if report.kind is ReportKind.FAIL:
        failure = Failure(
            report.retries, report.error_message, report.retry_back_off, report.variables
        )
        return lambda jobs, now: jobs.fail(key, failure, lease, now)
    code = report.error_code
    if not code:
        raise InvalidRequest(f"reports: job {key}: errorCode is required for kind 'error'")
    return lambda jobs, now: jobs.throw_error(
        key, code, report.error_message, report.variables, lease, now
    )


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
