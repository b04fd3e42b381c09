"""Messages and signals on the broker, end to end: publish and correlate messages to waiting
catch events, receive tasks, boundaries and message start events; buffer them for their time to
live; broadcast signals; on every kind of store."""

from __future__ import annotations

from typing import Any

import anyio
import httpx
import pytest

from sdk.broker import RunningBroker
from sdk.client import AsyncClient
from sdk.testing import client_for, running, wait_until

from .test_process_instances import (
    a_worker,
    bpmn,
    deploy,
    ended,
    flow,
    search,
    task,
)

pytestmark = pytest.mark.anyio


MESSAGE = (
    '<bpmn:message id="paid" name="payment-received"><bpmn:extensionElements>'
    '<zeebe:subscription correlationKey="= orderId"/></bpmn:extensionElements></bpmn:message>'
)
CATCH = bpmn(
    "wait_pay",
    '<bpmn:startEvent id="start"/><bpmn:intermediateCatchEvent id="pay">'
    '<bpmn:messageEventDefinition messageRef="paid"/></bpmn:intermediateCatchEvent>'
    '<bpmn:endEvent id="end"/>' + flow("f1", "start", "pay") + flow("f2", "pay", "end"),
    MESSAGE,
)
TASK_THEN_CATCH = bpmn(
    "later_pay",
    '<bpmn:startEvent id="start"/>'
    + task("prepare", "prepare")
    + '<bpmn:intermediateCatchEvent id="pay">'
    '<bpmn:messageEventDefinition messageRef="paid"/></bpmn:intermediateCatchEvent>'
    '<bpmn:endEvent id="end"/>'
    + flow("f1", "start", "prepare")
    + flow("f2", "prepare", "pay")
    + flow("f3", "pay", "end"),
    MESSAGE,
)
BOUNDARY = bpmn(
    "cancellable",
    '<bpmn:startEvent id="start"/>'
    + task("ship", "ship")
    + '<bpmn:boundaryEvent id="cancel" attachedToRef="ship">'
    '<bpmn:messageEventDefinition messageRef="cancelled"/></bpmn:boundaryEvent>'
    '<bpmn:endEvent id="shipped"/><bpmn:endEvent id="stopped"/>'
    + flow("f1", "start", "ship")
    + flow("f2", "ship", "shipped")
    + flow("f3", "cancel", "stopped"),
    '<bpmn:message id="cancelled" name="order-cancelled"><bpmn:extensionElements>'
    '<zeebe:subscription correlationKey="= orderId"/></bpmn:extensionElements></bpmn:message>',
)
MESSAGE_START = bpmn(
    "by_message",
    '<bpmn:startEvent id="start"><bpmn:messageEventDefinition messageRef="go"/>'
    "</bpmn:startEvent>"
    + task("work", "started-work")
    + '<bpmn:endEvent id="end"/>'
    + flow("f1", "start", "work")
    + flow("f2", "work", "end"),
    '<bpmn:message id="go" name="order-placed"/>',
)
SIGNAL = '<bpmn:signal id="stop" name="stop-all"/>'
SIGNAL_CATCH = bpmn(
    "wait_signal",
    '<bpmn:startEvent id="start"/><bpmn:intermediateCatchEvent id="halt">'
    '<bpmn:signalEventDefinition signalRef="stop"/></bpmn:intermediateCatchEvent>'
    '<bpmn:endEvent id="end"/>' + flow("f1", "start", "halt") + flow("f2", "halt", "end"),
    SIGNAL,
)
SIGNAL_START = bpmn(
    "by_signal",
    '<bpmn:startEvent id="start"><bpmn:signalEventDefinition signalRef="stop"/>'
    '</bpmn:startEvent><bpmn:endEvent id="end"/>' + flow("f1", "start", "end"),
    SIGNAL,
)


async def publish(http: httpx.AsyncClient, **body: Any) -> httpx.Response:
    return await http.post("/messages/publication", json=body)


async def variables(http: httpx.AsyncClient, key: str) -> dict[str, Any]:
    found = await search(http, "/variables/search", {"filter": {"processInstanceKey": key}})
    return {v["name"]: v["value"] for v in found}


async def start(api: AsyncClient, process_id: str, **variables: Any) -> str:
    created = await api.create_process_instance(
        process_definition_id=process_id, variables=variables
    )
    return created.process_instance_key


