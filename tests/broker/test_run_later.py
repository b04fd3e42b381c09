"""Jobs created to run later (``runAt``): held back until then, durable, and a waiting long
poll is woken when the time comes, on both stores."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import anyio
import httpx
import pytest

from sdk.broker import JobStore, RunningBroker
from sdk.broker.store import Activation
from sdk.client import AsyncClient
from sdk.models import JobSpec, JobState

from _support.clocks import FakeClock

pytestmark = pytest.mark.anyio

START_MS = 1_700_000_000_000
LEASE_MS = 86_400_000  # longer than any time a test moves the clock
HOUR_MS = 3_600_000


def at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc)


def query(job_type: str = "t", n: int = 10) -> Activation:
    return Activation(job_type=job_type, worker="w", timeout_ms=LEASE_MS, max_jobs=n)


async def take(store: JobStore, n: int = 10) -> list[int]:
    return [int(j.job_key) for j in await store.activate(query(n=n), -1)]


@pytest.fixture(params=["sqlite-file", "postgres"])
def durable_path(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgres":
        url: str = request.getfixturevalue("postgres_url")
        return url
    return str(tmp_path / "jobs.sqlite3")


@pytest.fixture
def clock() -> FakeClock[int]:
    return FakeClock(START_MS)


@pytest.fixture
async def store(durable_path: str, clock: FakeClock[int]) -> AsyncIterator[JobStore]:
    store = JobStore(durable_path, clock=clock)
    yield store
    await store.aclose()


class TestStore:
    async def test_a_job_is_not_handed_out_before_its_run_at(
        self, store: JobStore, clock: FakeClock[int]
    ) -> None:
        (later,) = await store.create([JobSpec(type="t", run_at=at(START_MS + HOUR_MS))])
        (now,) = await store.create([JobSpec(type="t")])
        assert await take(store) == [int(now)]
        clock.advance(HOUR_MS - 1)
        assert await take(store) == []
        clock.advance(1)
        assert await take(store) == [int(later)]

    async def test_the_next_look_is_due_at_the_run_at(self, store: JobStore) -> None:
        await store.create([JobSpec(type="t", run_at=at(START_MS + 5_000))])
        jobs, next_at = await store._backend.activate(query(), START_MS)
        assert jobs == []
        assert next_at == START_MS + 5_000  # where a long poll's wait ends

    async def test_a_scheduled_job_reads_as_scheduled_until_its_time(
        self, store: JobStore, clock: FakeClock[int]
    ) -> None:
        (key,) = await store.create([JobSpec(type="t", run_at=at(START_MS + 1_000))])
        job = await store.get(int(key))
        assert job.state is JobState.ACTIVATABLE  # the wire state
        assert job.scheduled and job.run_at == START_MS + 1_000
        clock.advance(1_000)
        job = await store.get(int(key))
        assert not job.scheduled and job.run_at == START_MS + 1_000

    async def test_a_run_at_in_the_past_runs_at_once(self, store: JobStore) -> None:
        (key,) = await store.create([JobSpec(type="t", run_at=at(START_MS - HOUR_MS))])
        assert not (await store.get(int(key))).scheduled
        assert await take(store) == [int(key)]

    async def test_the_run_at_survives_a_restart(
        self, durable_path: str, store: JobStore, clock: FakeClock[int]
    ) -> None:
        (key,) = await store.create([JobSpec(type="t", run_at=at(START_MS + HOUR_MS))])
        await store.aclose()
        again = JobStore(durable_path, clock=clock)
        try:
            assert await take(again) == []
            job = await again.get(int(key))
            assert job.scheduled and job.run_at == START_MS + HOUR_MS
            clock.advance(HOUR_MS)
            assert await take(again) == [int(key)]
        finally:
            await again.aclose()


class TestBroker:
    async def test_a_waiting_long_poll_gets_the_job_when_its_time_comes(
        self, broker: RunningBroker, api: AsyncClient
    ) -> None:
        (key,) = await api.create_jobs([JobSpec(type="t")], delay=timedelta(seconds=1))
        assert (await api.get_job(key)).scheduled
        started = time.monotonic()
        jobs = await api.activate_jobs(
            "t", max_jobs=1, timeout_ms=LEASE_MS, request_timeout_ms=20_000
        )
        waited = time.monotonic() - started
        assert [j.job_key for j in jobs] == [key]
        assert waited < 10  # woken at the run time, not answered at the poll's timeout
        job = await api.get_job(key)
        assert job.state is JobState.ACTIVATED and not job.scheduled

    async def test_create_job_takes_an_aware_run_at(self, api: AsyncClient) -> None:
        when = datetime.now(timezone(timedelta(hours=2))) + timedelta(hours=1)
        key = await api.create_job("t", run_at=when)
        job = await api.get_job(key)
        assert job.run_at == int(when.timestamp() * 1000)
        assert job.scheduled
        assert (
            await api.activate_jobs("t", max_jobs=1, timeout_ms=LEASE_MS, request_timeout_ms=-1)
            == []
        )

    async def test_a_naive_run_at_or_both_ways_are_refused_before_sending(
        self, api: AsyncClient
    ) -> None:
        with pytest.raises(ValueError, match="naive"):
            await api.create_job("t", run_at=datetime.now())
        with pytest.raises(ValueError, match="not both"):
            await api.create_job("t", run_at=datetime.now(timezone.utc), delay=timedelta(seconds=1))
        assert (await api.search_jobs(job_type="t")).items == []

    @pytest.mark.parametrize(
        "run_at", ["2030-01-01T00:00:00", "tomorrow", 1_900_000_000_000, "2030-13-01T00:00:00Z"]
    )
    async def test_an_invalid_run_at_is_a_400_naming_it(
        self, http: httpx.AsyncClient, run_at: object
    ) -> None:
        answer = await http.post("/ext/jobs", json={"jobs": [{"type": "t", "runAt": run_at}]})
        assert answer.status_code == 400
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert "runAt" in answer.json()["detail"]

    async def test_a_rfc_3339_run_at_on_the_wire(self, http: httpx.AsyncClient) -> None:
        answer = await http.post(
            "/ext/jobs", json={"jobs": [{"type": "t", "runAt": "2030-01-01T01:00:00+01:00"}]}
        )
        assert answer.status_code == 201, answer.text
        (key,) = answer.json()["jobKeys"]
        job = (await http.get(f"/ext/jobs/{key}")).json()
        assert job["runAt"] == 1_893_456_000_000
        assert job["scheduled"] is True
        assert job["state"] == "ACTIVATABLE"


@pytest.mark.parametrize("store_path", [":memory:"])
async def test_a_long_poll_is_answered_at_once_when_only_scheduled_jobs_wait(
    broker: RunningBroker, api: AsyncClient
) -> None:
    await api.create_job("t", delay=timedelta(hours=1))
    with anyio.fail_after(5):
        jobs = await api.activate_jobs("t", max_jobs=1, timeout_ms=LEASE_MS, request_timeout_ms=-1)
    assert jobs == []
