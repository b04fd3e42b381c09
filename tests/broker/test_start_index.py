"""The message and signal start events of the latest versions are read once and kept until the
definitions change: a publication re-reads nothing; a deployment or a deletion, on this broker
or on another replica of the same PostgreSQL database, is seen by the next publication."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sdk.broker import RunningBroker
from sdk.client import AsyncClient
from sdk.testing import client_for

from .test_messages import MESSAGE_START, publish
from .test_process_instances import bpmn, deploy, flow, search

pytestmark = pytest.mark.anyio

OTHER_START = bpmn(
    "also_by_message",
    '<bpmn:startEvent id="start"><bpmn:messageEventDefinition messageRef="go"/>'
    '</bpmn:startEvent><bpmn:endEvent id="end"/>' + flow("f1", "start", "end"),
    '<bpmn:message id="go" name="order-placed"/>',
)


async def started_by(http: httpx.AsyncClient, process_id: str) -> int:
    found = await search(
        http, "/process-instances/search", {"filter": {"processDefinitionId": process_id}}
    )
    return len(found)


async def place(http: httpx.AsyncClient, key: str) -> None:
    response = await publish(http, name="order-placed", correlationKey=key)
    assert response.status_code == 200, response.text


async def definition_key(api: AsyncClient, process_id: str) -> str:
    found = await api.search_process_definitions(process_definition_id=process_id)
    (definition,) = found.items
    return definition.process_definition_key


class TestOneBroker:
    async def test_publishing_reads_no_definition_until_they_change(
        self,
        broker: RunningBroker,
        api: AsyncClient,
        http: httpx.AsyncClient,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        await deploy(api, MESSAGE_START)
        reads: list[int] = []
        listing = broker.store.process_definitions

        async def counted() -> Any:
            reads.append(1)
            return await listing()

        monkeypatch.setattr(broker.store, "process_definitions", counted)
        for n in range(3):
            await place(http, f"k-{n}")
        assert reads == []
        assert await started_by(http, "by_message") == 3

        await deploy(api, OTHER_START)
        reads.clear()
        await place(http, "k-9")
        assert reads == []
        assert (
            await started_by(http, "by_message"),
            await started_by(http, "also_by_message"),
        ) == (
            4,
            1,
        )

        await api.delete_resource(await definition_key(api, "also_by_message"))
        await place(http, "k-10")
        assert (
            await started_by(http, "by_message"),
            await started_by(http, "also_by_message"),
        ) == (
            5,
            1,
        )


class TestReplicas:
    async def test_a_deployment_on_one_replica_is_seen_by_the_others_publication(
        self, two_brokers: tuple[RunningBroker, RunningBroker]
    ) -> None:
        one, two = two_brokers
        async with (
            client_for(one) as api,
            httpx.AsyncClient(base_url=two.url) as other,
        ):
            await place(other, "before")  # the other replica reads its index: nothing yet
            assert await started_by(other, "by_message") == 0

            await deploy(api, MESSAGE_START)
            await place(other, "after")
            assert await started_by(other, "by_message") == 1

            await api.delete_resource(await definition_key(api, "by_message"))
            await place(other, "deleted")
            assert await started_by(other, "by_message") == 1