async def open_subscriptions(http: httpx.AsyncClient, key: str) -> list[Any]:
    return await search(
        http,
        "/message-subscriptions/search",
        {"filter": {"processInstanceKey": key, "messageSubscriptionState": "CREATED"}},
    )


class TestPublication:
    async def test_a_catch_event_is_correlated_by_key_with_the_variables(
        self, api: AsyncClient, http: httpx.AsyncClient
    ) -> None:
        await deploy(api, CATCH)
        key = await start(api, "wait_pay", orderId="o-1")
        other = await start(api, "wait_pay", orderId="o-2")
        (subscription,) = await open_subscriptions(http, key)
        assert subscription["messageName"] == "payment-received"
        assert subscription["correlationKey"] == "o-1"
        assert subscription["elementId"] == "pay"
        assert subscription["processDefinitionId"] == "wait_pay"
        response = await publish(
            http, name="payment-received", correlationKey="o-1", variables={"amount": 7}
        )
        assert response.status_code == 200, response.text
        assert response.json()["messageKey"] and response.json()["tenantId"] == "<default>"
        done = await wait_until(lambda: ended(http, key))
        assert done["state"] == "COMPLETED"
        assert (await variables(http, key))["amount"] == "7"
        assert not await ended(http, other)
        correlated = await search(
            http,
            "/message-subscriptions/search",
            {"filter": {"messageSubscriptionState": "CORRELATED"}},
        )
        assert [s["processInstanceKey"] for s in correlated] == [key]

    async def test_a_buffered_message_is_correlated_when_the_catch_opens(
        self, api: AsyncClient, http: httpx.AsyncClient
    ) -> None:
        await deploy(api, TASK_THEN_CATCH)
        kept = await start(api, "later_pay", orderId="kept")
        lost = await start(api, "later_pay", orderId="lost")
        response = await publish(
            http,
            name="payment-received",
            correlationKey="kept",
            timeToLive=60_000,
            variables={"paid": True},
        )
        assert response.status_code == 200, response.text
        response = await publish(http, name="payment-received", correlationKey="lost")
        assert response.status_code == 200  # time to live 0: not buffered
        worker = a_worker()

        @worker.task("prepare")
        async def prepare() -> None:
            return None

        async with running(worker, api):
            done = await wait_until(lambda: ended(http, kept))
            await wait_until(lambda: open_subscriptions(http, lost))
        assert done["state"] == "COMPLETED"
        assert (await variables(http, kept))["paid"] == "true"
        assert not await ended(http, lost)

    async def test_an_expired_message_is_not_correlated(
        self, api: AsyncClient, http: httpx.AsyncClient
    ) -> None:
        await deploy(api, TASK_THEN_CATCH)
        key = await start(api, "later_pay", orderId="late")
        response = await publish(http, name="payment-received", correlationKey="late", timeToLive=1)
        assert response.status_code == 200
        await anyio.sleep(0.05)
        (job,) = await api.activate_jobs("prepare", max_jobs=1, timeout_ms=60_000)
        await api.complete_job(job.job_key)
        assert await wait_until(lambda: open_subscriptions(http, key))
        assert not await ended(http, key)

    async def test_a_message_id_published_again_within_the_time_to_live_is_refused(
        self, http: httpx.AsyncClient
    ) -> None:
        body = {"name": "n", "correlationKey": "k", "timeToLive": 60_000, "messageId": "m-1"}
        assert (await publish(http, **body)).status_code == 200
        again = await publish(http, **body)
        assert again.status_code == 409, again.text
        assert again.json()["title"] == "ALREADY_EXISTS"
        assert "m-1" in again.json()["detail"]
        other_key = await publish(http, **{**body, "correlationKey": "other"})
        assert other_key.status_code == 200

    async def test_one_message_reaches_each_waiting_process_once(
        self, api: AsyncClient, http: httpx.AsyncClient
    ) -> None:
        other = CATCH.replace(b'"wait_pay"', b'"also_pay"')
        await deploy(api, CATCH, other)
        same = [await start(api, "wait_pay", orderId="shared") for _ in range(2)]
        also = await start(api, "also_pay", orderId="shared")
        response = await publish(
            http, name="payment-received", correlationKey="shared", timeToLive=60_000
        )
        assert response.status_code == 200
        assert (await wait_until(lambda: ended(http, also)))["state"] == "COMPLETED"
        # once per process (BPMN process id): one of the two instances of wait_pay
        assert (await wait_until(lambda: ended(http, same[0])))["state"] == "COMPLETED"
        assert not await ended(http, same[1])
        third = await start(api, "wait_pay", orderId="shared")  # the buffered one: wait_pay had it
        assert await open_subscriptions(http, third)
        assert not await ended(http, third)
        again = await publish(http, name="payment-received", correlationKey="shared")
        assert again.status_code == 200  # a new message: the oldest waiting instance gets it
        assert (await wait_until(lambda: ended(http, same[1])))["state"] == "COMPLETED"


