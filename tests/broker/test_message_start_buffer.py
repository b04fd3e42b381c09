"""Message start events and the message buffer, as Zeebe's: one active instance per correlation
key; a message buffered meanwhile starts the next instance (of the latest version) once the
active one ends, completed or cancelled, oldest first and never after its time to live; a
message published before its process was deployed starts nothing at deployment."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sdk.broker import RunningBroker
from sdk.client import AsyncClient
from sdk.testing import wait_until

from .test_messages import MESSAGE_START, publish, variables
from .test_process_instances import bpmn, deploy, flow, search, task

pytestmark = pytest.mark.anyio

HOUR_MS = 3_600_000
MESSAGE_START_V2 = bpmn(
    "by_message",
    '<bpmn:startEvent id="start_v2"><bpmn:messageEventDefinition messageRef="go"/>'
    "</bpmn:startEvent>"
    + task("work", "started-work")
    + '<bpmn:endEvent id="end"/>'
    + flow("f1", "start_v2", "work")
    + flow("f2", "work", "end"),
    '<bpmn:message id="go" name="order-placed"/>',
)


async def started(http: httpx.AsyncClient) -> list[dict[str, Any]]:
    """The instances of ``by_message``, oldest first."""
    found = await search(
        http, "/process-instances/search", {"filter": {"processDefinitionId": "by_message"}}
    )
    return sorted(found, key=lambda i: int(i["processInstanceKey"]))


async def send(http: httpx.AsyncClient, n: int, key: str = "k-1", ttl_ms: int = HOUR_MS) -> None:
    response = await publish(
        http, name="order-placed", correlationKey=key, timeToLive=ttl_ms, variables={"n": n}
    )
    assert response.status_code == 200, response.text


async def the_job(api: AsyncClient) -> Any:
    (job,) = await api.activate_jobs(
        "started-work", max_jobs=1, timeout_ms=60_000, request_timeout_ms=5_000
    )
    return job


async def ns(http: httpx.AsyncClient) -> list[str]:
    """The ``n`` each instance was started with, oldest instance first."""
    return [(await variables(http, i["processInstanceKey"]))["n"] for i in await started(http)]


class TestBufferedStart:
    async def test_buffered_messages_start_one_instance_after_each_completion(
        self, api: AsyncClient, http: httpx.AsyncClient
    ) -> None:
        await deploy(api, MESSAGE_START)
        for n in (1, 2, 3):
            await send(http, n)
        assert await ns(http) == ["1"]  # one active instance per correlation key

        await api.complete_job((await the_job(api)).job_key)
        assert await ns(http) == ["1", "2"]
        first, second = await started(http)
        assert first["state"] == "COMPLETED" and second["state"] == "ACTIVE"

        await api.complete_job((await the_job(api)).job_key)
        assert await ns(http) == ["1", "2", "3"]
        await api.complete_job((await the_job(api)).job_key)
        done = await started(http)
        assert [i["state"] for i in done] == ["COMPLETED"] * 3
        assert (
            await api.activate_jobs(
                "started-work", max_jobs=1, timeout_ms=60_000, request_timeout_ms=-1
            )
            == []
        )

    async def test_a_cancelled_instance_lets_the_next_buffered_message_start(
        self, api: AsyncClient, http: httpx.AsyncClient
    ) -> None:
        await deploy(api, MESSAGE_START)
        await send(http, 1)
        await send(http, 2)
        (first,) = await started(http)
        await api.cancel_process_instance(first["processInstanceKey"])
        assert await ns(http) == ["1", "2"]
        assert [i["state"] for i in await started(http)] == ["TERMINATED", "ACTIVE"]

    async def test_another_correlation_key_waits_for_nothing(
        self, api: AsyncClient, http: httpx.AsyncClient
    ) -> None:
        await deploy(api, MESSAGE_START)
        await send(http, 1, key="k-1")
        await send(http, 2, key="k-1")
        await send(http, 3, key="k-2")
        assert await ns(http) == ["1", "3"]
        first = (await started(http))[0]
        await api.cancel_process_instance(first["processInstanceKey"])
        assert await ns(http) == ["1", "3", "2"]

    async def test_an_expired_buffered_message_starts_nothing(
        self, api: AsyncClient, http: httpx.AsyncClient, broker: RunningBroker
    ) -> None:
        await deploy(api, MESSAGE_START)
        await send(http, 1)
        published_at = broker.store.now()
        await send(http, 2, ttl_ms=1)
        await send(http, 3)
        await wait_until(lambda: broker.store.now() > published_at + 5)
        (first,) = await started(http)
        await api.cancel_process_instance(first["processInstanceKey"])
        assert await ns(http) == ["1", "3"]

    async def test_the_next_instance_is_of_the_latest_version(
        self, api: AsyncClient, http: httpx.AsyncClient
    ) -> None:
        await deploy(api, MESSAGE_START)
        await send(http, 1)
        await deploy(api, MESSAGE_START_V2)
        await send(http, 2)
        assert await ns(http) == ["1"]  # the key is busy across versions
        await api.complete_job((await the_job(api)).job_key)
        first, second = await started(http)
        assert (first["processDefinitionVersion"], second["processDefinitionVersion"]) == (1, 2)
        elements = await search(
            http,
            "/element-instances/search",
            {"filter": {"processInstanceKey": second["processInstanceKey"]}},
        )
        assert "start_v2" in {e["elementId"] for e in elements}

    async def test_a_message_published_before_deployment_starts_nothing_then(
        self, api: AsyncClient, http: httpx.AsyncClient
    ) -> None:
        await send(http, 1)
        await deploy(api, MESSAGE_START)
        assert await started(http) == []
        await send(http, 2)
        assert await ns(http) == ["2"]
