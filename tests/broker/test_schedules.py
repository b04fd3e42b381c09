"""Schedules end to end: a cron or an interval creates exactly one job per tick (time moved by
pinning the broker's clock), across a restart, a crash between the job and the schedule's
advance, and two PostgreSQL replicas; the overlap and catch-up policies; pause and resume; and
a 400 naming the field for each bad definition."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import anyio
import httpx
import pytest

from sdk.broker import RunningBroker, serve
from sdk.broker.store import JobStore
from sdk.client import AsyncClient, Client
from sdk.errors import NotFoundError, ProtocolError
from sdk.models import Job, Schedule, ScheduleRequest
from sdk.testing import client_for, wait_until

from _support.clocks import FakeClock

pytestmark = pytest.mark.anyio

T0 = datetime(2030, 3, 1, 12, 0, tzinfo=timezone.utc)
MS0 = int(T0.timestamp() * 1000)
MINUTE_MS = 60_000


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def ms(minutes: float) -> int:
    return MS0 + int(minutes * MINUTE_MS)


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


async def jobs_of(api: AsyncClient, job_type: str = "cleanup") -> list[Job]:
    found = await api.search_jobs(job_type=job_type)
    return sorted(found.items, key=lambda j: int(j.job_key))


async def ticked_to(api: AsyncClient, next_run_at: int, name: str = "cleanup") -> Schedule:
    """The schedule once its ticker has moved it on to ``next_run_at`` (the tick is decided)."""

    async def moved() -> Schedule | None:
        schedule = await api.get_schedule(name)
        return schedule if schedule.next_run_at == next_run_at else None

    with anyio.fail_after(10):
        return await wait_until(moved)


async def every_five_minutes(api: AsyncClient, **options: object) -> Schedule:
    return await api.put_schedule(
        "cleanup",
        "cleanup",
        cron="*/5 * * * *",
        variables={"older_than_days": 7},
        custom_headers={"team": "ops"},
        retries=5,
        **options,  # type: ignore[arg-type]
    )


async def test_a_cron_schedule_creates_one_job_per_tick(store_path: str) -> None:
    async with clocked(store_path) as broker, client_for(broker) as api:
        await api.pin_clock(at(0))
        created = await every_five_minutes(api)
        assert created.next_run_at == ms(5)
        assert (created.overlap, created.catch_up, created.paused) == ("skip", "none", False)
        await api.pin_clock(at(5))
        schedule = await ticked_to(api, ms(10))
        (job,) = await jobs_of(api)
        assert job.variables == {"older_than_days": 7}
        assert job.custom_headers == {"team": "ops"}
        assert job.retries == 5
        assert schedule.last_job_key == job.job_key
        assert schedule.last_run_at == ms(5)
        await api.complete_job(
            (await api.activate_jobs("cleanup", max_jobs=1, timeout_ms=60_000))[0].job_key
        )
        await api.pin_clock(at(10))
        await ticked_to(api, ms(15))
        assert len(await jobs_of(api)) == 2


async def test_an_interval_counts_from_the_schedule_s_creation(store_path: str) -> None:
    async with clocked(store_path) as broker, client_for(broker) as api:
        await api.pin_clock(at(0))
        created = await api.put_schedule(
            "cleanup", "cleanup", interval=timedelta(seconds=90), overlap="allow"
        )
        assert created.interval == "PT90S"
        assert created.next_run_at == ms(1.5)
        await api.pin_clock(at(1.5))
        await ticked_to(api, ms(3))
        await api.pin_clock(at(3))
        await ticked_to(api, ms(4.5))
        assert len(await jobs_of(api)) == 2


async def test_a_cron_is_read_in_its_time_zone(store_path: str) -> None:
    async with clocked(store_path) as broker, client_for(broker) as api:
        await api.pin_clock(at(0))  # 12:00 UTC is 13:00 in Berlin in March (CET)
        created = await api.put_schedule(
            "report", "report", cron="0 9 * * *", time_zone="Europe/Berlin"
        )
        berlin_nine = datetime(2030, 3, 2, 8, 0, tzinfo=timezone.utc)
        assert created.next_run_at == int(berlin_nine.timestamp() * 1000)
        assert created.time_zone == "Europe/Berlin"


class TestOverlap:
    async def test_skip_runs_no_tick_while_the_previous_job_is_open(self, store_path: str) -> None:
        async with clocked(store_path) as broker, client_for(broker) as api:
            await api.pin_clock(at(0))
            await every_five_minutes(api, overlap="skip")
            await api.pin_clock(at(5))
            await ticked_to(api, ms(10))
            (first,) = await jobs_of(api)
            await api.pin_clock(at(10))  # the first job is still ACTIVATABLE: skipped
            skipped = await ticked_to(api, ms(15))
            assert len(await jobs_of(api)) == 1
            assert skipped.last_job_key == first.job_key
            (activated,) = await api.activate_jobs("cleanup", max_jobs=1, timeout_ms=600_000)
            await api.pin_clock(at(15))  # ACTIVATED: still open, skipped again
            await ticked_to(api, ms(20))
            assert len(await jobs_of(api)) == 1
            await api.fail_job(activated.job_key, retries=0, error_message="disk full")
            await api.pin_clock(at(20))  # an incident is not open: the tick runs
            ran = await ticked_to(api, ms(25))
            jobs = await jobs_of(api)
            assert len(jobs) == 2
            assert ran.last_job_key == jobs[1].job_key and ran.last_run_at == ms(20)

    async def test_allow_runs_every_tick(self, store_path: str) -> None:
        async with clocked(store_path) as broker, client_for(broker) as api:
            await api.pin_clock(at(0))
            await every_five_minutes(api, overlap="allow")
            for tick in (5, 10, 15):
                await api.pin_clock(at(tick))
                await ticked_to(api, ms(tick + 5))
            jobs = await jobs_of(api)
            assert [j.state for j in jobs] == ["ACTIVATABLE"] * 3


class TestCatchUp:
    """Ticks missed while the broker was down (here: the clock moved 17 minutes while it
    was stopped, so the ticks at 5, 10 and 15 were missed)."""

    async def downtime(self, db: str, catch_up: str) -> tuple[Schedule, list[Job]]:
        async with clocked(db) as broker, client_for(broker) as api:
            await api.pin_clock(at(0))
            await every_five_minutes(api, catch_up=catch_up, overlap="allow")
        async with clocked(db) as broker, client_for(broker) as api:
            await api.pin_clock(at(17))
            schedule = await ticked_to(api, ms(20))
            return schedule, await jobs_of(api)

    async def test_none_skips_the_missed_ticks(self, tmp_path: Path) -> None:
        schedule, jobs = await self.downtime(str(tmp_path / "jobs.db"), "none")
        assert jobs == []
        assert schedule.last_run_at is None

    async def test_one_runs_one_job_for_the_missed_ticks(self, tmp_path: Path) -> None:
        schedule, jobs = await self.downtime(str(tmp_path / "jobs.db"), "one")
        assert len(jobs) == 1
        assert schedule.last_run_at == ms(15)  # the latest missed tick

    async def test_none_on_postgres(self, postgres_url: str) -> None:
        schedule, jobs = await self.downtime(postgres_url, "none")
        assert jobs == [] and schedule.next_run_at == ms(20)

    async def test_one_on_postgres(self, postgres_url: str) -> None:
        schedule, jobs = await self.downtime(postgres_url, "one")
        assert len(jobs) == 1 and schedule.last_run_at == ms(15)


class TestExactlyOnce:
    async def test_a_restart_neither_loses_nor_repeats_a_tick(self, tmp_path: Path) -> None:
        db = str(tmp_path / "jobs.db")
        async with clocked(db) as broker, client_for(broker) as api:
            await api.pin_clock(at(0))
            await every_five_minutes(api, overlap="allow")
            await api.pin_clock(at(5))
            await ticked_to(api, ms(10))
        async with clocked(db) as broker, client_for(broker) as api:
            await api.pin_clock(at(5.5))  # the ticker looks again: nothing is due
            assert (await api.get_schedule("cleanup")).next_run_at == ms(10)
            assert len(await jobs_of(api)) == 1
            await api.pin_clock(at(10))
            await ticked_to(api, ms(15))
            assert len(await jobs_of(api)) == 2

    @pytest.mark.parametrize("kind", ["sqlite", "postgres"])
    async def test_a_crash_between_the_job_and_the_advance_creates_no_second_job(
        self, kind: str, tmp_path: Path, request: pytest.FixtureRequest
    ) -> None:
        where = (
            request.getfixturevalue("postgres_url") if kind == "postgres" else str(tmp_path / "db")
        )
        clock = FakeClock(ms(0))
        store = JobStore(where, clock=clock)
        try:
            body = ScheduleRequest(job_type="cleanup", cron="*/5 * * * *")
            await store.schedules.put("cleanup", body)
            clock.now = ms(5)
            (row,) = await store._backend.query("SELECT * FROM schedules")
            created = await store.schedules._create(row, ms(5))  # then the broker "crashed"
            assert await store.schedules.fire_due() == ms(10)  # after the restart
            jobs, _ = await store.search("cleanup", None, 10, None)
            assert [int(j.job_key) for j in jobs] == [created]
            schedule = await store.schedules.get("cleanup")
            assert schedule.last_job_key == str(created)
        finally:
            await store.aclose()

    async def test_two_stores_ticking_at_once_create_one_job_per_tick(
        self, postgres_url: str
    ) -> None:
        clock = FakeClock(ms(0))
        one, two = JobStore(postgres_url, clock=clock), JobStore(postgres_url, clock=clock)
        names = [f"s{i}" for i in range(5)]
        try:
            body = ScheduleRequest(job_type="cleanup", cron="*/5 * * * *", overlap="allow")
            for name in names:
                await one.schedules.put(name, body)
            for tick in (5, 10, 15):
                clock.now = ms(tick)
                async with anyio.create_task_group() as tg:  # the same due rows, together
                    tg.start_soon(one.schedules.fire_due)
                    tg.start_soon(two.schedules.fire_due)
            jobs, _ = await one.search("cleanup", None, 100, None)
            assert len(jobs) == len(names) * 3
            for name in names:
                schedule = await two.schedules.get(name)
                assert (schedule.next_run_at, schedule.last_run_at) == (ms(20), ms(15))
        finally:
            await one.aclose()
            await two.aclose()

    async def test_two_replicas_create_one_job_per_tick(self, postgres_url: str) -> None:
        async with (
            clocked(postgres_url) as one,
            clocked(postgres_url) as two,
            client_for(one) as a,
            client_for(two) as b,
        ):
            await a.pin_clock(at(0))
            await every_five_minutes(a, overlap="allow")
            for tick in (5, 10, 15):
                async with anyio.create_task_group() as tg:  # both replicas see the tick due
                    tg.start_soon(b.pin_clock, at(tick))
                    tg.start_soon(a.pin_clock, at(tick))
                await ticked_to(a, ms(tick + 5))
                await ticked_to(b, ms(tick + 5))
            jobs = await jobs_of(b)
            assert len(jobs) == 3
            history = [await a.get_job(j.job_key) for j in jobs]
            assert all([e.event for e in h.history or []] == ["CREATED"] for h in history)


async def test_pause_stops_the_ticks_and_resume_starts_from_the_next(store_path: str) -> None:
    async with clocked(store_path) as broker, client_for(broker) as api:
        await api.pin_clock(at(0))
        await every_five_minutes(api, overlap="allow")
        witness = await api.put_schedule("witness", "witness", cron="*/5 * * * *")
        paused = await api.pause_schedule("cleanup")
        assert paused.paused and paused.next_run_at is None
        await api.pin_clock(at(5))
        await ticked_to(api, ms(10), name="witness")  # the ticker has been past 12:05
        assert await jobs_of(api) == []
        assert witness.next_run_at == ms(5)
        resumed = await api.resume_schedule("cleanup")
        assert not resumed.paused and resumed.next_run_at == ms(10)
        await api.pin_clock(at(10))
        await ticked_to(api, ms(15))
        assert len(await jobs_of(api)) == 1


async def test_list_get_replace_and_delete(store_path: str) -> None:
    async with clocked(store_path) as broker, client_for(broker) as api:
        await api.pin_clock(at(0))
        await every_five_minutes(api)
        await api.put_schedule("b-report", "report", interval="PT1H")
        assert [s.name for s in await api.list_schedules()] == ["b-report", "cleanup"]
        same = await every_five_minutes(api)  # the same again (a worker's start): no change
        assert same.next_run_at == ms(5)
        hourly = await api.put_schedule("cleanup", "cleanup", cron="0 * * * *")
        assert hourly.next_run_at == ms(60) and hourly.variables == {}
        await api.delete_schedule("cleanup")
        with pytest.raises(NotFoundError):
            await api.get_schedule("cleanup")
        with pytest.raises(NotFoundError):
            await api.delete_schedule("cleanup")
        assert [s.name for s in await api.list_schedules()] == ["b-report"]


@pytest.mark.parametrize("store_path", [":memory:"])  # checked before the store is asked
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"jobType": "x", "cron": "61 * * * *"}, "cron:"),
        ({"jobType": "x", "cron": "* * * * * *"}, "cron:"),
        ({"jobType": "x", "cron": "*/5 * * * *", "timeZone": "Mars/Olympus"}, "timeZone:"),
        ({"jobType": "x", "interval": "5 minutes"}, "interval:"),
        ({"jobType": "x", "interval": "P1M"}, "interval:"),
        ({"jobType": "x", "interval": "PT0S"}, "interval:"),
        ({"jobType": "x", "interval": "PT5M", "timeZone": "UTC"}, "timeZone:"),
        ({"jobType": "x"}, "cron, interval:"),
        ({"jobType": "x", "cron": "* * * * *", "interval": "PT5M"}, "cron, interval:"),
        ({"jobType": "x", "cron": "* * * * *", "overlap": "sometimes"}, "overlap:"),
        ({"jobType": "x", "cron": "* * * * *", "catchUp": "all"}, "catchUp:"),
        ({"jobType": "x", "cron": "* * * * *", "retries": 0}, "retries:"),
        ({"cron": "* * * * *"}, "jobType:"),
    ],
)
async def test_a_bad_definition_is_a_400_naming_the_field(
    http: httpx.AsyncClient, body: dict[str, object], field: str
) -> None:
    response = await http.put("/ext/schedules/nightly", json=body)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"].startswith(field), response.json()["detail"]


@pytest.mark.parametrize("store_path", [":memory:"])
async def test_a_name_too_long_is_a_400(http: httpx.AsyncClient) -> None:
    body = {"jobType": "x", "cron": "* * * * *"}
    response = await http.put("/ext/schedules/" + "n" * 256, json=body)
    assert response.status_code == 400
    assert response.json()["detail"].startswith("name:")


async def test_a_server_without_schedules_raises_a_clear_error() -> None:
    def camunda(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"title": "NOT_FOUND", "status": 404, "detail": "x"})

    async with AsyncClient(
        configuration={"CAMUNDA_REST_ADDRESS": "http://test", "CAMUNDA_AUTH_STRATEGY": "NONE"},
        transport=httpx.MockTransport(camunda),
    ) as api:
        with pytest.raises(ProtocolError, match="schedules are not supported by this server"):
            await api.put_schedule("cleanup", "cleanup", cron="* * * * *")
        with pytest.raises(ProtocolError, match="not supported"):
            await api.list_schedules()


async def test_the_blocking_client_has_the_same_calls(broker: RunningBroker) -> None:
    def operate() -> list[str]:
        config = {"CAMUNDA_REST_ADDRESS": broker.url, "CAMUNDA_AUTH_STRATEGY": "NONE"}
        with Client(configuration=config) as client:
            client.put_schedule("poll", "poll", interval="PT1M")
            assert client.pause_schedule("poll").paused
            assert not client.resume_schedule("poll").paused
            names = [s.name for s in client.list_schedules()]
            client.delete_schedule("poll")
            return names

    assert await anyio.to_thread.run_sync(operate) == ["poll"]
    assert await broker.store.schedules.all() == []