class TestBoundaryAndStart:
    async def test_an_interrupting_message_boundary_cancels_the_tasks_job(
        self, api: AsyncClient, http: httpx.AsyncClient
    ) -> None:
        await deploy(api, BOUNDARY)
        key = await start(api, "cancellable", orderId="c-1")
        (job,) = await api.activate_jobs("ship", max_jobs=1, timeout_ms=60_000)
        response = await publish(http, name="order-cancelled", correlationKey="c-1")
        assert response.status_code == 200
        done = await wait_until(lambda: ended(http, key))
        assert done["state"] == "COMPLETED"
        elements = await search(
            http, "/element-instances/search", {"filter": {"processInstanceKey": key}}
        )
        assert {e["elementId"]: e["state"] for e in elements}["ship"] == "TERMINATED"
        assert "stopped" in {e["elementId"] for e in elements}
        jobs = await search(http, "/jobs/search", {"filter": {"jobKey": job.job_key}})
        assert jobs[0]["state"] == "CANCELED"
        late = await http.post(f"/jobs/{job.job_key}/completion", json={})
        assert late.status_code == 404

    async def test_a_message_start_event_starts_instances(
        self, api: AsyncClient, http: httpx.AsyncClient
    ) -> None:
        await deploy(api, MESSAGE_START)
        response = await publish(
            http, name="order-placed", correlationKey="p-1", variables={"item": "book"}
        )
        assert response.status_code == 200
        again = await publish(http, name="order-placed", correlationKey="p-1")
        assert again.status_code == 200  # an instance of p-1 is active: no second one
        other = await publish(http, name="order-placed", correlationKey="p-2")
        assert other.status_code == 200
        instances = await search(
            http, "/process-instances/search", {"filter": {"processDefinitionId": "by_message"}}
        )
        assert len(instances) == 2
        first = min(instances, key=lambda i: int(i["processInstanceKey"]))
        assert (await variables(http, first["processInstanceKey"]))["item"] == '"book"'

    async def test_the_correlation_endpoint(
        self, api: AsyncClient, http: httpx.AsyncClient
    ) -> None:
        nothing = await http.post(
            "/messages/correlation", json={"name": "payment-received", "correlationKey": "x"}
        )
        assert nothing.status_code == 404, nothing.text
        await deploy(api, CATCH, MESSAGE_START)
        key = await start(api, "wait_pay", orderId="x")
        response = await http.post(
            "/messages/correlation",
            json={"name": "payment-received", "correlationKey": "x", "variables": {"v": 1}},
        )
        assert response.status_code == 200, response.text
        assert response.json()["processInstanceKey"] == key
        assert (await wait_until(lambda: ended(http, key)))["state"] == "COMPLETED"
        started = await http.post("/messages/correlation", json={"name": "order-placed"})
        assert started.status_code == 200, started.text
        assert started.json()["processInstanceKey"] != key


class TestSignals:
    async def test_a_signal_reaches_every_waiting_instance_and_starts_processes(
        self, api: AsyncClient, http: httpx.AsyncClient
    ) -> None:
        await deploy(api, SIGNAL_CATCH, SIGNAL_START)
        keys = [await start(api, "wait_signal") for _ in range(3)]
        response = await http.post(
            "/signals/broadcast", json={"signalName": "stop-all", "variables": {"why": "x"}}
        )
        assert response.status_code == 200, response.text
        assert response.json()["signalKey"]
        for key in keys:
            done = await wait_until(lambda key=key: ended(http, key))  # type: ignore[misc]
            assert done["state"] == "COMPLETED"
            assert (await variables(http, key))["why"] == '"x"'
        started = await search(
            http, "/process-instances/search", {"filter": {"processDefinitionId": "by_signal"}}
        )
        assert len(started) == 1 and started[0]["state"] == "COMPLETED"

    async def test_a_signal_throw_event_reaches_other_instances(
        self, api: AsyncClient, http: httpx.AsyncClient
    ) -> None:
        thrower = bpmn(
            "thrower",
            '<bpmn:startEvent id="start"/><bpmn:intermediateThrowEvent id="throw">'
            '<bpmn:signalEventDefinition signalRef="stop"/></bpmn:intermediateThrowEvent>'
            '<bpmn:endEvent id="end"/>' + flow("f1", "start", "throw") + flow("f2", "throw", "end"),
            SIGNAL,
        )
        await deploy(api, SIGNAL_CATCH, thrower)
        waiting = await start(api, "wait_signal")
        await http.post("/signals/broadcast", json={"signalName": "warm-up"})
        thrown = await start(api, "thrower")
        assert (await wait_until(lambda: ended(http, thrown)))["state"] == "COMPLETED"
        assert (await wait_until(lambda: ended(http, waiting)))["state"] == "COMPLETED"


