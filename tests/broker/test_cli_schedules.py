"""``python -m sdk schedules`` against a real broker: the commands an operator types, checked
by what the broker then holds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sdk.broker import RunningBroker

from _support.cli import Cli, isolate, runner

pytestmark = pytest.mark.anyio


@pytest.fixture
def store_path() -> str:
    return ":memory:"


@pytest.fixture
def cli(
    broker: RunningBroker,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Cli:
    """``python -m sdk`` (its ``main``, in a thread) pointed at ``broker`` and nothing else."""
    isolate(monkeypatch, tmp_path, broker.url)
    return runner(capsys)


async def test_put_list_get_pause_resume_delete(cli: Cli, broker: RunningBroker) -> None:
    put = await cli(
        "schedules", "put", "nightly", "--type", "cleanup", "--cron", "0 3 * * *",
        "--time-zone", "Europe/Berlin", "--variables", '{"days": 7}', "--header", "team=ops",
        "--retries", "5", "--overlap", "allow", "--catch-up", "one",
    )  # fmt: skip
    assert put.code == 0, put.err
    assert put.out.startswith("nightly") and "0 3 * * * (Europe/Berlin)" in put.out
    stored = await broker.store.schedules.get("nightly")
    assert (stored.job_type, stored.cron, stored.time_zone) == (
        "cleanup",
        "0 3 * * *",
        "Europe/Berlin",
    )
    assert (stored.variables, stored.custom_headers, stored.retries) == (
        {"days": 7},
        {"team": "ops"},
        5,
    )
    assert (stored.overlap, stored.catch_up) == ("allow", "one")
    every = await cli("schedules", "put", "often", "--type", "poll", "--every", "90s")
    assert every.code == 0, every.err
    assert (await broker.store.schedules.get("often")).interval == "PT90S"
    listing = await cli("schedules", "list")
    assert [line.split()[0] for line in listing.out.splitlines()] == ["nightly", "often"]
    got = await cli("schedules", "get", "nightly")
    assert json.loads(got.out)["nextRunAt"] == stored.next_run_at
    paused = await cli("schedules", "pause", "nightly")
    assert "paused" in paused.out and (await broker.store.schedules.get("nightly")).paused
    resumed = await cli("schedules", "resume", "nightly")
    assert "next=" in resumed.out and not (await broker.store.schedules.get("nightly")).paused
    deleted = await cli("schedules", "delete", "often")
    assert deleted.code == 0
    assert [s.name for s in await broker.store.schedules.all()] == ["nightly"]


async def test_a_bad_cron_is_a_readable_error(cli: Cli, broker: RunningBroker) -> None:
    refused = await cli("schedules", "put", "n", "--type", "t", "--cron", "every day")
    assert refused.code == 1
    assert "cron:" in refused.err
    assert await broker.store.schedules.all() == []


async def test_cron_and_every_exclude_each_other(cli: Cli) -> None:
    refused = await cli(
        "schedules", "put", "n", "--type", "t", "--cron", "* * * * *", "--every", "5m"
    )
    assert refused.code == 2
    assert "not allowed with argument" in refused.err


async def test_an_unknown_schedule_is_an_error(cli: Cli) -> None:
    missing = await cli("schedules", "get", "nope")
    assert missing.code == 1 and "not found" in missing.err
