"""The broker's process-instance, element-instance, incident, variable and job search routes
against the upstream Camunda v2 processes spec (read from ``shared/``, never copied; skipped
without it): each route is a spec operation, and each answer carries the spec's required
fields."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import httpx
import pytest
import yaml

from sdk.broker import RunningBroker
from sdk.broker.http._messages import ROUTES as MESSAGE_ROUTES
from sdk.broker.http._processes import ROUTES
from sdk.testing import client_for

from _support.shared import PROCESSES_SPEC

pytestmark = pytest.mark.anyio

Spec = Mapping[str, Any]
NS = (
    'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
    ' xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"'
)
MODEL = (
    f'<?xml version="1.0"?><bpmn:definitions {NS} id="d"><bpmn:process id="p" isExecutable="true">'
    '<bpmn:startEvent id="s"/><bpmn:serviceTask id="t"><bpmn:extensionElements>'
    '<zeebe:taskDefinition type="t" retries="1"/></bpmn:extensionElements></bpmn:serviceTask>'
    '<bpmn:endEvent id="e"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
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
    return re.sub(r"\{([a-z_]+)\}", lambda m: "{" + _camel(m[1]) + "}", path.removeprefix("/v2"))


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def test_every_route_is_a_spec_operation(spec: Spec) -> None:
    served = {
        (method, _template(route.path))
        for route in [*ROUTES, *MESSAGE_ROUTES]
        for method in (route.methods or set()) - {"HEAD"}
    }
    missing = {
        (method, path)
        for method, path in served
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


def _check(spec: Spec, method: str, path: str, answer: Mapping[str, Any]) -> None:
    operation = spec["paths"][path][method.lower()]
    schema = _resolve(spec, operation["responses"]["200"]["content"]["application/json"]["schema"])
    assert _required(spec, schema) <= set(answer), (path, _required(spec, schema) - set(answer))
    items = schema.get("properties", {}).get("items")
    if items is None:
        for part in schema.get("allOf", []):
            items = _resolve(spec, part).get("properties", {}).get("items", items)
    if items is not None and answer.get("items"):
        item_schema = _resolve(spec, items)["items"]
        for item in answer["items"]:
            missing = _required(spec, item_schema) - set(item)
            assert not missing, (path, missing)


async def test_answers_carry_every_required_field(spec: Spec, sdk_broker: RunningBroker) -> None:
    async with client_for(sdk_broker) as client:
        await client.deploy_resources({"p.bpmn": MODEL})
        created = await client.create_process_instance(process_definition_id="p")
        (job,) = await client.activate_jobs("t", max_jobs=1, timeout_ms=60_000)
        await client.fail_job(job.job_key, retries=0, error_message="x")
    key = created.process_instance_key
    async with httpx.AsyncClient(base_url=sdk_broker.url) as http:
        answer = (await http.post("/process-instances", json={"processDefinitionId": "p"})).json()
        _check(spec, "POST", "/process-instances", answer)
        _check(
            spec,
            "GET",
            "/process-instances/{processInstanceKey}",
            (await http.get(f"/process-instances/{key}")).json(),
        )
        for path in (
            "/process-instances/search",
            "/element-instances/search",
            "/incidents/search",
            "/variables/search",
            "/jobs/search",
        ):
            _check(spec, "POST", path, (await http.post(path, json={})).json())
        incidents = (await http.post(f"/process-instances/{key}/incidents/search")).json()
        _check(spec, "POST", "/process-instances/{processInstanceKey}/incidents/search", incidents)
        incident = incidents["items"][0]
        _check(
            spec,
            "GET",
            "/incidents/{incidentKey}",
            (await http.get(f"/incidents/{incident['incidentKey']}")).json(),
        )
        element = (await http.get(f"/element-instances/{incident['elementInstanceKey']}")).json()
        _check(spec, "GET", "/element-instances/{elementInstanceKey}", element)
        variables = (await http.post("/variables/search", json={})).json()["items"]
        del variables
        flows = (await http.get(f"/process-instances/{key}/sequence-flows")).json()
        _check(spec, "GET", "/process-instances/{processInstanceKey}/sequence-flows", flows)
        stats = (await http.get(f"/process-instances/{key}/statistics/element-instances")).json()
        _check(
            spec,
            "GET",
            "/process-instances/{processInstanceKey}/statistics/element-instances",
            stats,
        )


MESSAGE_MODEL = (
    f'<?xml version="1.0"?><bpmn:definitions {NS} id="d"><bpmn:process id="m" isExecutable="true">'
    '<bpmn:startEvent id="s"/><bpmn:intermediateCatchEvent id="c">'
    '<bpmn:messageEventDefinition messageRef="msg"/></bpmn:intermediateCatchEvent>'
    '<bpmn:endEvent id="e"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="c"/>'
    '<bpmn:sequenceFlow id="f2" sourceRef="c" targetRef="e"/></bpmn:process>'
    '<bpmn:message id="msg" name="ping"><bpmn:extensionElements>'
    '<zeebe:subscription correlationKey="= k"/></bpmn:extensionElements></bpmn:message>'
    "</bpmn:definitions>"
).encode()


async def test_message_answers_carry_every_required_field(
    spec: Spec, sdk_broker: RunningBroker
) -> None:
    async with client_for(sdk_broker) as client:
        await client.deploy_resources({"m.bpmn": MESSAGE_MODEL})
        for k in ("a", "b"):
            await client.create_process_instance(process_definition_id="m", variables={"k": k})
    async with httpx.AsyncClient(base_url=sdk_broker.url) as http:
        subscriptions = (await http.post("/message-subscriptions/search", json={})).json()
        assert len(subscriptions["items"]) == 2
        _check(spec, "POST", "/message-subscriptions/search", subscriptions)
        published = await http.post(
            "/messages/publication", json={"name": "ping", "correlationKey": "a"}
        )
        _check(spec, "POST", "/messages/publication", published.json())
        correlated = await http.post(
            "/messages/correlation", json={"name": "ping", "correlationKey": "b"}
        )
        _check(spec, "POST", "/messages/correlation", correlated.json())
        signal = await http.post("/signals/broadcast", json={"signalName": "s"})
        _check(spec, "POST", "/signals/broadcast", signal.json())
