"""Camunda user tasks (``zeebe:userTask``) on the broker, end to end on every kind of store: a
task waits until completed through the user-task API (its variables join the instance), can be
searched, read and assigned (``allowOverride`` as Camunda), and a completed task refuses a second
completion (409); variables set on an element instance go to its scope or where they exist."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from sdk.broker import RunningBroker
from sdk.errors import ApiError
from sdk.models import UserTaskSearchQuery
from sdk.testing import client_for, wait_until

from .test_process_instances import bpmn, deploy, ended, flow, search

pytestmark = pytest.mark.anyio

APPROVAL = bpmn(
    "approval",
    '<bpmn:startEvent id="start"/><bpmn:userTask id="approve" name="Approve the order">'
    "<bpmn:extensionElements><zeebe:userTask/>"
    '<zeebe:assignmentDefinition assignee="= owner" candidateGroups="sales, finance"/>'
    '<zeebe:priorityDefinition priority="80"/>'
    '</bpmn:extensionElements></bpmn:userTask><bpmn:endEvent id="end"/>'
    + flow("f1", "start", "approve")
    + flow("f2", "approve", "end"),
)
SCOPED = bpmn(
    "scoped",
    '<bpmn:startEvent id="start"/><bpmn:subProcess id="sub"><bpmn:startEvent id="s2"/>'
    '<bpmn:userTask id="inner"><bpmn:extensionElements><zeebe:userTask/>'
    '</bpmn:extensionElements></bpmn:userTask><bpmn:endEvent id="e2"/>'
    + flow("g1", "s2", "inner")
    + flow("g2", "inner", "e2")
    + '</bpmn:subProcess><bpmn:endEvent id="end"/>'
    + flow("f1", "start", "sub")
    + flow("f2", "sub", "end"),
)


async def _task(url: str, instance_key: str) -> dict[str, Any] | None:
    """The instance's user task once it is there."""
    async with httpx.AsyncClient(base_url=url) as http:
        items = await search(
            http, "/user-tasks/search", {"filter": {"processInstanceKey": instance_key}}
        )
    return items[0] if items else None


async def test_a_user_task_waits_until_completed_with_variables(broker: RunningBroker) -> None:
    async with client_for(broker) as api, httpx.AsyncClient(base_url=broker.url) as http:
        await deploy(api, APPROVAL)
        created = await api.create_process_instance(
            process_definition_id="approval", variables={"owner": "ann"}
        )
        key = created.process_instance_key
        task = await wait_until(lambda: _task(broker.url, key))
        assert task["state"] == "CREATED" and task["elementId"] == "approve"
        assert task["assignee"] == "ann" and task["priority"] == 80
        assert task["candidateGroups"] == ["sales", "finance"]
        assert task["processDefinitionId"] == "approval" and task["creationDate"]
        assert await ended(http, key) is None
        one = await api.get_user_task(str(task["userTaskKey"]))
        assert one.element_instance_key == task["elementInstanceKey"]
        await api.complete_user_task(one.user_task_key, {"approved": True})
        done = await wait_until(lambda: ended(http, key))
        assert done["state"] == "COMPLETED"
        variables = await search(http, "/variables/search", {"filter": {"processInstanceKey": key}})
        assert {v["name"]: json.loads(v["value"]) for v in variables}["approved"] is True
        finished = await api.get_user_task(one.user_task_key)
        assert finished.state == "COMPLETED" and finished.completion_date
        with pytest.raises(ApiError) as again:
            await api.complete_user_task(one.user_task_key)
        assert again.value.status == 409
        found = await api.search_user_tasks(
            UserTaskSearchQuery.model_validate_json('{"filter": {"state": "COMPLETED"}}')
        )
        assert [t.user_task_key for t in found.items] == [one.user_task_key]
        by_group = await search(http, "/user-tasks/search", {"filter": {"candidateGroup": "sales"}})
        assert len(by_group) == 1


async def test_assignment_and_allow_override(broker: RunningBroker) -> None:
    async with client_for(broker) as api:
        await deploy(api, APPROVAL)
        created = await api.create_process_instance(
            process_definition_id="approval", variables={"owner": "ann"}
        )
        task = await wait_until(lambda: _task(broker.url, created.process_instance_key))
        key = str(task["userTaskKey"])
        await api.assign_user_task(key, "bob")
        assert (await api.get_user_task(key)).assignee == "bob"
        with pytest.raises(ApiError) as refused:
            await api.assign_user_task(key, "carl", allow_override=False)
        assert refused.value.status == 409
        await api.assign_user_task(key, "bob", allow_override=False)  # the same: no change
        assert (await api.get_user_task(key)).assignee == "bob"
        with pytest.raises(ApiError) as unknown:
            await api.assign_user_task("2251799813999999", "bob")
        assert unknown.value.status == 404
        with pytest.raises(ApiError) as missing:
            await api.get_user_task("2251799813999999")
        assert missing.value.status == 404
        await api.cancel_process_instance(created.process_instance_key)
        assert (await api.get_user_task(key)).state == "CANCELED"
        with pytest.raises(ApiError) as closed:
            await api.complete_user_task(key)
        assert closed.value.status == 409
    async with httpx.AsyncClient(base_url=broker.url) as http:
        empty = await http.post(f"/user-tasks/{key}/assignment", json={})
        assert empty.status_code == 400, empty.text


async def test_element_instance_variables_local_or_propagated(broker: RunningBroker) -> None:
    async with client_for(broker) as api, httpx.AsyncClient(base_url=broker.url) as http:
        await deploy(api, SCOPED)
        created = await api.create_process_instance(
            process_definition_id="scoped", variables={"total": 1}
        )
        key = created.process_instance_key
        await wait_until(lambda: _task(broker.url, key))
        (sub,) = await search(
            http,
            "/element-instances/search",
            {"filter": {"processInstanceKey": key, "elementId": "sub"}},
        )
        sub_key = sub["elementInstanceKey"]
        await api.set_element_instance_variables(sub_key, {"note": "local"}, local=True)
        await api.set_element_instance_variables(sub_key, {"total": 2, "fresh": True})
        variables = await search(http, "/variables/search", {"filter": {"processInstanceKey": key}})
        scopes = {(v["name"], v["scopeKey"]): json.loads(v["value"]) for v in variables}
        assert scopes[("note", sub_key)] == "local"
        assert scopes[("total", key)] == 2 and ("total", sub_key) not in scopes
        assert scopes[("fresh", key)] is True  # nowhere yet: the root
        gone = await http.put(
            "/element-instances/2251799813999999/variables", json={"variables": {}}
        )
        assert gone.status_code == 404, gone.text
