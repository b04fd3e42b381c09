"""The broker's clock, pinned through Camunda's clock API: a pin fires the timers due by then
(woken, not polled), on every kind of store; refused by a broker started without clock control;
kept in the database, so a restart and other replicas see it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import anyio
import httpx
import pytest

from sdk.broker import RunningBroker, serve
from sdk.errors import ApiError
from sdk.testing import client_for, wait_until

from .test_process_instances import bpmn, deploy, ended, flow, task

pytestmark = pytest.mark.anyio

HOUR_CATCH = bpmn(
    "an_hour",
    '<bpmn:startEvent id="start"/><bpmn:intermediateCatchEvent id="wait">'
    "<bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration>"
    '</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent><bpmn:endEvent id="end"/>'
    + flow("f1", "start", "wait")
    + flow("f2", "wait", "end"),
)
HOUR_BOUNDARY = bpmn(
    "a_day_late",
    '<bpmn:startEvent id="start"/>'
    + task("slow", "slow-for-a-day")
    + '<bpmn:boundaryEvent id="too_late" attachedToRef="slow"><bpmn:timerEventDefinition>'
    "<bpmn:timeDuration>P1D</bpmn:timeDuration></bpmn:timerEventDefinition>"
    '</bpmn:boundaryEvent><bpmn:endEvent id="done"/><bpmn:endEvent id="escalated"/>'
    + flow("f1", "start", "slow")
    + flow("f2", "slow", "done")
    + flow("f3", "too_late", "escalated"),
)


@pytest.fixture
async def clocked(store_path: str) -> AsyncIterator[RunningBroker]:
    """A broker with its clock controllable, over each kind of store."""
    async with anyio.create_task_group() as tg:
        running: RunningBroker = await tg.start(
            lambda task_status: serve(
                store_path, "127.0.0.1", 0, clock_control=True, task_status=task_status
            )
        )
        yield running
        tg.cancel_scope.cancel()


def later(**delta: float) -> datetime:
    return datetime.now(timezone.utc) + timedelta(**delta)


async def test_pinning_the_clock_forward_fires_a_timer_catch_and_a_boundary(
    clocked: RunningBroker,
) -> None:
    async with client_for(clocked) as api, httpx.AsyncClient(base_url=clocked.url) as http:
        await deploy(api, HOUR_CATCH, HOUR_BOUNDARY)
        catch = await api.create_process_instance(process_definition_id="an_hour")
        late = await api.create_process_instance(process_definition_id="a_day_late")
        await anyio.sleep(0.2)
        assert await ended(http, catch.process_instance_key) is None
        await api.pin_clock(later(hours=2))
        with anyio.fail_after(10):
            done = await wait_until(lambda: ended(http, catch.process_instance_key))
        assert done["state"] == "COMPLETED"
        assert await ended(http, late.process_instance_key) is None  # a day is not up yet
        await api.pin_clock(later(days=2))
        with anyio.fail_after(10):
            done = await wait_until(lambda: ended(http, late.process_instance_key))
        flows = await api.get_process_instance_sequence_flows(late.process_instance_key)
        assert [f.sequence_flow_id for f in flows.items] == ["f1", "f3"]
        await api.reset_clock()
        assert abs(clocked.store.now() - datetime.now(timezone.utc).timestamp() * 1000) < 5_000


async def test_a_pinned_clock_stands_still_and_dates_what_happens(clocked: RunningBroker) -> None:
    async with client_for(clocked) as api:
        at = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
        await api.pin_clock(at)
        await anyio.sleep(0.05)
        assert clocked.store.now() == int(at.timestamp() * 1000)
        await deploy(api, HOUR_CATCH)
        created = await api.create_process_instance(process_definition_id="an_hour")
        found = await api.get_process_instance(created.process_instance_key)
        assert found.start_date == "2030-01-02T03:04:05.000Z"


async def test_the_clock_routes_are_refused_without_clock_control(broker: RunningBroker) -> None:
    async with httpx.AsyncClient(base_url=broker.url) as http:
        pinned = await http.put("/clock", json={"timestamp": 1_700_000_000_000})
        reset = await http.post("/clock/reset")
    for answer in (pinned, reset):
        assert answer.status_code == 404, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert "--clock-control" in answer.json()["detail"]
    async with client_for(broker) as api:
        with pytest.raises(ApiError) as refused:
            await api.pin_clock(later(hours=1))
        assert refused.value.status == 404


async def test_an_invalid_pin_is_refused(clocked: RunningBroker) -> None:
    async with httpx.AsyncClient(base_url=clocked.url) as http:
        for body in ({}, {"timestamp": "soon"}, {"timestamp": -5}):
            answer = await http.put("/clock", json=body)
            assert answer.status_code == 400, (body, answer.text)


async def test_a_pinned_clock_survives_a_restart(tmp_path: Path) -> None:
    db = str(tmp_path / "jobs.db")
    at = datetime(2031, 5, 6, tzinfo=timezone.utc)
    for step in ("pin", "check"):
        async with anyio.create_task_group() as tg:
            running: RunningBroker = await tg.start(
                lambda task_status: serve(
                    db, "127.0.0.1", 0, clock_control=True, task_status=task_status
                )
            )
            if step == "pin":
                async with client_for(running) as api:
                    await api.pin_clock(at)
            else:
                assert running.store.now() == int(at.timestamp() * 1000)
            tg.cancel_scope.cancel()


async def test_replicas_share_the_pinned_clock(postgres_url: str) -> None:
    async with anyio.create_task_group() as tg:
        brokers: list[RunningBroker] = [
            await tg.start(
                lambda task_status: serve(
                    postgres_url, "127.0.0.1", 0, clock_control=True, task_status=task_status
                )
            )
            for _ in range(2)
        ]
        one, two = brokers
        at = datetime(2032, 1, 1, tzinfo=timezone.utc)
        async with client_for(one) as api:
            await api.pin_clock(at)
        with anyio.fail_after(10):
            await wait_until(lambda: two.store.now() == int(at.timestamp() * 1000) or None)
        tg.cancel_scope.cancel()
