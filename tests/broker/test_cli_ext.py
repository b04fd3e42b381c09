"""``python -m sdk jobs create --idempotency-key`` and ``python -m sdk job-types`` against a
real broker: the commands an operator types, checked by what the broker then holds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sdk.broker import RunningBroker
from sdk.testing import client_for

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


async def test_create_twice_with_one_key_creates_once(cli: Cli, broker: RunningBroker) -> None:
    command = ("jobs", "create", "mail", "--count", "2", "--idempotency-key", "batch-7")
    first = await cli(*command)
    again = await cli(*command)
    assert first.code == again.code == 0, first.err + again.err
    keys = first.out.split()
    assert len(keys) == 2 and again.out.split() == keys
    jobs, _ = await broker.store.search("mail", None, 10, None)
    assert sorted(str(job.job_key) for job in jobs) == sorted(keys)


async def test_the_same_key_for_other_jobs_is_a_readable_error(cli: Cli) -> None:
    assert (await cli("jobs", "create", "a", "--idempotency-key", "k")).code == 0
    refused = await cli("jobs", "create", "b", "--idempotency-key", "k")
    assert refused.code == 1
    assert refused.err.startswith("error: ") and "Traceback" not in refused.err
    assert "422" in refused.err or "another" in refused.err.lower()


async def test_limits_are_set_listed_shown_and_cleared(cli: Cli, broker: RunningBroker) -> None:
    done = await cli("job-types", "limits", "charge", "--max-active", "3", "--rate", "20")
    assert done.code == 0, done.err
    limits = await broker.store.get_limits("charge")
    assert limits is not None and (limits.max_active, limits.rate) == (3, 20.0)

    await cli("job-types", "limits", "charge", "--rate", "none")
    limits = await broker.store.get_limits("charge")
    assert limits is not None and (limits.max_active, limits.rate) == (3, None)

    listing = await cli("job-types", "list")
    assert listing.code == 0 and "charge" in listing.out and "max-active=3" in listing.out

    cleared = await cli("job-types", "limits", "charge", "--clear")
    assert cleared.code == 0, cleared.err
    assert await broker.store.get_limits("charge") is None


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (("--max-active", "-1"), "whole number"),
        (("--rate", "0"), "activations per second"),
        (("--rate", "fast"), "activations per second"),
    ],
)
async def test_bad_limits_are_usage_errors(
    cli: Cli, broker: RunningBroker, argv: tuple[str, ...], says: str
) -> None:
    refused = await cli("job-types", "limits", "t", *argv)
    assert refused.code == 2 and says in refused.err and "Traceback" not in refused.err
    assert await broker.store.all_limits() == []


async def test_jobs_get_shows_the_last_progress(cli: Cli, broker: RunningBroker) -> None:
    async with client_for(broker) as api:
        key = await api.create_job("render")
        (job,) = await api.activate_jobs("render", max_jobs=1, timeout_ms=60_000)
        await api.report_job_progress(job.job_key, 0.25, "frame 25 of 100")
    shown = await cli("jobs", "get", key)
    assert shown.code == 0, shown.err
    fields = json.loads(shown.out)
    assert (fields["progress"], fields["progressMessage"]) == (0.25, "frame 25 of 100")
