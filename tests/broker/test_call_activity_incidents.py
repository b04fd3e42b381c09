"""A call activity whose process cannot be started raises a CALLED_ELEMENT_ERROR incident on
the call activity, as Zeebe does; deploying the process and resolving the incident starts the
child, and the caller goes on."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sdk.client import AsyncClient
from sdk.testing import wait_until

from .test_process_instances import (
    TWO_TASKS,
    bpmn,
    call,
    deploy,
    ended,
    flow,
    instance,
    search,
    task,
)

pytestmark = pytest.mark.anyio

CALLS_ORDER = bpmn(
    "calls",
    '<bpmn:startEvent id="start"/>'
    + call("call", "order", propagate="true")
    + task("after", "after")
    + '<bpmn:endEvent id="end"/>'
    + flow("f1", "start", "call")
    + flow("f2", "call", "after")
    + flow("f3", "after", "end"),
)
ONLY_MESSAGE_START = bpmn(
    "order",
    '<bpmn:startEvent id="start"><bpmn:messageEventDefinition messageRef="m"/></bpmn:startEvent>'
    '<bpmn:endEvent id="end"/>' + flow("f1", "start", "end"),
    '<bpmn:message id="m" name="go"/>',
)
"""The called process id, deployed, but with no none start event to be called at."""


async def incidents_of(http: httpx.AsyncClient, key: str) -> list[dict[str, Any]]:
    return await search(http, f"/process-instances/{key}/incidents/search", {})


async def children_of(http: httpx.AsyncClient, key: str) -> list[dict[str, Any]]:
    return await search(
        http, "/process-instances/search", {"filter": {"parentProcessInstanceKey": key}}
    )


async def resolve(http: httpx.AsyncClient, incident_key: str) -> None:
    response = await http.post(f"/incidents/{incident_key}/resolution")
    assert response.status_code == 204, response.text


class TestCalledProcessMissing:
    async def test_an_undeployed_process_raises_an_incident_on_the_call_activity(
        self, api: AsyncClient, http: httpx.AsyncClient
    ) -> None:
        await deploy(api, CALLS_ORDER)
        created = await api.create_process_instance(process_definition_id="calls")
        key = created.process_instance_key

        (incident,) = await incidents_of(http, key)
        assert incident["errorType"] == "CALLED_ELEMENT_ERROR"
        assert incident["state"] == "ACTIVE" and incident["elementId"] == "call"
        assert incident["errorMessage"] == (
            "Expected process with BPMN process id 'order' to be deployed, but not found."
        )
        assert incident["jobKey"] is None
        found = await instance(http, key)
        assert found["state"] == "ACTIVE" and found["hasIncident"] is True
        element = (await http.get(f"/element-instances/{incident['elementInstanceKey']}")).json()
        assert element["elementId"] == "call" and element["state"] == "ACTIVE"
        assert element["incidentKey"] == incident["incidentKey"]
        assert await children_of(http, key) == []

    async def test_resolving_before_deploying_raises_the_incident_again(
        self, api: AsyncClient, http: httpx.AsyncClient
    ) -> None:
        await deploy(api, CALLS_ORDER)
        created = await api.create_process_instance(process_definition_id="calls")
        key = created.process_instance_key
        (first,) = await incidents_of(http, key)
        await resolve(http, first["incidentKey"])

        listed = await incidents_of(http, key)
        states = {i["incidentKey"]: i["state"] for i in listed}
        assert states.pop(first["incidentKey"]) == "RESOLVED"
        assert list(states.values()) == ["ACTIVE"]
        (second,) = [i for i in listed if i["state"] == "ACTIVE"]
        assert second["errorType"] == "CALLED_ELEMENT_ERROR"
        assert second["elementInstanceKey"] == first["elementInstanceKey"]
        assert (await instance(http, key))["hasIncident"] is True

    async def test_deploying_the_process_and_resolving_lets_the_caller_go_on(
        self, api: AsyncClient, http: httpx.AsyncClient
    ) -> None:
        await deploy(api, CALLS_ORDER)
        created = await api.create_process_instance(
            process_definition_id="calls", variables={"amount": 5}
        )
        key = created.process_instance_key
        (incident,) = await incidents_of(http, key)

        await deploy(api, TWO_TASKS)
        await resolve(http, incident["incidentKey"])
        assert (await instance(http, key))["hasIncident"] is False
        (child,) = await children_of(http, key)
        assert child["processDefinitionId"] == "order"
        assert child["parentElementInstanceKey"] == incident["elementInstanceKey"]
        for job_type, result in (("reserve", {"reserved": True}), ("charge", {}), ("after", {})):
            (job,) = await api.activate_jobs(
                job_type, max_jobs=1, timeout_ms=60_000, request_timeout_ms=5_000
            )
            if job_type == "reserve":
                assert job.variables == {"amount": 5}
            await api.complete_job(job.job_key, variables=result)
        done = await wait_until(lambda: ended(http, key))
        assert done["state"] == "COMPLETED"
        assert (await instance(http, child["processInstanceKey"]))["state"] == "COMPLETED"
        (closed,) = await incidents_of(http, key)
        assert closed["state"] == "RESOLVED"
        variables = await search(http, "/variables/search", {"filter": {"scopeKey": key}})
        assert {v["name"]: v["value"] for v in variables} == {"amount": "5", "reserved": "true"}

    async def test_a_process_without_a_none_start_event_cannot_be_called(
        self, api: AsyncClient, http: httpx.AsyncClient
    ) -> None:
        await deploy(api, ONLY_MESSAGE_START, CALLS_ORDER)
        created = await api.create_process_instance(process_definition_id="calls")
        (incident,) = await incidents_of(http, created.process_instance_key)
        assert incident["errorType"] == "CALLED_ELEMENT_ERROR"
        assert incident["errorMessage"] == (
            "Expected process with BPMN process id 'order' to have a none start event,"
            " but not found."
        )
        assert await children_of(http, created.process_instance_key) == []

    async def test_cancelling_the_caller_closes_the_incident(
        self, api: AsyncClient, http: httpx.AsyncClient
    ) -> None:
        await deploy(api, CALLS_ORDER)
        created = await api.create_process_instance(process_definition_id="calls")
        key = created.process_instance_key
        await api.cancel_process_instance(key)
        assert (await instance(http, key))["state"] == "TERMINATED"
        (incident,) = await incidents_of(http, key)
        assert incident["state"] == "RESOLVED"
