"""Driving a real cluster: the server check, deployments and process instances.

The embedded broker has no process engine, so deployments and process instances are checked
against scripted answers (``httpx.MockTransport``), request byte by request byte.
"""

from __future__ import annotations

import json
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from sdk.broker import RunningBroker
from sdk.client import AsyncClient, Client, HttpRetryPolicy
from sdk.errors import BadRequestError, NotFoundError, ProtocolError, ServerUnreachableError

pytestmark = pytest.mark.anyio

BPMN = (
    b'<?xml version="1.0"?><bpmn:definitions id="d"><bpmn:process id="order"/></bpmn:definitions>'
)
DEPLOYED = {
    "deploymentKey": "2251799813685250",
    "tenantId": "<default>",
    "deployments": [
        {
            "processDefinition": {
                "processDefinitionId": "order",
                "processDefinitionVersion": 3,
                "resourceName": "order.bpmn",
                "tenantId": "<default>",
                "processDefinitionKey": "2251799813685251",
            },
            "decisionDefinition": None,
            "decisionRequirements": None,
            "form": None,
            "resource": None,
        },
        {
            "processDefinition": None,
            "decisionDefinition": None,
            "decisionRequirements": None,
            "form": {
                "formId": "f",
                "version": 1,
                "resourceName": "f.form",
                "tenantId": "<default>",
                "formKey": "2251799813685252",
            },
            "resource": None,
        },
    ],
}
STARTED = {
    "processDefinitionId": "order",
    "processDefinitionVersion": 3,
    "tenantId": "<default>",
    "variables": {"total": 10},
    "processDefinitionKey": "2251799813685251",
    "processInstanceKey": "2251799813685260",
    "tags": [],
    "businessId": None,
}


class Recorder:
    """A mock cluster answering ``answer`` and keeping every request."""

    def __init__(self, status: int, body: Any = None, **headers: str) -> None:
        self.status, self.body, self.headers = status, body, headers
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if isinstance(self.body, (bytes, str)):
            return httpx.Response(self.status, content=self.body, headers=self.headers)
        return httpx.Response(self.status, json=self.body, headers=self.headers)

    def client(self) -> AsyncClient:
        return AsyncClient(
            configuration={
                "CAMUNDA_REST_ADDRESS": "http://cluster",
                "CAMUNDA_AUTH_STRATEGY": "NONE",
            },
            transport=httpx.MockTransport(self),
            retry=HttpRetryPolicy.off(),
        )


def multipart(request: httpx.Request) -> list[Message]:
    """The parts of a multipart request body."""
    head = f"content-type: {request.headers['content-type']}\r\n\r\n".encode()
    payload = message_from_bytes(head + request.content).get_payload()
    assert isinstance(payload, list)
    return [part for part in payload if isinstance(part, Message)]


class TestCheckServer:
    async def test_accepts_the_embedded_broker(self, sdk_client: AsyncClient) -> None:
        topology = await sdk_client.check_server()
        assert topology.brokers and topology.gateway_version

    async def test_a_wrong_path_is_a_protocol_error(self, sdk_broker: RunningBroker) -> None:
        wrong = sdk_broker.url.removesuffix("/v2") + "/api"  # → /api/v2/topology: 404
        config = {"CAMUNDA_REST_ADDRESS": wrong, "CAMUNDA_AUTH_STRATEGY": "NONE"}
        async with AsyncClient(configuration=config) as client:
            with pytest.raises(ProtocolError, match="answered 404: this is not") as caught:
                await client.check_server()
            with pytest.raises(NotFoundError):
                await client.topology()  # the plain call keeps the plain error
        assert caught.value.status == 404
        assert "CAMUNDA_REST_ADDRESS" in str(caught.value)

    @pytest.mark.parametrize(
        ("status", "body", "headers", "says"),
        [
            (200, "<html>Welcome</html>", {"content-type": "text/html"}, "text/html, not JSON"),
            (200, {"status": "UP"}, {}, "without brokers and gatewayVersion"),
            (200, {"brokers": [], "gatewayVersion": "8.5.2"}, {}, "needs 8.6 or newer"),
            (405, "", {}, "answered 405: this is not"),
        ],
        ids=["html", "other-json", "too-old", "405"],
    )
    async def test_other_servers_are_protocol_errors(
        self, status: int, body: Any, headers: dict[str, str], says: str
    ) -> None:
        async with Recorder(status, body, **headers).client() as client:
            with pytest.raises(ProtocolError, match=says):
                await client.check_server()

    async def test_newer_and_unnumbered_versions_pass(self) -> None:
        for version in ("8.6.0", "9.0.0-alpha1", "SNAPSHOT"):
            cluster = Recorder(200, {"brokers": [], "gatewayVersion": version})
            async with cluster.client() as client:
                assert (await client.check_server()).gateway_version == version

    async def test_nothing_listening_is_server_unreachable(self) -> None:
        config = {"CAMUNDA_REST_ADDRESS": "http://127.0.0.1:9", "CAMUNDA_AUTH_STRATEGY": "NONE"}
        async with AsyncClient(configuration=config, retry=HttpRetryPolicy.off()) as client:
            with pytest.raises(ServerUnreachableError):
                await client.check_server()

    async def test_an_unreadable_answer_to_any_call_is_a_protocol_error(self) -> None:
        async with Recorder(200, "<html>login</html>").client() as client:
            with pytest.raises(ProtocolError, match="not the expected answer"):
                await client.activate_jobs("t", max_jobs=1, timeout_ms=1_000)


