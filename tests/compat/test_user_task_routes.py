"""The broker's user-task routes and element-instance variables against the upstream Camunda v2
processes spec (read from ``shared/``, never copied; skipped without it): each route is a spec
operation, and a user task carries every field the spec requires."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import pytest
import yaml

from sdk.broker import RunningBroker
from sdk.broker.http._user_tasks import ROUTES
from sdk.testing import client_for, wait_until

from _support.shared import PROCESSES_SPEC

pytestmark = pytest.mark.anyio

Spec = Mapping[str, Any]
NS = (
    'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
    ' xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"'
)
MODEL = (
    f'<?xml version="1.0"?><bpmn:definitions {NS} id="d"><bpmn:process id="u" isExecutable="true">'
    '<bpmn:startEvent id="s"/><bpmn:userTask id="t"><bpmn:extensionElements><zeebe:userTask/>'
    '</bpmn:extensionElements></bpmn:userTask><bpmn:endEvent id="e"/>'
    '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
    '<bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/></bpmn:process></bpmn:definitions>'
).encode()


@pytest.fixture(scope="module")
def spec() -> Spec:
    if PROCESSES_SPEC is None:
        pytest.skip("Camunda v2 processes spec not found in a shared/ folder")
    with PROCESSES_SPEC.open(encoding="utf-8") as fh:
        loaded: Spec = yaml.safe_load(fh)
    return loaded


def _template(path: str) -> str:
    def camel(name: str) -> str:
        head, *rest = name.split("_")
        return head + "".join(part.title() for part in rest)

    parts = path.removeprefix("/v2").split("/")
    return "/".join("{" + camel(p[1:-1]) + "}" if p.startswith("{") else p for p in parts)


def test_every_route_is_a_spec_operation(spec: Spec) -> None:
    for route in ROUTES:
        for method in (route.methods or set()) - {"HEAD"}:
            path = _template(route.path)
            assert method.lower() in spec["paths"].get(path, {}), (method, path)


def _resolve(spec: Spec, schema: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in schema:
        node: Any = spec
        for part in str(schema["$ref"]).removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


async def test_a_user_task_carries_the_required_fields(
    spec: Spec, sdk_broker: RunningBroker
) -> None:
    async with client_for(sdk_broker) as client:
        await client.deploy_resources({"u.bpmn": MODEL})
        await client.create_process_instance(process_definition_id="u")
        found = await wait_until(lambda: _first(client))
    operation = spec["paths"]["/user-tasks/{userTaskKey}"]["get"]
    schema = _resolve(spec, operation["responses"]["200"]["content"]["application/json"]["schema"])
    async with httpx.AsyncClient(base_url=sdk_broker.url) as http:
        answer = (await http.get(f"/user-tasks/{found}")).json()
        completed = await http.post(f"/user-tasks/{found}/completion", json={})
        again = await http.post(f"/user-tasks/{found}/completion", json={})
    missing = set(schema.get("required", [])) - set(answer)
    assert not missing, missing
    responses = spec["paths"]["/user-tasks/{userTaskKey}/completion"]["post"]["responses"]
    assert completed.status_code == 204 and str(again.status_code) in responses


async def _first(client: Any) -> str | None:
    tasks = await client.search_user_tasks()
    return str(tasks.items[0].user_task_key) if tasks.items else None
