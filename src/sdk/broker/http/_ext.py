"""Extension routes under ``/v2/ext``: what a standalone job server needs beyond Camunda's API.

A real cluster answers 404 here; clients discover support through ``GET /v2/ext/capabilities``.
"""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ... import __version__
from ...models import (
    Capabilities,
    JobCreationRequest,
    JobCreationResult,
    JobSearchRequest,
    JobSearchResult,
)
from .._problems import InvalidRequest
from ..store import IDEMPOTENCY_HEADER as IDEMPOTENCY_KEY
from . import _bulk, _events, _limits, _results
from ._openapi import OPENAPI_PATH, openapi_document
from ._request import idempotency_key, job_key_param, read_model, store_of

COMMITTED_AT = "Committed-At"
"""Header of a creation's answer: when its commit returned, in epoch seconds to the
microsecond (``python -m sdk.bench --scenario latency`` measures pickup from it)."""

EXTENSIONS = [
    "jobs.create",
    "jobs.get",
    "jobs.search",
    "jobs.cancel",
    "jobs.report-batch",
    "events",
    "stats",
    "openapi",
    "jobs.create.idempotency-key",
    "job-types.limits",
    "jobs.bulk",
    "schedules",
    "jobs.result",
    "jobs.progress",
]


async def capabilities(request: Request) -> Response:
    body = Capabilities(server="sdk-broker", version=__version__, extensions=EXTENSIONS)
    return Response(body.to_wire(), media_type="application/json")


def caller(request: Request) -> str:
    """Who is asking (idempotency keys are scoped by it): the principal's name, or ``""``."""
    principal = request.scope.get("state", {}).get("principal")
    return "" if principal is None else str(principal.name)


async def create_jobs(request: Request) -> Response:
    """Create jobs; with an ``Idempotency-Key``, a repeat answers the first call's keys."""
    key = idempotency_key(request.headers.get(IDEMPOTENCY_KEY))
    body = await read_model(request, JobCreationRequest)
    if body.await_completion and len(body.jobs) != 1:
        raise InvalidRequest("awaitCompletion: only for a request that creates exactly one job")
    store = store_of(request)
    replayed = False
    if key is None:
        keys = await store.create(body.jobs)
    else:
        keys, replayed = await store.create_once(body, scope=caller(request), key=key)
    # stamped as the store returns: after the commit, before this answer is sent
    headers = {"Idempotent-Replayed": "true"} if replayed else {COMMITTED_AT: f"{time.time():.6f}"}
    if body.await_completion:
        return await _results.await_result(
            request, int(keys[0]), body.request_timeout or None, created=True, headers=headers
        )
    return Response(
        JobCreationResult(job_keys=keys).to_wire(),
        status_code=201,
        media_type="application/json",
        headers=headers,
    )


async def get_job(request: Request) -> Response:
    job = await store_of(request).get(job_key_param(request))
    return Response(job.to_wire(), media_type="application/json")


async def cancel_job(request: Request) -> Response:
    await store_of(request).cancel(job_key_param(request))
    return Response(status_code=204)


async def search_jobs(request: Request) -> Response:
    body = await read_model(request, JobSearchRequest, required=False)
    after = int(body.after) if body.after is not None else None
    jobs, next_key = await store_of(request).search(body.type, body.state, body.limit, after)
    result = JobSearchResult(items=jobs, next_cursor=None if next_key is None else str(next_key))
    return Response(result.to_wire(), media_type="application/json")


ROUTES = [
    Route("/v2/ext/capabilities", capabilities, methods=["GET"]),
    Route("/v2/ext/jobs", create_jobs, methods=["POST"]),
    Route("/v2/ext/jobs/search", search_jobs, methods=["POST"]),
    *_bulk.ROUTES,
    Route("/v2/ext/jobs/{job_key}", get_job, methods=["GET"]),
    Route("/v2/ext/jobs/{job_key}/cancellation", cancel_job, methods=["POST"]),
    *_events.ROUTES,
    *_limits.ROUTES,
    *_results.ROUTES,
    Route(OPENAPI_PATH, openapi_document, methods=["GET"]),
]
