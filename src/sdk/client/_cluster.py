"""Calls for driving a real Camunda 8 cluster end to end: the server check, deploy, start.

Shaped exactly as the v2 spec says; the embedded broker answers the deployment, definition
and resource calls too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import anyio
import httpx

from ..errors import ProtocolError
from ..models import (
    CreateProcessInstanceResult,
    DeleteResourceRequest,
    DeleteResourceResponse,
    DeploymentResult,
    ProcessDefinitionResult,
    ProcessDefinitionSearchQuery,
    ProcessDefinitionSearchQueryResult,
    ProcessInstanceCreationInstruction,
    ProcessInstanceCreationStartInstruction,
    ResourceResult,
    TopologyResponse,
)
from ._calls import LONG_POLL_MARGIN_S, NOT_CAMUNDA, Call, Files

MIN_GATEWAY_VERSION = (8, 6)
"""The first Camunda release whose REST API has the v2 job endpoints."""
_VERSION = re.compile(r"^(\d+)\.(\d+)")
_LONG_KEY = re.compile(r"-?[0-9]{1,24}")
AWAIT_COMPLETION_DEFAULT_S = 60.0
"""Read timeout base when awaiting completion with the cluster's default request timeout."""


def server_check() -> Call[TopologyResponse]:
    """GET /v2/topology, answered by a Camunda 8.6+ gateway or the sdk broker, or a clear error."""
    return Call(
        "GET",
        "/topology",
        _checked_topology,
        idempotent=True,
        unsupported=dict.fromkeys((404, 405, 406, 415), NOT_CAMUNDA),
    )


def _checked_topology(response: httpx.Response) -> TopologyResponse:
    where = f"GET {response.request.url}"
    try:
        body = json.loads(response.content)
    except ValueError:
        kind = response.headers.get("content-type", "no content type")
        raise ProtocolError(
            f"{where} answered {response.status_code} with {kind}, not JSON: this is not the"
            " REST API of a Camunda 8 cluster; check CAMUNDA_REST_ADDRESS (it should end in /v2)",
            status=response.status_code,
        ) from None
    if not isinstance(body, dict) or not {"brokers", "gatewayVersion"} <= set(body):
        raise ProtocolError(
            f"{where} answered JSON without brokers and gatewayVersion: not a Camunda v2"
            " topology; check CAMUNDA_REST_ADDRESS",
            status=response.status_code,
        )
    topology = TopologyResponse.model_validate(body)
    match = _VERSION.match(topology.gateway_version)
    if match and (int(match[1]), int(match[2])) < MIN_GATEWAY_VERSION:
        wanted = ".".join(map(str, MIN_GATEWAY_VERSION))
        raise ProtocolError(
            f"the gateway at {response.request.url.copy_with(path='/')} is Camunda"
            f" {topology.gateway_version}; the v2 job API needs {wanted} or newer",
            status=response.status_code,
        )
    return topology


# -- deployments ---------------------------------------------------------------------------------


def deploy_resources(files: Files, tenant_id: str | None) -> Call[DeploymentResult]:
    """POST /v2/deployments: one multipart part named ``resources`` per file."""
    if not files:
        raise ValueError("deploy_resources_from_files needs at least one file")
    return Call(
        "POST",
        "/deployments",
        lambda r: DeploymentResult.model_validate_json(r.content),
        files=files,
        form={"tenantId": tenant_id} if tenant_id is not None else None,
    )


def resource_parts(resources: Mapping[str, bytes] | Sequence[tuple[str, bytes]]) -> Files:
    """In-memory resources ``{file name: bytes}`` as multipart parts."""
    items = list(resources.items()) if isinstance(resources, Mapping) else list(resources)
    return [_part(Path(name), bytes(content)) for name, content in items]


def search_process_definitions(
    query: ProcessDefinitionSearchQuery,
) -> Call[ProcessDefinitionSearchQueryResult]:
    """POST /v2/process-definitions/search (reads only: safe to repeat)."""
    return Call(
        "POST",
        "/process-definitions/search",
        lambda r: ProcessDefinitionSearchQueryResult.model_validate_json(r.content),
        query,
        idempotent=True,
    )


