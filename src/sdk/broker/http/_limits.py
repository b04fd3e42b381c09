"""``/v2/ext/job-types/{type}/limits``: an operator sets how hard the broker lets workers hit a
job type (most ACTIVATED at once, most activations a second; see ``store/_limits.py``).

A real Camunda has no such route and workers never call it: it is the operator's control over
a downstream system many workers share. Viewers may read the limits, not change them.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...models import JobTypeLimits, JobTypeLimitsList, JobTypeLimitsRequest
from .._problems import InvalidRequest
from ..store import KeyedLimit
from ._request import read_model, store_of

MAX_TYPE_LENGTH = 255
LIMITS_PATH = "/v2/ext/job-types/{job_type:path}/limits"


def job_type_param(request: Request) -> str:
    """The ``{type}`` path parameter, or a 400 saying what a job type must be."""
    job_type: str = request.path_params["job_type"]
    if not 1 <= len(job_type) <= MAX_TYPE_LENGTH:
        raise InvalidRequest(f"job type must be 1 to {MAX_TYPE_LENGTH} characters")
    return job_type


def _json(model: JobTypeLimits | JobTypeLimitsList) -> Response:
    return Response(model.to_wire(), media_type="application/json")


async def list_limits(request: Request) -> Response:
    return _json(JobTypeLimitsList(items=await store_of(request).all_limits()))


async def get_limits(request: Request) -> Response:
    job_type = job_type_param(request)
    limits = await store_of(request).get_limits(job_type)
    return _json(limits or JobTypeLimits(type=job_type))


async def put_limits(request: Request) -> Response:
    job_type = job_type_param(request)
    body = await read_model(request, JobTypeLimitsRequest)
    keyed = None
    if body.max_active_per_key is not None:
        keyed = KeyedLimit(body.max_active_per_key, body.key_variable, body.key_header)
    return _json(await store_of(request).set_limits(job_type, body.max_active, body.rate, keyed))


async def delete_limits(request: Request) -> Response:
    await store_of(request).clear_limits(job_type_param(request))
    return Response(status_code=204)


ROUTES = [
    Route("/v2/ext/job-types/limits", list_limits, methods=["GET"]),
    Route(LIMITS_PATH, get_limits, methods=["GET"]),
    Route(LIMITS_PATH, put_limits, methods=["PUT"]),
    Route(LIMITS_PATH, delete_limits, methods=["DELETE"]),
]
