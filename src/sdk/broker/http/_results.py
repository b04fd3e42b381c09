"""Awaited results and progress of jobs, under ``/v2/ext/jobs``.

``GET /v2/ext/jobs/{key}/result?timeout=ms`` is a long poll: it answers how the job ended
(``JobResult``) as soon as it has, or 504 problem+json once the wait is over while the job goes
on; ``awaitCompletion`` on creation (``_ext.create_jobs``) waits the same way. Waits are woken
by the store's writes (``store._results``), never by polling, and bounded by
``MAX_RESULT_WAIT_MS``: a longer wait is a client asking again.
``POST /v2/ext/jobs/{key}/progress`` keeps what a running handler reported.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...models import (
    AwaitedJobCreationResult,
    JobKey,
    JobProgressRequest,
    ProblemDetail,
)
from .._problems import PROBLEM_JSON, InvalidRequest
from ._request import INT64_MAX, job_key_param, read_model, store_of

DEFAULT_RESULT_WAIT_MS = 10_000
"""What an absent ``timeout`` (or an absent or 0 ``requestTimeout``, as activation has it)
means."""
MAX_RESULT_WAIT_MS = 60_000
"""Longest one request waits (longer asks are cut to it): proxies drop quieter connections."""
RESULT_TIMEOUT_TITLE = "DEADLINE_EXCEEDED"


def result_path(key: int | str) -> str:
    return f"/v2/ext/jobs/{key}/result"


def wait_ms(requested: int | None) -> int:
    """The wait a request gets for ``requested`` ms (``None``: the default; 0: none)."""
    if requested is None:
        return DEFAULT_RESULT_WAIT_MS
    return min(requested, MAX_RESULT_WAIT_MS)


async def await_result(
    request: Request,
    key: int,
    requested_ms: int | None,
    *,
    created: bool = False,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Wait for the job ``key`` to end: its result (201 when just ``created``), or a 504 whose
    ``instance`` is the job's result route, where the caller waits again."""
    timeout_ms = wait_ms(requested_ms)
    result = await store_of(request).results.wait(key, timeout_ms / 1000)
    if result is None:
        problem = ProblemDetail(
            type="about:blank",
            title=RESULT_TIMEOUT_TITLE,
            status=504,
            detail=(
                f"job {key} has not ended within {timeout_ms} ms and goes on; wait again with"
                f" GET {result_path(key)}"
            ),
            instance=result_path(key),
        )
        return Response(
            problem.to_wire(), status_code=504, media_type=PROBLEM_JSON, headers=headers
        )
    if created:
        body = AwaitedJobCreationResult(job_keys=[JobKey(str(key))], result=result).to_wire()
        return Response(body, status_code=201, media_type="application/json", headers=headers)
    return Response(result.to_wire(), media_type="application/json", headers=headers)


def _timeout_param(request: Request) -> int | None:
    raw = request.query_params.get("timeout")
    if raw is None:
        return None
    if not raw.isascii() or not raw.isdigit() or int(raw) > INT64_MAX:
        raise InvalidRequest("timeout: must be a number of milliseconds (a non-negative integer)")
    return int(raw)


async def job_result(request: Request) -> Response:
    key = job_key_param(request)
    return await await_result(request, key, _timeout_param(request))


async def job_progress(request: Request) -> Response:
    key = job_key_param(request)
    body = await read_model(request, JobProgressRequest)
    await store_of(request).progress.report(key, body.fraction, body.message)
    return Response(status_code=204)


ROUTES = [
    Route("/v2/ext/jobs/{job_key}/result", job_result, methods=["GET"]),
    Route("/v2/ext/jobs/{job_key}/progress", job_progress, methods=["POST"]),
]
