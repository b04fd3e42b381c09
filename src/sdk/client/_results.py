"""The calls of awaited job results and progress (extensions ``jobs.result``, ``jobs.progress``).

A wait is a long poll of at most ``MAX_WAIT_S`` per request (the broker cuts longer ones), so
a caller's longer wait is a few requests in a row. None is sent again on its own after a lost
or 504 answer (the retry policy would spend the caller's time on a wait already over): the
client method decides, knowing the caller's deadline.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import (
    ApiError,
    JobErrorThrownError,
    JobIncidentError,
    JobRunCancelledError,
    JobRunError,
)
from ..models import (
    AwaitedJobCreationResult,
    JobCreationRequest,
    JobKey,
    JobProgressRequest,
    JobResult,
    JobSpec,
    JobState,
    parse_job_key,
)
from . import _extension as ext
from ._calls import IDEMPOTENCY_KEY, LONG_POLL_MARGIN_S, Call, _model, _nothing

MAX_WAIT_S = 60.0
"""Longest wait the broker grants one request."""
RESULTS_EXTENSION = ext.JOB_RESULT.name
PROGRESS_EXTENSION = ext.JOB_PROGRESS.name
TIMED_OUT_TITLE = "DEADLINE_EXCEEDED"
_RESULT_PATH = re.compile(r"/v2/ext/jobs/([0-9]{1,19})/result$")


def _wait_ms(wait_s: float) -> int:
    return max(0, min(round(wait_s * 1000), round(MAX_WAIT_S * 1000)))


def run_job(spec: JobSpec, idempotency_key: str, wait_s: float) -> Call[JobResult]:
    """Create one job and wait up to ``wait_s`` (at least a millisecond) for its end."""
    body = JobCreationRequest(
        jobs=[spec], await_completion=True, request_timeout=max(_wait_ms(wait_s), 1)
    )
    return Call(
        "POST",
        "/ext/jobs",
        lambda r: AwaitedJobCreationResult.model_validate_json(r.content).result,
        body,
        read_timeout_s=min(max(wait_s, 0.0), MAX_WAIT_S) + LONG_POLL_MARGIN_S,
        headers={IDEMPOTENCY_KEY: idempotency_key},
        extension=ext.JOBS_AWAIT,
    )


def job_result(job_key: JobKey | str | int, wait_s: float) -> Call[JobResult]:
    """How the job ended, waiting up to ``wait_s`` (0: answer at once)."""
    return Call(
        "GET",
        f"/ext/jobs/{parse_job_key(job_key)}/result",
        _model(JobResult),
        read_timeout_s=min(max(wait_s, 0.0), MAX_WAIT_S) + LONG_POLL_MARGIN_S,
        params={"timeout": str(_wait_ms(wait_s))},
        extension=ext.JOB_RESULT,
    )


def report_progress(job_key: JobKey | str | int, fraction: float, message: str) -> Call[None]:
    body = JobProgressRequest(fraction=fraction, message=message)
    return Call(
        "POST",
        f"/ext/jobs/{parse_job_key(job_key)}/progress",
        _nothing,
        body,
        extension=ext.JOB_PROGRESS,
    )


def still_running(exc: ApiError) -> JobKey | None:
    """The key of the job a broker's 504 says is still going on, else ``None`` (e.g. a
    proxy's own 504)."""
    if exc.status != 504 or exc.problem.title != TIMED_OUT_TITLE:
        return None
    found = _RESULT_PATH.search(exc.problem.instance or "")
    return None if found is None else JobKey(found.group(1))


def variables_of(result: JobResult) -> dict[str, Any]:
    """The result variables of a completed job, else the error saying how it ended."""
    key = str(result.job_key)
    if result.state is JobState.COMPLETED:
        return dict(result.variables)
    if result.state is JobState.ERROR_THROWN:
        raise JobErrorThrownError(key, result.error_code or "", result.error_message or "")
    if result.state is JobState.INCIDENT:
        raise JobIncidentError(key, result.error_message or "")
    if result.state is JobState.CANCELED:
        raise JobRunCancelledError(key)
    raise JobRunError(key, f"job {key} answered as ended in state {result.state.value}")
