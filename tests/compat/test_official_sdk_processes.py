"""The official ``camunda-orchestration-sdk`` running whole processes on our embedded broker.

It deploys a BPMN model with its own multipart request, starts an instance with
``awaitCompletion`` (and ``fetchVariables``), and its own job workers do the service tasks
while the start call waits: the answer carries the completed instance's variables.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
from camunda_orchestration_sdk import (
    CamundaAsyncClient,
    ConnectedAsyncJobHandler,
    ConnectedJobContext,
    JobError,
    NullLogger,
    WorkerConfig,
)
from camunda_orchestration_sdk import errors as camunda_errors
from camunda_orchestration_sdk.models.create_deployment_data import CreateDeploymentData
from camunda_orchestration_sdk.models.create_process_instance_result import (
    CreateProcessInstanceResult as CamundaStarted,
)
from camunda_orchestration_sdk.models.deployment_result import DeploymentResult as CamundaDeployed
from camunda_orchestration_sdk.models.problem_detail import ProblemDetail as CamundaProblem
from camunda_orchestration_sdk.models.process_creation_by_id import ProcessCreationById
from camunda_orchestration_sdk.models.process_creation_by_key import ProcessCreationByKey
from camunda_orchestration_sdk.models.process_instance_creation_instruction_base_variables import (
    ProcessInstanceCreationInstructionBaseVariables as CamundaStartVariables,
)
from camunda_orchestration_sdk.models.process_instance_state_enum import (
    ProcessInstanceStateEnum as CamundaInstanceState,
)
from camunda_orchestration_sdk.semantic_types import ProcessDefinitionId, ProcessInstanceKey
from camunda_orchestration_sdk.types import File

from sdk.broker import RunningBroker
from sdk.client import AsyncClient

pytestmark = pytest.mark.anyio

AWAIT_MS = 10_000
"""The broker-side wait of an ``awaitCompletion`` start; the client's own timeout is longer."""

NS = (
    'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
    ' xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"'
)


def _bpmn(process_id: str, body: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions {NS} id="d"'
        ' targetNamespace="http://bpmn.io/schema/bpmn">'
        f'<bpmn:process id="{process_id}" isExecutable="true">{body}</bpmn:process>'
        '<bpmn:error id="declined" errorCode="PAYMENT_DECLINED"/></bpmn:definitions>'
    ).encode()


def _task(element_id: str, job_type: str) -> str:
    return (
        f'<bpmn:serviceTask id="{element_id}"><bpmn:extensionElements>'
        f'<zeebe:taskDefinition type="{job_type}" retries="1"/>'
        "</bpmn:extensionElements></bpmn:serviceTask>"
    )


def _flow(flow_id: str, source: str, target: str) -> str:
    return f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}"/>'


ORDER = _bpmn(
    "official-order",
    '<bpmn:startEvent id="start"/>'
    + _task("reserve", "official-reserve")
    + _task("charge", "official-charge")
    + '<bpmn:endEvent id="end"/>'
    + _flow("f1", "start", "reserve")
    + _flow("f2", "reserve", "charge")
    + _flow("f3", "charge", "end"),
)
"""start → reserve (job ``official-reserve``) → charge (job ``official-charge``) → end."""

PAYMENT = _bpmn(
    "official-payment",
    '<bpmn:startEvent id="start"/>'
    + _task("pay", "official-pay")
    + '<bpmn:boundaryEvent id="on_declined" attachedToRef="pay">'
    '<bpmn:extensionElements><zeebe:ioMapping><zeebe:output source="=reason"'
    ' target="declineReason"/></zeebe:ioMapping></bpmn:extensionElements>'
    '<bpmn:errorEventDefinition errorRef="declined"/></bpmn:boundaryEvent>'
    + _task("notify", "official-notify")
    + '<bpmn:endEvent id="paid"/><bpmn:endEvent id="declined_end"/>'
    + _flow("f1", "start", "pay")
    + _flow("f2", "pay", "paid")
    + _flow("f3", "on_declined", "notify")
    + _flow("f4", "notify", "declined_end"),
)
"""start → pay (job ``official-pay``) → end; a ``PAYMENT_DECLINED`` error on ``pay`` leads
through notify (job ``official-notify``) to ``declined_end``. The error's variables are local
to the boundary event (as in Zeebe); its output mapping carries ``reason`` on as
``declineReason``."""


