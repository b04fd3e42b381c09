"""``POST /v2/ext/jobs/bulk``: an operator's retry or cancel of every job a filter matches."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...models import BulkJobsRequest
from ..store import run_bulk
from ._request import read_model, store_of

BULK_PATH = "/v2/ext/jobs/bulk"


async def bulk_jobs(request: Request) -> Response:
    body = await read_model(request, BulkJobsRequest)
    result = await run_bulk(store_of(request), body)
    return Response(result.to_wire(), media_type="application/json")


ROUTES = [Route(BULK_PATH, bulk_jobs, methods=["POST"])]
