"""``python -m sdk messages publish`` and ``signals broadcast`` against a real broker, and the
client methods they call."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from sdk._cli._messages import duration_ms
from sdk.broker import RunningBroker
from sdk.client import AsyncClient
from sdk.errors import ConflictError, NotFoundError
from sdk.testing import wait_until

from .test_messages import CATCH, SIGNAL_CATCH
from _support.cli import isolate, run_cli

pytestmark = pytest.mark.anyio


@pytest.fixture
def store_path() -> str:
    return ":memory:"


@pytest.fixture
def pointed(broker: RunningBroker, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    isolate(monkeypatch, tmp_path, broker.url)
    return tmp_path


async def _state(api: AsyncClient, key: str) -> str | None:
    state = str(getattr((await api.get_process_instance(key)).state, "value", ""))
    return None if state == "ACTIVE" else state


async def test_publish_and_broadcast_from_the_command_line(
    pointed: Path, api: AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    await api.deploy_resources({"catch.bpmn": CATCH, "signal.bpmn": SIGNAL_CATCH})
    waiting = await api.create_process_instance(
        process_definition_id="wait_pay", variables={"orderId": "c-1"}
    )
    code, out, err = await run_cli(
        capsys,
        "messages",
        "publish",
        "payment-received",
        "--correlation-key",
        "c-1",
        "--variables",
        '{"amount": 3}',
        "--ttl",
        "10m",
        "--message-id",
        "once",
    )
    assert code == 0, err
    assert out.startswith("message ")
    assert await wait_until(lambda: _state(api, waiting.process_instance_key)) == "COMPLETED"
    code, _, err = await run_cli(
        capsys,
        "messages",
        "publish",
        "payment-received",
        "--correlation-key",
        "c-1",
        "--message-id",
        "once",
    )
    assert code == 1 and "already published" in err

    signalled = await api.create_process_instance(process_definition_id="wait_signal")
    code, out, err = await run_cli(capsys, "signals", "broadcast", "stop-all")
    assert code == 0, err
    assert out.startswith("signal ")
    assert await wait_until(lambda: _state(api, signalled.process_instance_key)) == "COMPLETED"


async def test_the_client_methods(api: AsyncClient) -> None:
    await api.deploy_resources({"catch.bpmn": CATCH})
    created = await api.create_process_instance(
        process_definition_id="wait_pay", variables={"orderId": "k"}
    )
    found = await api.search_message_subscriptions(
        process_instance_key=created.process_instance_key
    )
    assert [s.message_name for s in found.items] == ["payment-received"]
    with pytest.raises(NotFoundError):
        await api.correlate_message("payment-received", correlation_key="nobody")
    result = await api.correlate_message("payment-received", correlation_key="k")
    assert result.process_instance_key == created.process_instance_key
    await api.publish_message("x", correlation_key="y", time_to_live_ms=60_000, message_id="m")
    with pytest.raises(ConflictError):
        await api.publish_message("x", correlation_key="y", time_to_live_ms=60_000, message_id="m")
    assert (await api.broadcast_signal("nothing-waits")).signal_key


def test_durations() -> None:
    assert duration_ms("500") == 500
    assert duration_ms("30s") == 30_000
    assert duration_ms("10m") == 600_000
    assert duration_ms("PT1H30M") == 5_400_000
    assert duration_ms("P1D") == 86_400_000
    with pytest.raises(argparse.ArgumentTypeError):
        duration_ms("soon")