@pytest.fixture
async def camunda(sdk_broker: RunningBroker) -> AsyncIterator[CamundaAsyncClient]:
    """The official async client, pointed at our broker, logging nothing."""
    client = CamundaAsyncClient(
        configuration={"CAMUNDA_REST_ADDRESS": sdk_broker.url, "CAMUNDA_AUTH_STRATEGY": "NONE"},
        logger=NullLogger(),
    )
    try:
        yield client
    finally:
        await client.aclose()


async def _deploy(camunda: CamundaAsyncClient, name: str, xml: bytes) -> CamundaDeployed:
    return await camunda.create_deployment(
        data=CreateDeploymentData(resources=[File(payload=io.BytesIO(xml), file_name=name)])
    )


async def _with_workers(
    stack: AsyncExitStack,
    camunda: CamundaAsyncClient,
    handlers: dict[str, ConnectedAsyncJobHandler],
) -> None:
    """One official worker (async strategy) per job type, closed with ``stack``."""
    for job_type, handler in handlers.items():
        worker = camunda.create_job_worker(
            WorkerConfig(
                job_type=job_type,
                job_timeout_milliseconds=30_000,
                request_timeout_milliseconds=1_000,
            ),
            handler,
        )
        stack.push_async_callback(worker.aclose)


async def test_deploy_start_awaiting_completion_and_work_the_jobs(
    sdk_client: AsyncClient, camunda: CamundaAsyncClient
) -> None:
    deployed = await _deploy(camunda, "official-order.bpmn", ORDER)
    (process,) = [d.process_definition for d in deployed.deployments if d.process_definition]
    assert process.process_definition_id == "official-order"
    assert process.process_definition_version == 1
    assert process.resource_name == "official-order.bpmn"
    seen: list[tuple[str, str, dict[str, Any]]] = []

    async def reserve(job: ConnectedJobContext) -> dict[str, Any]:
        seen.append((job.type_, job.element_id, job.variables.to_dict()))
        return {"reserved": job.variables.to_dict()["qty"]}

    async def charge(job: ConnectedJobContext) -> dict[str, Any]:
        seen.append((job.type_, job.element_id, job.variables.to_dict()))
        variables = job.variables.to_dict()
        return {"charged": variables["reserved"] * variables["price"]}

    async with AsyncExitStack() as stack:
        await _with_workers(
            stack, camunda, {"official-reserve": reserve, "official-charge": charge}
        )
        started = await camunda.create_process_instance(
            data=ProcessCreationById(
                process_definition_id=ProcessDefinitionId("official-order"),
                variables=CamundaStartVariables.from_dict({"qty": 3, "price": 7, "note": "x"}),
                await_completion=True,
                fetch_variables=["charged", "reserved", "qty"],
                request_timeout=AWAIT_MS,
            )
        )

    assert isinstance(started, CamundaStarted)
    assert started.process_definition_id == "official-order"
    assert started.process_definition_key == process.process_definition_key
    assert started.process_definition_version == 1
    # only the fetched variables come back, with the values the two jobs wrote
    assert started.variables.to_dict() == {"qty": 3, "reserved": 3, "charged": 21}
    assert [(t, e) for t, e, _ in seen] == [
        ("official-reserve", "reserve"),
        ("official-charge", "charge"),
    ]
    assert seen[1][2]["reserved"] == 3
    # the instance reads COMPLETED through the official client and ours
    instance = await camunda.get_process_instance(ProcessInstanceKey(started.process_instance_key))
    assert instance.state is CamundaInstanceState.COMPLETED
    assert instance.process_definition_id == "official-order"
    ours = await sdk_client.get_process_instance(started.process_instance_key)
    assert ours.state == "COMPLETED"
    assert ours.end_date


