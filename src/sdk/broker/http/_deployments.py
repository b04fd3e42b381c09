"""Camunda's deployment, resource and process-definition routes.

``POST /v2/deployments`` takes a multipart upload (``resources`` parts, an optional
``tenantId``), checks every BPMN file as Zeebe does and stores them in one transaction; a
refusal is a 400 whose ``detail`` names each resource and each problem (element id, type, what
is wrong). Definitions are searched in memory: a broker holds a few versions per process.
"""

from __future__ import annotations

import email.parser
import email.policy
import re
from collections.abc import Callable, Sequence
from email.message import EmailMessage
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...models import (
    DEFAULT_TENANT,
    DeleteResourceRequest,
    DeleteResourceResponse,
    DeploymentMetadataResult,
    DeploymentProcessResult,
    DeploymentResult,
    EqualityFilter,
    ProcessDefinitionFilter,
    ProcessDefinitionKey,
    ProcessDefinitionResult,
    ProcessDefinitionSearchQuery,
    ProcessDefinitionSearchQueryResult,
    ProcessDefinitionState,
    ResourceKey,
    ResourceResult,
    SortOrder,
)
from .._problems import InvalidRequest, NotFound, PayloadTooLarge
from ..store import ProcessDefinitionRecord, latest_versions
from ._query import matches, paginate
from ._request import INT64_MAX, read_model, store_of

MAX_DEPLOYMENT_BYTES = 16 * 1024 * 1024
"""Largest upload (all parts together); each BPMN resource is bounded at 4 MiB by the parser."""
MAX_RESOURCES = 100
_TENANT = re.compile(r"^(<default>|[\w.\-]{1,31})$")
_KEY = re.compile(r"[0-9]{1,19}")


def _json(body: bytes) -> Response:
    return Response(body, media_type="application/json")


def _key_param(request: Request, name: str, what: str) -> int:
    raw = request.path_params[name]
    if not _KEY.fullmatch(raw) or int(raw) > INT64_MAX:
        raise InvalidRequest(f"{what} {raw!r} is not a valid key (a positive 64-bit integer)")
    return int(raw)


# -- POST /v2/deployments -------------------------------------------------------------------


