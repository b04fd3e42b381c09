"""Camunda's process-instance routes, and those of what an instance is made of: element
instances, variables, incidents, and Camunda's own job search.

Commands go to the store's process face (``JobStore.processes``), each one transaction;
searches take Camunda's ``{filter, sort, page}`` and are answered from the projections
(``_query.py``).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...models import (
    CancelProcessInstanceRequest,
    ElementInstanceSearchQuery,
    IncidentResolutionRequest,
    IncidentSearchQuery,
    JobSearchQuery,
    ProcessInstanceCreationInstruction,
    ProcessInstanceElementStatisticsQueryResult,
    ProcessInstanceSearchQuery,
    ProcessInstanceSequenceFlowsQueryResult,
    VariableSearchQuery,
)
from .._problems import InvalidRequest
from ._query import search
from ._request import INT64_MAX, read_model, store_of

_KEY = re.compile(r"[0-9]{1,19}")


def _json(model: BaseModel | dict[str, Any], status: int = 200) -> Response:
    if isinstance(model, BaseModel):
        body = model.model_dump_json(by_alias=True).encode()
    else:
        import json

        body = json.dumps(model, separators=(",", ":")).encode()
    return Response(body, status_code=status, media_type="application/json")


def _key(request: Request, name: str, what: str) -> int:
    raw = request.path_params[name]
    if not _KEY.fullmatch(raw) or int(raw) > INT64_MAX:
        raise InvalidRequest(f"{what} {raw!r} is not a valid key (a positive 64-bit integer)")
    return int(raw)


# -- process instances ------------------------------------------------------------------------


async def create_process_instance(request: Request) -> Response:
    body = await read_model(request, ProcessInstanceCreationInstruction)
    result = await store_of(request).processes.create(body)
    return _json(result)


async def get_process_instance(request: Request) -> Response:
    key = _key(request, "process_instance_key", "processInstanceKey")
    return _json(await store_of(request).processes.instance(key))


def _searcher(
    kind: str,
    query_model: type[BaseModel],
    default_sort: str,
    instance_param: str | None = None,
) -> Callable[[Request], Awaitable[Response]]:
    async def route(request: Request) -> Response:
        instance = None
        if instance_param is not None:
            instance = _key(request, instance_param, "processInstanceKey")
            await store_of(request).processes.instance(instance)
        query = await read_model(request, query_model, required=False)
        wanted: BaseModel | None = getattr(query, "filter", None)
        conditions = None
        if wanted is not None:  # its common filters also run in SQL (``store/_prefilter.py``)
            conditions = wanted.model_dump(by_alias=True, exclude_none=True, mode="json")
        items = await store_of(request).processes.all(kind, instance, conditions)
        chosen, page = search(items, query, default_sort=default_sort)
        return _json({"items": chosen, "page": page.model_dump(by_alias=True, mode="json")})

    return route


async def cancel_process_instance(request: Request) -> Response:
    key = _key(request, "process_instance_key", "processInstanceKey")
    await read_model(request, CancelProcessInstanceRequest, required=False)
    await store_of(request).processes.cancel(key)
    return Response(status_code=204)


async def sequence_flows(request: Request) -> Response:
    key = _key(request, "process_instance_key", "processInstanceKey")
    items = await store_of(request).processes.sequence_flows(key)
    return _json(ProcessInstanceSequenceFlowsQueryResult(items=items))


async def element_statistics(request: Request) -> Response:
    key = _key(request, "process_instance_key", "processInstanceKey")
    items = await store_of(request).processes.element_statistics(key)
    return _json(ProcessInstanceElementStatisticsQueryResult(items=items))


# -- element instances, incidents, variables ----------------------------------------------------


async def get_element_instance(request: Request) -> Response:
    key = _key(request, "element_instance_key", "elementInstanceKey")
    return _json(await store_of(request).processes.element(key))


async def get_incident(request: Request) -> Response:
    key = _key(request, "incident_key", "incidentKey")
    return _json(await store_of(request).processes.incident(key))


async def resolve_incident(request: Request) -> Response:
    key = _key(request, "incident_key", "incidentKey")
    await read_model(request, IncidentResolutionRequest, required=False)
    await store_of(request).processes.resolve_incident(key)
    return Response(status_code=204)


async def get_variable(request: Request) -> Response:
    key = _key(request, "variable_key", "variableKey")
    return _json(await store_of(request).processes.variable(key))


ROUTES = [
    Route("/v2/process-instances", create_process_instance, methods=["POST"]),
    Route(
        "/v2/process-instances/search",
        _searcher("instance", ProcessInstanceSearchQuery, "processInstanceKey"),
        methods=["POST"],
    ),
    Route("/v2/process-instances/{process_instance_key}", get_process_instance),
    Route(
        "/v2/process-instances/{process_instance_key}/cancellation",
        cancel_process_instance,
        methods=["POST"],
    ),
    Route(
        "/v2/process-instances/{process_instance_key}/incidents/search",
        _searcher("incident", IncidentSearchQuery, "incidentKey", "process_instance_key"),
        methods=["POST"],
    ),
    Route("/v2/process-instances/{process_instance_key}/sequence-flows", sequence_flows),
    Route(
        "/v2/process-instances/{process_instance_key}/statistics/element-instances",
        element_statistics,
    ),
    Route(
        "/v2/element-instances/search",
        _searcher("element", ElementInstanceSearchQuery, "elementInstanceKey"),
        methods=["POST"],
    ),
    Route("/v2/element-instances/{element_instance_key}", get_element_instance),
    Route(
        "/v2/incidents/search",
        _searcher("incident", IncidentSearchQuery, "incidentKey"),
        methods=["POST"],
    ),
    Route("/v2/incidents/{incident_key}", get_incident),
    Route("/v2/incidents/{incident_key}/resolution", resolve_incident, methods=["POST"]),
    Route(
        "/v2/variables/search",
        _searcher("variable", VariableSearchQuery, "variableKey"),
        methods=["POST"],
    ),
    Route("/v2/variables/{variable_key}", get_variable),
    Route("/v2/jobs/search", _searcher("job", JobSearchQuery, "jobKey"), methods=["POST"]),
]
