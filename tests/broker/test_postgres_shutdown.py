"""A PostgreSQL broker closes every connection it opened when it stops, even on a busy loop.

Pooled connections are closed by the pool; the one that listens for other replicas'
commits (``LISTEN``) is the broker's own. psycopg yields to the event loop when it has not
for a while (``MAX_BUSY_TIME``), also in the rollback its ``async with`` exit makes: at
shutdown that yield was cancelled, the exit stopped before closing, and an open connection
was left to the garbage collector (a ``ResourceWarning`` in whichever test collected it).
These tests set that busy time to zero, so psycopg yields at every step, as on a loop that is
always busy, and fail on any connection left open.
"""

from __future__ import annotations

import gc
import warnings
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import anyio
import psycopg.waiting
import pytest

from sdk.broker import RunningBroker, serve
from sdk.broker.store import Notifier
from sdk.broker.store.postgres import PostgresStore
from sdk.models import ProcessInstanceState
from sdk.testing import client_for, wait_until

pytestmark = pytest.mark.anyio

WAIT_S = 10.0

MODEL = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="defs"
    targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:message id="paid" name="paid"><bpmn:extensionElements>
    <zeebe:subscription correlationKey="= orderId" /></bpmn:extensionElements></bpmn:message>
  <bpmn:process id="shutdown" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="pay" />
    <bpmn:intermediateCatchEvent id="pay">
      <bpmn:messageEventDefinition messageRef="paid" /></bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="pay" targetRef="hour" />
    <bpmn:intermediateCatchEvent id="hour">
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration>
      </bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f3" sourceRef="hour" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.fixture
def busy_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """psycopg yields to the event loop at every step it could finish without waiting."""
    monkeypatch.setattr(psycopg.waiting, "MAX_BUSY_TIME", 0.0)


@pytest.fixture
def no_open_connection_left() -> Iterator[None]:
    """Fails the test if a psycopg connection collected after it was left open."""
    gc.collect()  # what earlier tests left is theirs
    yield
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        gc.collect()
    left = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert left == []


@pytest.mark.usefixtures("busy_loop", "no_open_connection_left")
class TestStopping:
    async def test_the_listening_connection_is_closed_when_cancelled(
        self, postgres_url: str
    ) -> None:
        for _ in range(3):
            listening = anyio.Event()
            store = PostgresStore(postgres_url, pool_size=1, on_change=listening.set)
            try:
                async with anyio.create_task_group() as tg:
                    tg.start_soon(store.follow, Notifier())
                    with anyio.fail_after(WAIT_S):
                        await listening.wait()  # LISTEN is on: it waits for notifications
                    tg.cancel_scope.cancel()
            finally:
                await store.aclose()

    async def test_a_broker_running_processes_timers_and_messages_closes_everything(
        self, postgres_url: str
    ) -> None:
        async with anyio.create_task_group() as tg:
            broker: RunningBroker = await tg.start(
                lambda task_status: serve(
                    postgres_url, "127.0.0.1", 0, clock_control=True, task_status=task_status
                )
            )
            async with client_for(broker) as client:
                await client.deploy_resources({"shutdown.bpmn": MODEL})
                keys = [
                    (
                        await client.create_process_instance(
                            process_definition_id="shutdown", variables={"orderId": f"o{n}"}
                        )
                    ).process_instance_key
                    for n in range(3)
                ]
                for n in range(3):
                    await client.publish_message("paid", correlation_key=f"o{n}")
                now = datetime.now(timezone.utc).replace(tzinfo=None)
                await client.pin_clock(now + timedelta(hours=2))

                async def all_completed() -> bool:
                    for key in keys:
                        instance = await client.get_process_instance(key)
                        if instance.state != ProcessInstanceState.COMPLETED:
                            return False
                    return True

                await wait_until(all_completed, timeout_s=WAIT_S)
            tg.cancel_scope.cancel()
