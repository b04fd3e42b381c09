"""``python -m sdk processes deploy | definitions`` against a real broker."""

from __future__ import annotations

from pathlib import Path

import pytest

from sdk.broker import RunningBroker
from sdk.client import AsyncClient

from _support.bpmn_models import COMPLEX_GATEWAY, model
from _support.cli import isolate, run_cli

pytestmark = pytest.mark.anyio


@pytest.fixture
def store_path() -> str:
    return ":memory:"


@pytest.fixture
def pointed(broker: RunningBroker, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    isolate(monkeypatch, tmp_path, broker.url)
    return tmp_path


async def test_deploy_prints_ids_versions_and_keys_then_definitions_lists_them(
    pointed: Path, api: AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    (pointed / "order.bpmn").write_bytes(model())
    (pointed / "refund.bpmn").write_bytes(model("refund", name="Refund"))
    code, out, err = await run_cli(capsys, "processes", "deploy", "order.bpmn", "refund.bpmn")
    assert code == 0, err
    found = await api.search_process_definitions()
    assert len(found.items) == 2
    for d in found.items:
        assert f"version {d.version}" in out and d.process_definition_key in out
    assert "order" in out and "refund" in out

    code, out, err = await run_cli(capsys, "processes", "definitions")
    assert code == 0, err
    lines = out.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("order") and "Refund" in lines[1]


async def test_a_refused_deployment_exits_1_naming_the_problems(
    pointed: Path, api: AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    (pointed / "complex.bpmn").write_bytes(COMPLEX_GATEWAY)
    code, _, err = await run_cli(capsys, "processes", "deploy", "complex.bpmn")
    assert code == 1
    assert "complexGateway 'gate'" in err and "'complex.bpmn'" in err
    assert "Traceback" not in err
    assert (await api.search_process_definitions()).items == []