async def _read_upload(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_DEPLOYMENT_BYTES:
        raise PayloadTooLarge(f"the deployment exceeds {MAX_DEPLOYMENT_BYTES} bytes")
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > MAX_DEPLOYMENT_BYTES:
            raise PayloadTooLarge(f"the deployment exceeds {MAX_DEPLOYMENT_BYTES} bytes")
    return bytes(received)


def parse_multipart(content_type: str, body: bytes) -> tuple[list[tuple[str, bytes]], str | None]:
    """The ``resources`` file parts ``(file name, bytes)`` and the ``tenantId`` field."""
    if not content_type.lower().startswith("multipart/form-data") or "boundary=" not in (
        content_type.lower()
    ):
        raise InvalidRequest(
            "send the resources as multipart/form-data, one part named 'resources' per file"
        )
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise InvalidRequest("the multipart body could not be read")
    resources: list[tuple[str, bytes]] = []
    tenant: str | None = None
    for part in message.iter_parts():
        assert isinstance(part, EmailMessage)
        field = part.get_param("name", header="content-disposition")
        filename = part.get_filename()
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if field == "tenantId" and filename is None:
            tenant = data.decode("utf-8", "replace").strip()
        elif field == "resources":
            if not filename:
                raise InvalidRequest("each 'resources' part needs a file name")
            resources.append((str(filename), data))
        else:
            raise InvalidRequest(f"unknown part {field!r}: send 'resources' and 'tenantId'")
    return resources, tenant


async def create_deployment(request: Request) -> Response:
    body = await _read_upload(request)
    resources, tenant = parse_multipart(request.headers.get("content-type", ""), body)
    if not resources:
        raise InvalidRequest("No resources given: send at least one part named 'resources'")
    if len(resources) > MAX_RESOURCES:
        raise InvalidRequest(f"at most {MAX_RESOURCES} resources per deployment")
    tenant_id = tenant or DEFAULT_TENANT
    if not _TENANT.fullmatch(tenant_id):
        raise InvalidRequest(f"tenantId {tenant_id!r} is not a valid tenant id")
    record = await store_of(request).deploy(resources, tenant_id)
    result = DeploymentResult(
        deployment_key=str(record.key),
        tenant_id=record.tenant_id,
        deployments=[
            DeploymentMetadataResult(
                process_definition=DeploymentProcessResult(
                    process_definition_id=d.bpmn_process_id,
                    process_definition_key=str(d.key),
                    process_definition_version=d.version,
                    resource_name=d.resource_name,
                    tenant_id=d.tenant_id,
                )
            )
            for d in record.processes
        ],
    )
    return _json(result.model_dump_json(by_alias=True).encode())


# -- process definitions --------------------------------------------------------------------


def definition_result(record: ProcessDefinitionRecord) -> ProcessDefinitionResult:
    return ProcessDefinitionResult(
        process_definition_key=ProcessDefinitionKey(str(record.key)),
        process_definition_id=record.bpmn_process_id,
        name=record.name,
        resource_name=record.resource_name,
        version=record.version,
        version_tag=record.version_tag,
        tenant_id=record.tenant_id,
        has_start_form=False,
        state=ProcessDefinitionState.DELETED if record.deleted else ProcessDefinitionState.ACTIVE,
    )


def _matches(condition: EqualityFilter[Any] | str | None, value: Any) -> bool:
    """A filter property of the definitions search: a plain value or an operator object."""
    if condition is None:
        return True
    if isinstance(condition, EqualityFilter):
        return matches(value, condition.model_dump(by_alias=True, exclude_none=True, mode="json"))
    return bool(value == condition)


def _selected(
    records: Sequence[ProcessDefinitionRecord], query: ProcessDefinitionFilter | None
) -> list[ProcessDefinitionRecord]:
    latest = latest_versions(records)
    if query is None:
        return list(records)
    state = None if query.state is None else ProcessDefinitionState(query.state)
    return [
        r
        for r in records
        if _matches(query.name, r.name)
        and _matches(query.process_definition_id, r.bpmn_process_id)
        and (query.is_latest_version is None or (r.key in latest) == query.is_latest_version)
        and (query.resource_name is None or r.resource_name == query.resource_name)
        and (query.version is None or r.version == query.version)
        and (query.version_tag is None or r.version_tag == query.version_tag)
        and (query.tenant_id is None or r.tenant_id == query.tenant_id)
        and (query.process_definition_key is None or str(r.key) == query.process_definition_key)
        and (query.has_start_form is None or query.has_start_form is False)
        and (
            state is None
            or (
                (state is ProcessDefinitionState.DELETED) == r.deleted
                and state is not ProcessDefinitionState.DRAINING
            )
        )
    ]


_SORT_KEYS: dict[str, Callable[[ProcessDefinitionRecord], Any]] = {
    "processDefinitionKey": lambda r: r.key,
    "name": lambda r: r.name or "",
    "resourceName": lambda r: r.resource_name,
    "version": lambda r: r.version,
    "versionTag": lambda r: r.version_tag or "",
    "processDefinitionId": lambda r: r.bpmn_process_id,
    "tenantId": lambda r: r.tenant_id,
}


async def search_process_definitions(request: Request) -> Response:
    query = await read_model(request, ProcessDefinitionSearchQuery, required=False)
    records = _selected(await store_of(request).process_definitions(), query.filter)
    records.sort(key=_SORT_KEYS["processDefinitionKey"])
    for sort in reversed(query.sort or []):  # stable sorts: the first criterion wins
        records.sort(key=_SORT_KEYS[sort.field], reverse=sort.order is SortOrder.DESC)
    items, page = paginate(records, query.page)
    result = ProcessDefinitionSearchQueryResult(
        items=[definition_result(r) for r in items], page=page
    )
    return _json(result.model_dump_json(by_alias=True).encode())


async def get_process_definition(request: Request) -> Response:
    key = _key_param(request, "process_definition_key", "processDefinitionKey")
    record = await store_of(request).process_definition(key)
    return _json(definition_result(record).model_dump_json(by_alias=True).encode())


async def get_process_definition_xml(request: Request) -> Response:
    key = _key_param(request, "process_definition_key", "processDefinitionKey")
    store = store_of(request)
    await store.process_definition(key)  # 404 names the definition
    return Response(await store.resource_content(key), media_type="text/xml")


# -- resources ------------------------------------------------------------------------------


async def get_resource(request: Request) -> Response:
    key = _key_param(request, "resource_key", "resourceKey")
    try:
        record = await store_of(request).process_definition(key)
    except NotFound:
        raise NotFound(f"Resource with key '{key}' not found") from None
    result = ResourceResult(
        resource_key=ResourceKey(str(record.key)),
        resource_id=record.bpmn_process_id,
        resource_name=record.resource_name,
        version=record.version,
        version_tag=record.version_tag,
        tenant_id=record.tenant_id,
    )
    return _json(result.model_dump_json(by_alias=True).encode())


async def get_resource_content(request: Request) -> Response:
    key = _key_param(request, "resource_key", "resourceKey")
    content = await store_of(request).resource_content(key)
    return Response(content, media_type="application/octet-stream")


async def delete_resource(request: Request) -> Response:
    key = _key_param(request, "resource_key", "resourceKey")
    await read_model(request, DeleteResourceRequest, required=False)
    await store_of(request).delete_process_definition(key)
    result = DeleteResourceResponse(resource_key=ResourceKey(str(key)))
    return _json(result.model_dump_json(by_alias=True).encode())


ROUTES = [
    Route("/v2/deployments", create_deployment, methods=["POST"]),
    Route("/v2/process-definitions/search", search_process_definitions, methods=["POST"]),
    Route("/v2/process-definitions/{process_definition_key}", get_process_definition),
    Route("/v2/process-definitions/{process_definition_key}/xml", get_process_definition_xml),
    Route("/v2/resources/{resource_key}", get_resource),
    Route("/v2/resources/{resource_key}/content", get_resource_content),
    Route("/v2/resources/{resource_key}/deletion", delete_resource, methods=["POST"]),
]
