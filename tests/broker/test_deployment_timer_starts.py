"""A deployment and its timer start schedule commit together: the schedule is there as soon as
the deployment answers, and a deployment whose schedule cannot be written keeps nothing (no
version without its schedule, as a crash between two transactions could leave)."""

from __future__ import annotations

from typing import Any

import pytest

from sdk.broker import RunningBroker
from sdk.broker.store import _start_timers
from sdk.models import DEFAULT_TENANT

from .test_timer_starts import hourly

pytestmark = pytest.mark.anyio


async def schedule_rows(broker: RunningBroker) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await broker.store._backend.query(
        "SELECT process_definition_key, element_id, bpmn_process_id FROM start_timers"
    )
    return rows


class TestOneTransaction:
    async def test_the_schedule_is_written_with_the_deployment(self, broker: RunningBroker) -> None:
        record = await broker.store.deploy([("tick.bpmn", hourly())], DEFAULT_TENANT)
        (definition,) = record.processes
        assert await schedule_rows(broker) == [
            {
                "process_definition_key": definition.key,
                "element_id": "every_hour",
                "bpmn_process_id": "tick",
            }
        ]

    async def test_a_new_version_replaces_the_schedule_in_its_deployment(
        self, broker: RunningBroker
    ) -> None:
        await broker.store.deploy([("tick.bpmn", hourly())], DEFAULT_TENANT)
        record = await broker.store.deploy(
            [("tick.bpmn", hourly(start="every_day", cycle="R/P1D"))], DEFAULT_TENANT
        )
        (second,) = record.processes
        assert second.version == 2
        rows = await schedule_rows(broker)
        assert [(r["process_definition_key"], r["element_id"]) for r in rows] == [
            (second.key, "every_day")
        ]

    async def test_a_schedule_that_fails_leaves_no_deployment(
        self, broker: RunningBroker, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def broken(*args: Any) -> list[Any]:
            raise RuntimeError("schedule failed")

        with monkeypatch.context() as patched:
            patched.setattr(_start_timers, "schedule", broken)
            with pytest.raises(RuntimeError, match="schedule failed"):
                await broker.store.deploy([("tick.bpmn", hourly())], DEFAULT_TENANT)
        assert await broker.store.process_definitions() == []
        assert await schedule_rows(broker) == []

        record = await broker.store.deploy([("tick.bpmn", hourly())], DEFAULT_TENANT)
        (definition,) = record.processes
        assert definition.version == 1
        assert [r["process_definition_key"] for r in await schedule_rows(broker)] == [
            definition.key
        ]