class TestDeploy:
    async def test_sends_one_resources_part_per_file(self, tmp_path: Path) -> None:
        (tmp_path / "order.bpmn").write_bytes(BPMN)
        (tmp_path / "f.form").write_text('{"components": []}')
        cluster = Recorder(200, DEPLOYED)
        async with cluster.client() as client:
            result = await client.deploy_resources_from_files(
                [tmp_path / "order.bpmn", str(tmp_path / "f.form")], tenant_id="tenant-a"
            )

        (request,) = cluster.requests
        assert (request.method, request.url.path) == ("POST", "/v2/deployments")
        assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
        parts = multipart(request)
        fields = [
            (p.get_param("name", header="content-disposition"), p.get_filename()) for p in parts
        ]
        assert sorted(fields, key=str) == sorted(
            [("tenantId", None), ("resources", "order.bpmn"), ("resources", "f.form")], key=str
        )
        by_name = {p.get_filename(): p.get_payload(decode=True) for p in parts}
        assert by_name["order.bpmn"] == BPMN
        assert by_name[None] == b"tenant-a"
        assert result.deployment_key == "2251799813685250"
        assert [p.process_definition_key for p in result.processes] == ["2251799813685251"]
        assert [f.form_id for f in result.forms] == ["f"]
        assert result.decisions == [] and result.decision_requirements == []

    async def test_without_tenant_sends_no_tenant_field(self, tmp_path: Path) -> None:
        (tmp_path / "order.bpmn").write_bytes(BPMN)
        cluster = Recorder(200, DEPLOYED)
        async with cluster.client() as client:
            await client.deploy_resources_from_files([tmp_path / "order.bpmn"])
        assert len(multipart(cluster.requests[0])) == 1

    async def test_missing_file_and_empty_list_fail_before_sending(self, tmp_path: Path) -> None:
        cluster = Recorder(200, DEPLOYED)
        async with cluster.client() as client:
            with pytest.raises(FileNotFoundError):
                await client.deploy_resources_from_files([tmp_path / "missing.bpmn"])
            with pytest.raises(ValueError, match="at least one file"):
                await client.deploy_resources_from_files([])
        assert cluster.requests == []

    async def test_the_embedded_broker_refuses_a_process_it_cannot_run(
        self, sdk_client: AsyncClient, tmp_path: Path
    ) -> None:
        (tmp_path / "order.bpmn").write_bytes(BPMN)  # not executable, no start event
        with pytest.raises(BadRequestError) as caught:
            await sdk_client.deploy_resources_from_files([tmp_path / "order.bpmn"])
        assert "order.bpmn" in str(caught.value)


class TestCreateProcessInstance:
    async def test_by_id_and_version(self) -> None:
        cluster = Recorder(200, STARTED)
        async with cluster.client() as client:
            result = await client.create_process_instance(
                process_definition_id="order",
                version=3,
                variables={"total": 10},
                tags=["web"],
                business_id="order-77",
            )
        (request,) = cluster.requests
        assert (request.method, request.url.path) == ("POST", "/v2/process-instances")
        assert request.headers["content-type"] == "application/json"
        assert json.loads(request.content) == {
            "processDefinitionId": "order",
            "processDefinitionVersion": 3,
            "variables": {"total": 10},
            "tags": ["web"],
            "businessId": "order-77",
        }
        assert result.process_instance_key == "2251799813685260"
        assert result.variables == {"total": 10}

    async def test_by_key_awaiting_completion(self) -> None:
        cluster = Recorder(200, STARTED)
        async with cluster.client() as client:
            await client.create_process_instance(
                process_definition_key=2251799813685251,
                await_completion=True,
                fetch_variables=["total"],
                request_timeout_ms=30_000,
                start_before=["Task_1"],
                tenant_id="tenant-a",
            )
        (request,) = cluster.requests
        assert json.loads(request.content) == {
            "processDefinitionKey": "2251799813685251",
            "tenantId": "tenant-a",
            "startInstructions": [{"elementId": "Task_1"}],
            "awaitCompletion": True,
            "fetchVariables": ["total"],
            "requestTimeout": 30_000,
        }
        assert request.extensions["timeout"]["read"] == pytest.approx(35.0)

    @pytest.mark.parametrize(
        "kwargs",
        [
            {},
            {"process_definition_id": "a", "process_definition_key": "1"},
            {"process_definition_key": "1", "version": 2},
            {"process_definition_key": "not-a-key"},
        ],
        ids=["neither", "both", "key-with-version", "bad-key"],
    )
    async def test_ambiguous_instructions_fail_before_sending(self, kwargs: dict[str, Any]) -> None:
        cluster = Recorder(200, STARTED)
        async with cluster.client() as client:
            with pytest.raises(ValueError):
                await client.create_process_instance(**kwargs)
        assert cluster.requests == []

    async def test_the_blocking_client_has_them_too(self, tmp_path: Path) -> None:
        (tmp_path / "order.bpmn").write_bytes(BPMN)
        cluster = Recorder(200, DEPLOYED)

        def scenario() -> str:
            config = {"CAMUNDA_REST_ADDRESS": "http://cluster", "CAMUNDA_AUTH_STRATEGY": "NONE"}
            with Client(configuration=config, transport=httpx.MockTransport(cluster)) as client:
                return client.deploy_resources_from_files([tmp_path / "order.bpmn"]).deployment_key

        assert await anyio.to_thread.run_sync(scenario) == "2251799813685250"
