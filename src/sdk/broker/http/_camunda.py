"""The Camunda 8 REST v2 job surface, exactly as a real cluster speaks it."""

from __future__ import annotations

import anyio
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ... import __version__
from ...models import (
    BrokerInfo,
    JobActivationRequest,
    JobActivationResult,
    JobCompletionRequest,
    JobErrorRequest,
    JobFailRequest,
    JobUpdateRequest,
    Partition,
    TopologyResponse,
)
from .._problems import BrokerError, InvalidRequest
from ..store import Activation, Failure, JobStore
from ._request import job_key_param, read_model, store_of

DEFAULT_REQUEST_TIMEOUT_MS = 10_000
"""What ``requestTimeout`` 0 (or absent) means, as on a Camunda gateway."""
MAX_JOBS_PER_ACTIVATION = 10_000
EMULATED_API = "8.8.0"
"""The Camunda API level whose job surface this broker speaks."""

NO_CONTENT = 204


def _json(body: bytes) -> Response:
    return Response(body, media_type="application/json")


async def activate_jobs(request: Request) -> Response:
    body = await read_model(request, JobActivationRequest)
    if body.tenant_filter is not None and body.tenant_filter.upper() not in {
        "PROVIDED",
        "ASSIGNED",
    }:
        raise InvalidRequest("tenantFilter: must be PROVIDED or ASSIGNED")
    timeout_ms = body.request_timeout
    if not timeout_ms:
        timeout_ms = DEFAULT_REQUEST_TIMEOUT_MS
    query = Activation(
        job_type=body.type,
        worker=body.worker or "",
        timeout_ms=body.timeout,
        max_jobs=min(body.max_jobs_to_activate, MAX_JOBS_PER_ACTIVATION),
        fetch_variables=body.fetch_variable,
        tenant_ids=body.tenant_ids,
        with_lease=bool(body.with_lease),
    )
    store = store_of(request)
    gone = anyio.Event()
    refused: BrokerError | None = None
    async with anyio.create_task_group() as tg:
        tg.start_soon(_watch_disconnect, request, gone, store, body.type)
        try:
            jobs = await store.activate(query, max(timeout_ms, 0), client_gone=gone)
        except BrokerError as exc:  # e.g. the database went away: raised past the group, it
            refused, jobs = exc, []  # is answered as itself (a 503), not as a group's 500
        tg.cancel_scope.cancel()
    if refused is not None:
        raise refused
    result = JobActivationResult(jobs=jobs)  # leased jobs carry one more field: serialise as any
    return _json(result.model_dump_json(by_alias=True, serialize_as_any=True).encode())


async def _watch_disconnect(
    request: Request, gone: anyio.Event, store: JobStore, job_type: str
) -> None:
    """Mark a long poll whose client went away, so it stops waiting and activates nothing.

    A worker that stops cancels its poll; without this, the broker would activate the next
    job into the closed connection, where it would stay locked until its timeout.
    """
    while (await request.receive())["type"] != "http.disconnect":
        pass
    gone.set()
    store.notifier.notify(job_type)  # wake the wait; other waiters just look again


async def complete_job(request: Request) -> Response:
    key = job_key_param(request)
    body = await read_model(request, JobCompletionRequest, required=False)
    await store_of(request).complete(key, body.variables, body.lease_token)
    return Response(status_code=NO_CONTENT)


async def fail_job(request: Request) -> Response:
    key = job_key_param(request)
    body = await read_model(request, JobFailRequest, required=False)
    failure = Failure(body.retries, body.error_message, body.retry_back_off, body.variables)
    await store_of(request).fail(key, failure, body.lease_token)
    return Response(status_code=NO_CONTENT)


async def throw_job_error(request: Request) -> Response:
    key = job_key_param(request)
    body = await read_model(request, JobErrorRequest)
    await store_of(request).throw_error(
        key, body.error_code, body.error_message, body.variables, body.lease_token
    )
    return Response(status_code=NO_CONTENT)


async def update_job(request: Request) -> Response:
    key = job_key_param(request)
    body = await read_model(request, JobUpdateRequest)
    change = body.changeset
    if change.retries is None and change.timeout is None:
        raise InvalidRequest("changeset: set at least one of retries and timeout")
    await store_of(request).update(key, change.retries, change.timeout, body.lease_token)
    return Response(status_code=NO_CONTENT)


async def topology(request: Request) -> Response:
    host = request.url.hostname or "localhost"
    port = request.url.port or 80
    body = TopologyResponse(
        brokers=[
            BrokerInfo(
                node_id=0,
                broker_id="0",
                host=host,
                port=port,
                partitions=[Partition(partition_id=1)],
                version=EMULATED_API,
            )
        ],
        cluster_id=f"sdk-broker/{__version__}",
        gateway_version=EMULATED_API,
        last_completed_change_id="-1",
    )
    return _json(body.to_wire())


ROUTES = [
    Route("/v2/jobs/activation", activate_jobs, methods=["POST"]),
    Route("/v2/jobs/{job_key}/completion", complete_job, methods=["POST"]),
    Route("/v2/jobs/{job_key}/failure", fail_job, methods=["POST"]),
    Route("/v2/jobs/{job_key}/error", throw_job_error, methods=["POST"]),
    Route("/v2/jobs/{job_key}", update_job, methods=["PATCH"]),
    Route("/v2/topology", topology, methods=["GET"]),
]
