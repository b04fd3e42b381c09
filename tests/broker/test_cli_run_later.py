"""``python -m sdk jobs create --delay | --run-at | --priority`` and how ``jobs list`` and
``jobs get`` show a job created to run later, against a real broker."""

from __future__ import annotations

import json
import time
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


async def test_a_delayed_job_is_listed_as_scheduled_and_gets_its_run_at(
    cli: Cli, broker: RunningBroker
) -> None:
    before_ms = time.time_ns() // 1_000_000
    created = await cli("jobs", "create", "mail", "--delay", "1h30m")
    assert created.code == 0, created.err
    (key,) = created.out.split()
    job = await broker.store.get(int(key))
    assert job.scheduled
    assert job.run_at is not None and 0 <= job.run_at - before_ms - 5_400_000 < 60_000

    listing = await cli("jobs", "list", "--type", "mail")
    assert listing.code == 0 and f"{key}  mail" in listing.out and "scheduled" in listing.out

    shown = await cli("jobs", "get", key)
    assert shown.code == 0, shown.err
    assert json.loads(shown.out)["runAt"] == job.run_at


async def test_run_at_and_priority_are_stored(cli: Cli, broker: RunningBroker) -> None:
    created = await cli(
        "jobs", "create", "mail", "--run-at", "2030-01-01T01:00:00+01:00", "--priority", "4"
    )
    assert created.code == 0, created.err
    job = await broker.store.get(int(created.out.split()[0]))
    assert (job.run_at, job.priority, job.scheduled) == (1_893_456_000_000, 4, True)
    zulu = await cli("jobs", "create", "mail", "--run-at", "2030-01-01T00:00:00Z")
    assert zulu.code == 0, zulu.err
    assert (await broker.store.get(int(zulu.out.split()[0]))).run_at == 1_893_456_000_000


async def test_a_job_to_run_now_is_listed_by_its_state(cli: Cli) -> None:
    created = await cli("jobs", "create", "mail")
    listing = await cli("jobs", "list")
    assert f"{created.out.split()[0]}  mail" in listing.out and "ACTIVATABLE" in listing.out


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (("--delay", "soon"), "duration"),
        (("--delay", "30"), "duration"),
        (("--run-at", "2030-01-01T00:00:00"), "offset"),
        (("--run-at", "tomorrow"), "ISO 8601"),
        (("--delay", "30s", "--run-at", "2030-01-01T00:00:00Z"), "not allowed with"),
    ],
)
async def test_bad_times_are_usage_errors(
    cli: Cli, broker: RunningBroker, argv: tuple[str, ...], says: str
) -> None:
    refused = await cli("jobs", "create", "mail", *argv)
    assert refused.code == 2 and says in refused.err and "Traceback" not in refused.err
    assert (await broker.store.search("mail", None, 10, None))[0] == []
