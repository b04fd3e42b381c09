"""Names as Camunda answers them: a user task and an element instance carry the element's
``name`` attribute (its id when it has none), and a search filters on it."""

from __future__ import annotations

import httpx
import pytest

from sdk.client import AsyncClient

from .test_process_instances import deploy, search
from .test_user_tasks import APPROVAL, SCOPED

pytestmark = pytest.mark.anyio


async def elements_of(http: httpx.AsyncClient, key: str) -> dict[str, str]:
    found = await search(http, "/element-instances/search", {"filter": {"processInstanceKey": key}})
    return {e["elementId"]: e["elementName"] for e in found}


class TestNames:
    async def test_a_user_task_and_its_element_instance_carry_the_elements_name(
        self, api: AsyncClient, http: httpx.AsyncClient
    ) -> None:
        await deploy(api, APPROVAL)
        created = await api.create_process_instance(
            process_definition_id="approval", variables={"owner": "ann"}
        )
        key = created.process_instance_key
        (task,) = await search(http, "/user-tasks/search", {"filter": {"processInstanceKey": key}})
        assert task["name"] == "Approve the order" and task["elementId"] == "approve"
        names = await elements_of(http, key)
        assert names == {"approval": "approval", "start": "start", "approve": "Approve the order"}
        one = await http.get(f"/element-instances/{task['elementInstanceKey']}")
        assert one.json()["elementName"] == "Approve the order"

    async def test_an_element_without_a_name_is_named_by_its_id(
        self, api: AsyncClient, http: httpx.AsyncClient
    ) -> None:
        await deploy(api, SCOPED)
        created = await api.create_process_instance(process_definition_id="scoped")
        key = created.process_instance_key
        (task,) = await search(http, "/user-tasks/search", {"filter": {"processInstanceKey": key}})
        assert task["name"] == "inner"
        assert (await elements_of(http, key))["inner"] == "inner"

    async def test_a_search_filters_on_the_name(
        self, api: AsyncClient, http: httpx.AsyncClient
    ) -> None:
        await deploy(api, APPROVAL)
        created = await api.create_process_instance(
            process_definition_id="approval", variables={"owner": "ann"}
        )
        found = await search(
            http,
            "/element-instances/search",
            {
                "filter": {
                    "processInstanceKey": created.process_instance_key,
                    "elementName": "Approve the order",
                }
            },
        )
        assert [e["elementId"] for e in found] == ["approve"]