def _long_key(value: str | int, what: str) -> str:
    text = str(value).strip()
    if not _LONG_KEY.fullmatch(text):
        raise ValueError(f"invalid {what} {value!r}: expected a decimal integer")
    return text


def get_process_definition(key: str | int) -> Call[ProcessDefinitionResult]:
    return Call(
        "GET",
        f"/process-definitions/{_long_key(key, 'process definition key')}",
        lambda r: ProcessDefinitionResult.model_validate_json(r.content),
        idempotent=True,
    )


def get_process_definition_xml(key: str | int) -> Call[str]:
    return Call(
        "GET",
        f"/process-definitions/{_long_key(key, 'process definition key')}/xml",
        lambda r: r.content.decode("utf-8"),
        idempotent=True,
    )


def get_resource(key: str | int) -> Call[ResourceResult]:
    return Call(
        "GET",
        f"/resources/{_long_key(key, 'resource key')}",
        lambda r: ResourceResult.model_validate_json(r.content),
        idempotent=True,
    )


def get_resource_content(key: str | int) -> Call[bytes]:
    return Call(
        "GET",
        f"/resources/{_long_key(key, 'resource key')}/content",
        lambda r: r.content,
        idempotent=True,
    )


def delete_resource(key: str | int, delete_history: bool) -> Call[DeleteResourceResponse]:
    body = DeleteResourceRequest(delete_history=True if delete_history else None)
    return Call(
        "POST",
        f"/resources/{_long_key(key, 'resource key')}/deletion",
        lambda r: DeleteResourceResponse.model_validate_json(r.content),
        body,
    )


def read_resources(paths: Sequence[str | Path]) -> Files:
    """The files to deploy, named by their base name (blocking: the sync client's way)."""
    return [_part(Path(p), Path(p).read_bytes()) for p in paths]


async def aread_resources(paths: Sequence[str | Path]) -> Files:
    """The files to deploy, read off the event loop (the async client's way)."""
    return [_part(Path(p), await anyio.Path(p).read_bytes()) for p in paths]


def _part(path: Path, content: bytes) -> tuple[str, tuple[str, bytes, str | None]]:
    return ("resources", (path.name, content, None))  # None: httpx guesses from the name


# -- process instances --------------------------------------------------------------------------


def create_process_instance(
    *,
    process_definition_id: str | None,
    process_definition_key: str | int | None,
    version: int | None,
    variables: Mapping[str, Any] | None,
    tenant_id: str | None,
    start_before: Sequence[str] | None,
    await_completion: bool,
    fetch_variables: Sequence[str] | None,
    request_timeout_ms: int | None,
    tags: Sequence[str] | None,
    business_id: str | None,
) -> Call[CreateProcessInstanceResult]:
    """POST /v2/process-instances, by key or by BPMN process id (and version)."""
    if process_definition_key is not None and version is not None:
        # Camunda ignores a version given with a key; a caller giving both meant something else
        raise ValueError("version goes with process_definition_id, not process_definition_key")
    body = ProcessInstanceCreationInstruction(
        process_definition_id=process_definition_id,
        process_definition_key=None
        if process_definition_key is None
        else str(process_definition_key),
        process_definition_version=version,
        variables=dict(variables) if variables is not None else None,
        tenant_id=tenant_id,
        start_instructions=[
            ProcessInstanceCreationStartInstruction(element_id=e) for e in start_before
        ]
        if start_before
        else None,
        await_completion=True if await_completion else None,
        fetch_variables=list(fetch_variables) if fetch_variables is not None else None,
        request_timeout=request_timeout_ms,
        tags=list(tags) if tags is not None else None,
        business_id=business_id,
    )
    read_timeout_s = None
    if await_completion:
        wait_s = (request_timeout_ms or 0) / 1000 or AWAIT_COMPLETION_DEFAULT_S
        read_timeout_s = wait_s + LONG_POLL_MARGIN_S
    return Call(
        "POST",
        "/process-instances",
        lambda r: CreateProcessInstanceResult.model_validate_json(r.content),
        body,
        read_timeout_s=read_timeout_s,
    )
