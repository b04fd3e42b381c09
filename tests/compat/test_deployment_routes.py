"""The broker's deployment, definition and resource routes against the upstream Camunda v2
processes spec (read from ``shared/`` beside the repository, never copied; skipped without it):
each route is a spec operation, and each answer carries the fields the spec requires."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from sdk.broker import RunningBroker
from sdk.broker.http._deployments import ROUTES
from sdk.testing import client_for

from _support.bpmn_models import model

pytestmark = pytest.mark.anyio

SPEC_NAME = "camunda-v2-processes.openapi.yaml"
NOT_IN_THE_SPEC = {("GET", "/resources/{resourceKey}/content")}
"""Camunda 8.8 serves it; the cut of the spec in shared/ leaves it out."""
Spec = Mapping[str, Any]


@pytest.fixture(scope="module")
def spec() -> Spec:
    for folder in Path(__file__).resolve().parents:
        candidate = folder / "shared" / SPEC_NAME
        if candidate.is_file():
            with candidate.open(encoding="utf-8") as fh:
                loaded: Spec = yaml.safe_load(fh)
            return loaded
    pytest.skip(f"Camunda v2 processes spec ({SPEC_NAME}) not found in a shared/ folder")


def _template(path: str) -> str:
    return re.sub(r"\{([a-z_]+)\}", lambda m: "{" + _camel(m[1]) + "}", path.removeprefix("/v2"))


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def test_every_route_is_a_spec_operation(spec: Spec) -> None:
    served = {
        (method, _template(route.path))
        for route in ROUTES
        for method in (route.methods or set()) - {"HEAD"}
    }
    missing = {
        (method, path)
        for method, path in served - NOT_IN_THE_SPEC
        if method.lower() not in spec["paths"].get(path, {})
    }
    assert not missing, missing


def _resolve(spec: Spec, schema: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in schema:
        node: Any = spec
        for part in str(schema["$ref"]).removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def _required(spec: Spec, schema: Mapping[str, Any]) -> set[str]:
    schema = _resolve(spec, schema)
    names = set(schema.get("required", []))
    for part in schema.get("allOf", []):
        names |= _required(spec, part)
    return names


def _answer_schema(spec: Spec, method: str, path: str) -> Mapping[str, Any]:
    operation = spec["paths"][path][method.lower()]
    return _resolve(spec, operation["responses"]["200"]["content"]["application/json"]["schema"])


async def test_answers_carry_every_required_field(spec: Spec, sdk_broker: RunningBroker) -> None:
    async with client_for(sdk_broker) as client:
        await client.deploy_resources({"order.bpmn": model()})
    async with httpx.AsyncClient(base_url=sdk_broker.url) as http:
        await _check_answers(spec, http)


async def _check_answers(spec: Spec, http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/deployments", files=[("resources", ("order.bpmn", model(), "application/xml"))]
    )
    deployed = response.json()
    schema = _answer_schema(spec, "POST", "/deployments")
    assert _required(spec, schema) <= set(deployed)
    item_schema = _resolve(spec, schema["properties"]["deployments"]["items"])
    assert _required(spec, item_schema) <= set(deployed["deployments"][0])
    process_schema = item_schema["properties"]["processDefinition"]
    process = deployed["deployments"][0]["processDefinition"]
    assert _required(spec, process_schema) <= set(process)
    key = process["processDefinitionKey"]

    found = (await http.post("/process-definitions/search", json={})).json()
    search_schema = _answer_schema(spec, "POST", "/process-definitions/search")
    assert _required(spec, search_schema) <= set(found)
    one = (await http.get(f"/process-definitions/{key}")).json()
    one_schema = _answer_schema(spec, "GET", "/process-definitions/{processDefinitionKey}")
    assert _required(spec, one_schema) <= set(one)
    assert found["items"] == [one]
    resource = (await http.get(f"/resources/{key}")).json()
    assert _required(spec, _answer_schema(spec, "GET", "/resources/{resourceKey}")) <= set(resource)
    deleted = (await http.post(f"/resources/{key}/deletion")).json()
    deletion_schema = _answer_schema(spec, "POST", "/resources/{resourceKey}/deletion")
    assert _required(spec, deletion_schema) <= set(deleted)
