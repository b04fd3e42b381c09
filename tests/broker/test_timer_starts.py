"""Timer start events on the broker, end to end: a deployed cycle creates exactly one instance
per tick (moved by pinning the clock), across a restart and across two PostgreSQL replicas; a
new version replaces the old version's timer start; deleting it schedules the old one again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import anyio
import pytest

from sdk.broker import RunningBroker, serve
from sdk.client import AsyncClient
from sdk.testing import client_for, wait_until

from .test_process_instances import bpmn, deploy, flow

pytestmark = pytest.mark.anyio

T0 = datetime(2030, 3, 1, 12, 0, tzinfo=timezone.utc)


def hourly(process_id: str = "tick", start: str = "every_hour", cycle: str = "R/PT1H") -> bytes:
    return bpmn(
        process_id,
        f'<bpmn:startEvent id="{start}"><bpmn:timerEventDefinition>'
        f"<bpmn:timeCycle>{cycle}</bpmn:timeCycle></bpmn:timerEventDefinition>"
        '</bpmn:startEvent><bpmn:endEvent id="end"/>' + flow("f1", start, "end"),
    )


@asynccontextmanager
async def clocked(where: str) -> AsyncIterator[RunningBroker]:
    async with anyio.create_task_group() as tg:
        running: RunningBroker = await tg.start(
            lambda task_status: serve(
                where, "127.0.0.1", 0, clock_control=True, task_status=task_status
            )
        )
        yield running
        tg.cancel_scope.cancel()


async def instances(api: AsyncClient, process_id: str = "tick") -> list[str]:
    found = await api.search_process_instances(process_definition_id=process_id)
    return [i.process_instance_key for i in found.items]


async def count_reaches(api: AsyncClient, wanted: int, process_id: str = "tick") -> int:
    with anyio.fail_after(10):
        await wait_until(lambda: _at_least(api, wanted, process_id))
    await anyio.sleep(0.3)  # and no more come
    return len(await instances(api, process_id))


async def _at_least(api: AsyncClient, wanted: int, process_id: str) -> bool | None:
    return len(await instances(api, process_id)) >= wanted or None


async def test_a_cycle_creates_one_instance_per_tick(store_path: str) -> None:
    async with clocked(store_path) as broker, client_for(broker) as api:
        await api.pin_clock(T0)
        await deploy(api, hourly())
        await anyio.sleep(0.2)
        assert await instances(api) == []
        await api.pin_clock(T0 + timedelta(hours=1))
        assert await count_reaches(api, 1) == 1
        await api.pin_clock(T0 + timedelta(hours=3))  # two ticks due: two instances
        assert await count_reaches(api, 3) == 3
        found = await api.search_process_instances(process_definition_id="tick")
        assert {i.state for i in found.items} == {"COMPLETED"}


async def test_a_restart_neither_loses_nor_repeats_a_tick(tmp_path: Path) -> None:
    db = str(tmp_path / "jobs.db")
    async with clocked(db) as broker, client_for(broker) as api:
        await api.pin_clock(T0)
        await deploy(api, hourly())
    async with clocked(db) as broker, client_for(broker) as api:
        await api.pin_clock(T0 + timedelta(hours=1))
        assert await count_reaches(api, 1) == 1
    async with clocked(db) as broker, client_for(broker) as api:
        await anyio.sleep(0.3)
        assert len(await instances(api)) == 1  # fired before the restart: not again
        await api.pin_clock(T0 + timedelta(hours=2))
        assert await count_reaches(api, 2) == 2


async def test_two_replicas_create_one_instance_per_tick(postgres_url: str) -> None:
    async with (
        clocked(postgres_url) as one,
        clocked(postgres_url) as two,
        client_for(one) as a,
        client_for(two) as b,
    ):
        await a.pin_clock(T0)
        await deploy(a, hourly())
        await b.pin_clock(T0 + timedelta(hours=5))  # both replicas see five due ticks
        await a.pin_clock(T0 + timedelta(hours=5))
        assert await count_reaches(a, 5) == 5
        await anyio.sleep(1.2)  # the other replica looked again
        assert len(await instances(b)) == 5


async def test_a_new_version_replaces_the_timer_start_and_deleting_it_restores_the_old_one(
    store_path: str,
) -> None:
    async with clocked(store_path) as broker, client_for(broker) as api:
        await api.pin_clock(T0)
        await deploy(api, hourly())
        await deploy(api, hourly(start="every_two_hours", cycle="R/PT2H"))
        await api.pin_clock(T0 + timedelta(hours=1))
        await anyio.sleep(0.5)
        assert await instances(api) == []  # the first version's hourly timer is gone
        await api.pin_clock(T0 + timedelta(hours=2))
        assert await count_reaches(api, 1) == 1
        found = await api.search_process_instances(process_definition_id="tick")
        assert found.items[0].process_definition_version == 2
        definitions = await api.search_process_definitions()
        first, second = sorted(definitions.items, key=lambda d: d.version)
        await api.delete_resource(second.process_definition_key)  # the first is latest again
        await api.pin_clock(T0 + timedelta(hours=3))
        assert await count_reaches(api, 2) == 2
        found = await api.search_process_instances(process_definition_id="tick")
        assert sorted(i.process_definition_version for i in found.items) == [1, 2]
        await api.delete_resource(first.process_definition_key)  # none left: no schedule
        await api.pin_clock(T0 + timedelta(hours=10))
        await anyio.sleep(0.5)
        assert len(await instances(api)) == 2
