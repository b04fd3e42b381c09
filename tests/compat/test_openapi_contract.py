"""Our broker and client against the upstream Camunda v2 OpenAPI spec, field by field.

The spec is upstream reference data under the Camunda License: it is read from the ``shared/``
folder beside the repository (where CI has it too) and never copied into the project.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message
from functools import partial
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import yaml
from pydantic import SecretStr

from sdk.broker import BrokerAuth, BrokerUser, RunningBroker, serve
from sdk.broker.http._camunda import ROUTES
from sdk.client import AsyncClient

from _support.shared import JOBS_SPEC

pytestmark = pytest.mark.anyio

API_PREFIX = "/v2"
JOB_TYPE = "contract"
SAMPLE_KEY = "2251799813685249"
UNKNOWN_KEY = "2251799813999999"

Schema = Mapping[str, Any]
Spec = Mapping[str, Any]

_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


@pytest.fixture(scope="module")
def spec() -> Spec:
    if JOBS_SPEC is None:
        pytest.skip(
            "Camunda v2 jobs OpenAPI spec not found in a shared/ folder beside the checkout"
        )
    with JOBS_SPEC.open(encoding="utf-8") as fh:
        loaded: Spec = yaml.safe_load(fh)
    return loaded


# -- reading the spec ------------------------------------------------------------------------


def _resolve(spec: Spec, schema: Schema) -> Schema:
    """Follow ``$ref`` chains (all local: ``#/components/...``)."""
    while "$ref" in schema:
        node: Any = spec
        for part in str(schema["$ref"]).removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def _schema(spec: Spec, name: str) -> Schema:
    return _resolve(spec, spec["components"]["schemas"][name])


def _properties(spec: Spec, schema: Schema) -> dict[str, Schema]:
    """Declared properties, including those of ``allOf`` parts."""
    schema = _resolve(spec, schema)
    props: dict[str, Schema] = dict(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        props.update(_properties(spec, part))
    return props


def _required(spec: Spec, schema: Schema) -> set[str]:
    schema = _resolve(spec, schema)
    names = set(schema.get("required", []))
    for part in schema.get("allOf", []):
        names |= _required(spec, part)
    return names


def _json_type(spec: Spec, schema: Schema) -> tuple[str | None, bool]:
    """The JSON type a property declares (through ``$ref`` / ``allOf``) and its nullability."""
    schema = _resolve(spec, schema)
    nullable = bool(schema.get("nullable", False))
    if "type" in schema:
        return str(schema["type"]), nullable
    for part in schema.get("allOf", []):
        kind, part_nullable = _json_type(spec, part)
        if kind is not None:
            return kind, nullable or part_nullable
    return None, nullable


def _operation(spec: Spec, method: str, path: str) -> tuple[str, Schema]:
    """The spec's operation serving ``method path`` (a concrete path relative to /v2)."""
    templates = sorted(spec["paths"], key=lambda t: (t.count("{"), t))
    for template in templates:
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        operation = spec["paths"][template].get(method.lower())
        if re.fullmatch(pattern, path) and operation is not None:
            return template, operation
    raise AssertionError(f"the spec has no operation {method.upper()} {path}")


def _request_schema_name(operation: Schema) -> str:
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return str(ref).rsplit("/", 1)[-1]


# -- checking a JSON object against a schema -------------------------------------------------


def _enum(spec: Spec, schema: Schema) -> list[Any] | None:
    """The allowed values of an enum property (through ``$ref`` / ``allOf``), else ``None``."""
    schema = _resolve(spec, schema)
    if "enum" in schema:
        return list(schema["enum"])
    for part in schema.get("allOf", []):
        values = _enum(spec, part)
        if values is not None:
            return values
    return None


def _type_problems(spec: Spec, where: str, prop: Schema, value: Any) -> list[str]:
    kind, nullable = _json_type(spec, prop)
    if value is None:
        return [] if nullable or kind is None else [f"{where}: null, but not nullable"]
    if kind is None:
        return []
    ok = isinstance(value, _JSON_TYPES[kind])
    if kind in {"integer", "number"} and isinstance(value, bool):
        ok = False
    if not ok:
        return [f"{where}: {type(value).__name__} where the spec says {kind}"]
    allowed = _enum(spec, prop)
    if allowed is not None and value not in allowed:
        return [f"{where}: {value!r} is not one of {allowed}"]
    return []


def _object_problems(
    spec: Spec, schema: Schema, body: Mapping[str, Any], where: str, nested: tuple[str, ...]
) -> list[str]:
    """Missing required fields, undeclared fields and wrong JSON types, one line each."""
    props = _properties(spec, schema)
    missing = sorted(_required(spec, schema) - set(body))
    problems = [f"{where}.{name}: required but missing" for name in missing]
    for name, value in body.items():
        if name not in props:
            problems.append(f"{where}.{name}: not declared in the spec")
            continue
        problems += _type_problems(spec, f"{where}.{name}", props[name], value)
    for name in nested:
        value = body.get(name)
        if isinstance(value, dict):
            problems += _object_problems(spec, props[name], value, f"{where}.{name}", ())
    return problems


def check_object(
    spec: Spec, schema_name: str, body: Any, where: str = "", nested: tuple[str, ...] = ()
) -> None:
    assert isinstance(body, dict), f"{schema_name}: expected a JSON object, got {body!r}"
    problems = _object_problems(
        spec, _schema(spec, schema_name), body, where or schema_name, nested
    )
    assert not problems, "\n".join(problems)


# -- the routes we serve exist in the spec ---------------------------------------------------


def test_every_camunda_route_we_serve_is_in_the_spec(spec: Spec) -> None:
    served: list[tuple[str, str]] = []
    for route in ROUTES:
        path = route.path
        methods = route.methods or set()
        assert path.startswith(API_PREFIX + "/"), path
        concrete = re.sub(r"\{[^}]+\}", SAMPLE_KEY, path.removeprefix(API_PREFIX))
        for method in sorted(methods - {"HEAD"}):
            template, _ = _operation(spec, method, concrete)
            served.append((method, template))
    assert sorted(served) == sorted(
        [
            ("POST", "/jobs/activation"),
            ("POST", "/jobs/{jobKey}/completion"),
            ("POST", "/jobs/{jobKey}/failure"),
            ("POST", "/jobs/{jobKey}/error"),
            ("PATCH", "/jobs/{jobKey}"),
            ("GET", "/topology"),
        ]
    )


# -- our broker's responses carry every required field ---------------------------------------


def _check_status(spec: Spec, response: httpx.Response) -> None:
    path = response.request.url.path.removeprefix(API_PREFIX)
    template, operation = _operation(spec, response.request.method, path)
    declared = set(operation["responses"])
    assert str(response.status_code) in declared, (
        f"{response.request.method} {template} answered {response.status_code};"
        f" the spec declares {sorted(declared)}"
    )


async def test_activation_result_has_every_spec_field(
    spec: Spec, sdk_broker: RunningBroker, sdk_client: AsyncClient
) -> None:
    await sdk_client.create_job(JOB_TYPE, {"n": 1}, custom_headers={"h": "v"})
    async with httpx.AsyncClient(base_url=sdk_broker.url) as http:
        response = await http.post(
            "/jobs/activation",
            json={"type": JOB_TYPE, "timeout": 10_000, "maxJobsToActivate": 1, "worker": "w"},
        )
    _check_status(spec, response)
    body = response.json()

    check_object(spec, "JobActivationResult", body)
    (job,) = body["jobs"]
    check_object(spec, "ActivatedJobResult", job, "jobs[0]")


async def _activate_raw(broker: RunningBroker, **extra: Any) -> dict[str, Any]:
    body = {"type": JOB_TYPE, "timeout": 10_000, "maxJobsToActivate": 1, **extra}
    async with httpx.AsyncClient(base_url=broker.url) as http:
        response = await http.post("/jobs/activation", json=body)
    assert response.status_code == 200, response.text
    (job,) = response.json()["jobs"]
    assert isinstance(job, dict)
    return job


async def test_leased_activation_has_a_lease_token(
    sdk_broker: RunningBroker, sdk_client: AsyncClient
) -> None:
    await sdk_client.create_job(JOB_TYPE)
    job = await _activate_raw(sdk_broker, withLease=True)
    # the spec names the field `leaseToken` (the 10.0.1 SDK says `jobLeaseToken`)
    assert isinstance(job["leaseToken"], str) and job["leaseToken"]


async def test_activation_without_lease_has_a_null_lease_token(
    sdk_broker: RunningBroker, sdk_client: AsyncClient
) -> None:
    await sdk_client.create_job(JOB_TYPE)
    job = await _activate_raw(sdk_broker)
    assert "leaseToken" in job
    assert job["leaseToken"] is None


async def test_topology_has_every_spec_field(spec: Spec, sdk_broker: RunningBroker) -> None:
    async with httpx.AsyncClient(base_url=sdk_broker.url) as http:
        response = await http.get("/topology")
    _check_status(spec, response)
    body = response.json()

    check_object(spec, "TopologyResponse", body)
    assert body["brokers"], "a topology with no broker"
    for i, broker in enumerate(body["brokers"]):
        check_object(spec, "BrokerInfo", broker, f"brokers[{i}]")
        for j, partition in enumerate(broker["partitions"]):
            check_object(spec, "Partition", partition, f"brokers[{i}].partitions[{j}]")


@dataclass(frozen=True)
class RawCall:
    method: str
    path: str
    body: dict[str, Any]
    status: int


PROBLEM_CALLS = {
    "unknown-job-404": RawCall("POST", f"/jobs/{UNKNOWN_KEY}/completion", {}, 404),
    "unknown-job-update-404": RawCall(
        "PATCH", f"/jobs/{UNKNOWN_KEY}", {"changeset": {"retries": 1}}, 404
    ),
    "bad-activation-400": RawCall("POST", "/jobs/activation", {"type": JOB_TYPE}, 400),
    "unknown-field-400": RawCall(
        "POST", f"/jobs/{UNKNOWN_KEY}/failure", {"retries": 1, "nope": True}, 400
    ),
    "error-without-code-400": RawCall("POST", f"/jobs/{UNKNOWN_KEY}/error", {}, 400),
}


@pytest.mark.parametrize("call", PROBLEM_CALLS.values(), ids=PROBLEM_CALLS.keys())
async def test_problem_detail_has_every_spec_field(
    spec: Spec, sdk_broker: RunningBroker, call: RawCall
) -> None:
    async with httpx.AsyncClient(base_url=sdk_broker.url) as http:
        response = await http.request(call.method, call.path.lstrip("/"), json=call.body)
    assert response.status_code == call.status, response.text
    _check_status(spec, response)
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()

    check_object(spec, "ProblemDetail", body)
    assert body["status"] == call.status
    assert body["instance"] == API_PREFIX + call.path


async def test_not_activated_job_is_a_spec_409(
    spec: Spec, sdk_broker: RunningBroker, sdk_client: AsyncClient
) -> None:
    key = await sdk_client.create_job(JOB_TYPE)
    async with httpx.AsyncClient(base_url=sdk_broker.url) as http:
        response = await http.post(f"/jobs/{key}/completion", json={})
    assert response.status_code == 409, response.text
    _check_status(spec, response)
    check_object(spec, "ProblemDetail", response.json())


async def test_job_commands_answer_statuses_the_spec_declares(
    spec: Spec, sdk_broker: RunningBroker, sdk_client: AsyncClient
) -> None:
    keys = [await sdk_client.create_job(JOB_TYPE, retries=3) for _ in range(3)]
    async with httpx.AsyncClient(base_url=sdk_broker.url) as http:
        activated = await http.post(
            "/jobs/activation",
            json={"type": JOB_TYPE, "timeout": 10_000, "maxJobsToActivate": 3},
        )
        assert [j["jobKey"] for j in activated.json()["jobs"]] == keys
        responses = [
            await http.patch(f"/jobs/{keys[0]}", json={"changeset": {"timeout": 20_000}}),
            await http.post(f"/jobs/{keys[0]}/completion", json={"variables": {"a": 1}}),
            await http.post(f"/jobs/{keys[1]}/failure", json={"retries": 2}),
            await http.post(f"/jobs/{keys[2]}/error", json={"errorCode": "E"}),
        ]
    for response in responses:
        assert response.status_code == 204, response.text
        assert response.content == b""
        _check_status(spec, response)


# -- our client sends only fields the spec declares ------------------------------------------


@dataclass(frozen=True)
class ClientCall:
    schema: str
    invoke: Callable[[AsyncClient], Awaitable[object]]
    nested: tuple[str, ...] = ()


CLIENT_CALLS: dict[str, ClientCall] = {
    "activation": ClientCall(
        "JobActivationRequest",
        lambda c: c.activate_jobs(
            JOB_TYPE,
            max_jobs=5,
            timeout_ms=30_000,
            worker="contract-worker",
            request_timeout_ms=2_000,
            fetch_variables=["a", "b"],
            tenant_ids=["<default>"],
        ),
    ),
    "completion": ClientCall(
        "JobCompletionRequest",
        lambda c: c.complete_job(SAMPLE_KEY, {"a": 1}, lease_token="7"),
    ),
    "failure": ClientCall(
        "JobFailRequest",
        lambda c: c.fail_job(
            SAMPLE_KEY,
            retries=2,
            error_message="boom",
            retry_backoff_ms=1_000,
            variables={"a": 1},
            lease_token="7",
        ),
    ),
    "error": ClientCall(
        "JobErrorRequest",
        lambda c: c.throw_job_error(
            SAMPLE_KEY, "E_CODE", error_message="business", variables={"a": 1}, lease_token="7"
        ),
    ),
    "update": ClientCall(
        "JobUpdateRequest",
        lambda c: c.update_job(SAMPLE_KEY, retries=4, timeout_ms=60_000),
        nested=("changeset",),
    ),
    "process-instance-by-id": ClientCall(
        "ProcessInstanceCreationInstructionById",
        lambda c: c.create_process_instance(
            process_definition_id="order",
            version=2,
            variables={"a": 1},
            tenant_id="<default>",
            start_before=["Task_1"],
            await_completion=True,
            fetch_variables=["a"],
            request_timeout_ms=10_000,
            tags=["web"],
            business_id="order-1",
        ),
    ),
    "process-instance-by-key": ClientCall(
        "ProcessInstanceCreationInstructionByKey",
        lambda c: c.create_process_instance(
            process_definition_key=SAMPLE_KEY, variables={"a": 1}, tenant_id="<default>"
        ),
    ),
}

STARTED = {
    "processDefinitionId": "order",
    "processDefinitionVersion": 2,
    "tenantId": "<default>",
    "variables": {},
    "processDefinitionKey": SAMPLE_KEY,
    "processInstanceKey": "2251799813685260",
    "tags": [],
    "businessId": None,
}


def answering(sent: list[httpx.Request]) -> Callable[[httpx.Request], httpx.Response]:
    """A mock cluster that records requests and answers each the way Camunda would."""

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        if request.url.path.endswith("/jobs/activation"):
            return httpx.Response(200, json={"jobs": []})
        if request.url.path.endswith("/process-instances"):
            return httpx.Response(200, json=STARTED)
        if request.url.path.endswith("/deployments"):
            return httpx.Response(
                200, json={"deploymentKey": "1", "tenantId": "", "deployments": []}
            )
        return httpx.Response(204)

    return answer


def _schema_names(spec: Spec, operation: Schema) -> set[str]:
    """The request schema of ``operation`` and, for a ``oneOf``, each of its variants."""
    name = _request_schema_name(operation)
    variants = _schema(spec, name).get("oneOf", [])
    return {name} | {str(v["$ref"]).rsplit("/", 1)[-1] for v in variants}


@pytest.mark.parametrize("call", CLIENT_CALLS.values(), ids=CLIENT_CALLS.keys())
async def test_client_request_fields_are_declared(spec: Spec, call: ClientCall) -> None:
    sent: list[httpx.Request] = []
    client = AsyncClient(
        configuration={"CAMUNDA_REST_ADDRESS": "http://test/v2", "CAMUNDA_AUTH_STRATEGY": "NONE"},
        transport=httpx.MockTransport(answering(sent)),
    )
    async with client:
        await call.invoke(client)

    (request,) = sent
    path = request.url.path
    assert path.startswith(API_PREFIX + "/"), path
    template, operation = _operation(spec, request.method, path.removeprefix(API_PREFIX))
    assert call.schema in _schema_names(spec, operation), template
    assert request.headers["content-type"] == "application/json"
    body = json.loads(request.content)
    check_object(spec, call.schema, body, nested=call.nested)


async def test_client_deployment_is_the_spec_multipart_body(spec: Spec, tmp_path: Path) -> None:
    (tmp_path / "order.bpmn").write_text("<definitions/>")
    (tmp_path / "form.form").write_text("{}")
    sent: list[httpx.Request] = []
    client = AsyncClient(
        configuration={"CAMUNDA_REST_ADDRESS": "http://test/v2", "CAMUNDA_AUTH_STRATEGY": "NONE"},
        transport=httpx.MockTransport(answering(sent)),
    )
    async with client:
        await client.deploy_resources_from_files(
            [tmp_path / "order.bpmn", tmp_path / "form.form"], tenant_id="<default>"
        )

    (request,) = sent
    _, operation = _operation(spec, request.method, request.url.path.removeprefix(API_PREFIX))
    content = operation["requestBody"]["content"]
    kind = request.headers["content-type"].split(";")[0]
    assert kind in content, f"{kind} is not a content type of the spec's deployment body"
    schema = _resolve(spec, content[kind]["schema"])
    head = f"content-type: {request.headers['content-type']}\r\n\r\n".encode()
    payload = message_from_bytes(head + request.content).get_payload()
    assert isinstance(payload, list)
    parts = [part for part in payload if isinstance(part, Message)]
    names = [part.get_param("name", header="content-disposition") for part in parts]
    assert set(names) <= set(schema["properties"]), names
    assert set(schema["required"]) <= set(names)
    files = [
        part.get_filename()
        for part in parts
        if part.get_param("name", header="content-disposition") == "resources"
    ]
    assert files == ["order.bpmn", "form.form"]


# -- with auth on, a refusal is the spec's Unauthorized response ------------------------------


@pytest.fixture
async def secured_broker() -> AsyncIterator[RunningBroker]:
    auth = BrokerAuth(users=[BrokerUser("u", SecretStr("p"))], oauth_clients={"c": SecretStr("s")})
    async with anyio.create_task_group() as tg:
        broker: RunningBroker = await tg.start(
            partial(serve, ":memory:", "127.0.0.1", 0, auth=auth)
        )
        yield broker
        tg.cancel_scope.cancel()


async def test_refusals_are_the_spec_unauthorized_response(
    spec: Spec, secured_broker: RunningBroker
) -> None:
    async with httpx.AsyncClient(base_url=secured_broker.url.removesuffix(API_PREFIX)) as http:
        for route in ROUTES:
            for method in sorted((route.methods or set()) - {"HEAD"}):
                path = re.sub(r"\{[^}]+\}", SAMPLE_KEY, route.path)
                response = await http.request(method, path, json={})
                assert response.status_code == 401, (method, path)
                check_object(spec, "ProblemDetail", response.json(), f"{method} {path}")
                _, operation = _operation(spec, method, path.removeprefix(API_PREFIX))
                if "401" not in operation["responses"]:
                    continue  # (the trimmed spec leaves 401 out of some job operations)
                declared = _resolve(spec, operation["responses"]["401"])
                assert set(declared["headers"]) == {"WWW-Authenticate"}
                assert response.headers.get_list("www-authenticate")
                assert response.headers["content-type"] in declared["content"]


@pytest.mark.parametrize("scheme", ["basic", "bearer"])
async def test_client_credentials_use_the_spec_security_schemes(
    spec: Spec, secured_broker: RunningBroker, scheme: str
) -> None:
    schemes = spec["components"]["securitySchemes"]
    declared = {s["scheme"] for s in schemes.values() if s["type"] == "http"}
    assert scheme in declared
    sent: list[httpx.Request] = []

    async def record(request: httpx.Request) -> None:
        sent.append(request)

    config: dict[str, str] = {"CAMUNDA_REST_ADDRESS": secured_broker.url}
    if scheme == "basic":
        config |= {"CAMUNDA_BASIC_AUTH_USERNAME": "u", "CAMUNDA_BASIC_AUTH_PASSWORD": "p"}
        async with AsyncClient(configuration=config) as client:
            client._http.event_hooks["request"].append(record)
            await client.topology()
        (request,) = sent
        assert request.headers["authorization"] == "Basic " + base64.b64encode(b"u:p").decode()
    else:
        config |= {
            "CAMUNDA_CLIENT_ID": "c",
            "CAMUNDA_CLIENT_SECRET": "s",
            "CAMUNDA_OAUTH_URL": secured_broker.url.removesuffix(API_PREFIX) + "/oauth/token",
        }
        async with AsyncClient(configuration=config) as client:
            client._http.event_hooks["request"].append(record)
            await client.topology()
        token_request, request = sent  # the auth flow's token request goes first
        assert token_request.url.path == "/oauth/token"
        assert "authorization" not in token_request.headers
        assert re.fullmatch(r"Bearer [A-Za-z0-9_\-]{20,}", request.headers["authorization"])