class TestSignalLoops:
    async def test_a_signal_thrown_by_an_instance_it_started_is_handled_once(
        self, api: AsyncClient, http: httpx.AsyncClient
    ) -> None:
        echo = bpmn(
            "echo",
            '<bpmn:startEvent id="start"><bpmn:signalEventDefinition signalRef="ping"/>'
            '</bpmn:startEvent><bpmn:endEvent id="end"><bpmn:signalEventDefinition'
            ' signalRef="ping"/></bpmn:endEvent>' + flow("f1", "start", "end"),
            '<bpmn:signal id="ping" name="ping"/>',
        )
        await deploy(api, echo)
        response = await http.post("/signals/broadcast", json={"signalName": "ping"})
        assert response.status_code == 200, response.text
        started = await search(
            http, "/process-instances/search", {"filter": {"processDefinitionId": "echo"}}
        )
        assert [i["state"] for i in started] == ["COMPLETED"]

    async def test_a_signal_a_jobs_step_throws_starts_a_signal_start_process(
        self, api: AsyncClient, http: httpx.AsyncClient
    ) -> None:
        thrower = bpmn(
            "job_then_throw",
            '<bpmn:startEvent id="start"/>'
            + task("before", "before-throw")
            + '<bpmn:endEvent id="end"><bpmn:signalEventDefinition signalRef="stop"/>'
            "</bpmn:endEvent>" + flow("f1", "start", "before") + flow("f2", "before", "end"),
            SIGNAL,
        )
        await deploy(api, thrower, SIGNAL_START)
        key = await start(api, "job_then_throw")
        (job,) = await api.activate_jobs("before-throw", max_jobs=1, timeout_ms=60_000)
        await api.complete_job(job.job_key)
        assert (await wait_until(lambda: ended(http, key)))["state"] == "COMPLETED"
        started = await search(
            http, "/process-instances/search", {"filter": {"processDefinitionId": "by_signal"}}
        )
        assert len(started) == 1


class TestReplicas:
    async def test_two_replicas_publishing_at_once_never_correlate_twice(
        self, two_brokers: tuple[RunningBroker, RunningBroker]
    ) -> None:
        one, two = two_brokers
        async with client_for(one) as a:
            await deploy(a, CATCH)
            keys = [
                (
                    await a.create_process_instance(
                        process_definition_id="wait_pay", variables={"orderId": f"r-{i}"}
                    )
                ).process_instance_key
                for i in range(5)
            ]
        async with (
            httpx.AsyncClient(base_url=one.url) as h1,
            httpx.AsyncClient(base_url=two.url) as h2,
        ):
            answers: list[int] = []

            async def send(h: httpx.AsyncClient, correlation_key: str) -> None:
                response = await publish(h, name="payment-received", correlationKey=correlation_key)
                answers.append(response.status_code)

            async with anyio.create_task_group() as tg:
                for i in range(5):
                    for h in (h1, h2):
                        tg.start_soon(send, h, f"r-{i}")
            assert answers == [200] * 10
            for key in keys:
                done = await wait_until(lambda key=key: ended(h1, key))  # type: ignore[misc]
                assert done["state"] == "COMPLETED"
                elements = await search(
                    h1,
                    "/element-instances/search",
                    {"filter": {"processInstanceKey": key, "elementId": "pay"}},
                )
                assert len(elements) == 1
                flows = (await h1.get(f"/process-instances/{key}/sequence-flows")).json()
                assert [f["sequenceFlowId"] for f in flows["items"]] == ["f1", "f2"]