async def test_start_by_key_without_fetch_variables_returns_all_variables(
    camunda: CamundaAsyncClient, tmp_path: Path
) -> None:
    path = tmp_path / "official-order.bpmn"
    path.write_bytes(ORDER)
    deployed = await camunda.deploy_resources_from_files([path])
    (process,) = deployed.processes
    key = process.process_definition_key

    async def reserve(job: ConnectedJobContext) -> dict[str, Any]:
        return {"reserved": True}

    async def charge(job: ConnectedJobContext) -> dict[str, Any]:
        return {"charged": True}

    async with AsyncExitStack() as stack:
        await _with_workers(
            stack, camunda, {"official-reserve": reserve, "official-charge": charge}
        )
        started = await camunda.create_process_instance(
            data=ProcessCreationByKey(
                process_definition_key=key,
                variables=CamundaStartVariables.from_dict({"order": "A-1"}),
                await_completion=True,
                request_timeout=AWAIT_MS,
            )
        )

    assert started.process_definition_key == key
    assert started.variables.to_dict() == {"order": "A-1", "reserved": True, "charged": True}


async def test_worker_bpmn_error_is_caught_by_the_error_boundary(
    sdk_client: AsyncClient, camunda: CamundaAsyncClient
) -> None:
    await _deploy(camunda, "official-payment.bpmn", PAYMENT)
    notified: list[dict[str, Any]] = []

    async def pay(job: ConnectedJobContext) -> dict[str, Any]:
        raise JobError("PAYMENT_DECLINED", "card expired", {"reason": "expired"})

    async def notify(job: ConnectedJobContext) -> dict[str, Any]:
        notified.append(job.variables.to_dict())
        return {"notified": True}

    async with AsyncExitStack() as stack:
        await _with_workers(stack, camunda, {"official-pay": pay, "official-notify": notify})
        started = await camunda.create_process_instance(
            data=ProcessCreationById(
                process_definition_id=ProcessDefinitionId("official-payment"),
                variables=CamundaStartVariables.from_dict({"amount": 12}),
                await_completion=True,
                request_timeout=AWAIT_MS,
            )
        )

    # the error's variable reached the boundary's path; the instance ended there
    assert notified == [{"amount": 12, "declineReason": "expired"}]
    assert started.variables.to_dict() == {
        "amount": 12,
        "declineReason": "expired",
        "notified": True,
    }
    instance = await camunda.get_process_instance(ProcessInstanceKey(started.process_instance_key))
    assert instance.state is CamundaInstanceState.COMPLETED
    assert not instance.has_incident
    flows = await sdk_client.get_process_instance_sequence_flows(started.process_instance_key)
    taken = {f.sequence_flow_id for f in flows.items}
    assert taken == {"f1", "f3", "f4"}


async def test_awaiting_an_instance_nobody_works_is_a_typed_504(
    sdk_client: AsyncClient, camunda: CamundaAsyncClient
) -> None:
    await _deploy(camunda, "official-order.bpmn", ORDER)

    with pytest.raises(camunda_errors.GatewayTimeoutError) as caught:
        await camunda.create_process_instance(
            data=ProcessCreationById(
                process_definition_id=ProcessDefinitionId("official-order"),
                await_completion=True,
                request_timeout=200,
            )
        )

    assert caught.value.status_code == 504
    assert isinstance(caught.value.parsed, CamundaProblem)
    assert caught.value.parsed.status == 504
    # the instance itself was created and still waits at its first job
    found = await sdk_client.search_process_instances(process_definition_id="official-order")
    (instance,) = found.items
    assert instance.state == "ACTIVE"
