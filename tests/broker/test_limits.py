"""Limits the broker keeps per job type: most ACTIVATED at once, most activations a second.

The rules are checked on a store with a controllable clock (exact token arithmetic); the
routes and the wake-ups of long polls on a real broker; and the promise itself with real
workers: whatever they ask for, the job histories never show more than the limit.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import anyio
import httpx
import pytest

from sdk.broker import JobStore, RunningBroker
from sdk.broker.store import Activation
from sdk.client import AsyncClient
from sdk.models import JobEventRecord, JobSpec, JobState, JobTypeLimits
from sdk.testing import client_for, running, wait_until
from sdk.worker import JobContext, Worker

from _support.clocks import FakeClock

pytestmark = pytest.mark.anyio

START_MS = 1_700_000_000_000
LEASE_MS = 60_000
ENDING_EVENTS = frozenset({"COMPLETED", "FAILED", "INCIDENT", "ERROR_THROWN", "TIMED_OUT"})


@pytest.fixture
def clock() -> FakeClock[int]:
    return FakeClock(START_MS)


@pytest.fixture
async def store(clock: FakeClock[int]) -> AsyncIterator[JobStore]:
    store = JobStore(":memory:", clock=clock)
    yield store
    await store.aclose()


def query(job_type: str, n: int, timeout_ms: int = LEASE_MS) -> Activation:
    return Activation(job_type=job_type, worker="w", timeout_ms=timeout_ms, max_jobs=n)


async def take(store: JobStore, job_type: str, n: int, timeout_ms: int = LEASE_MS) -> list[int]:
    """One activation that answers at once (no long poll)."""
    return [int(j.job_key) for j in await store.activate(query(job_type, n, timeout_ms), 0)]


def most_at_once(events: list[JobEventRecord]) -> int:
    """The most jobs ACTIVATED at the same time, replaying the histories in order."""
    active = most = 0
    for event in events:
        if event.event == "ACTIVATED":
            active += 1
            most = max(most, active)
        elif event.event in ENDING_EVENTS:
            active -= 1
    return most


class TestMaxActive:
    async def test_no_more_than_the_limit_are_handed_out(self, store: JobStore) -> None:
        await store.create([JobSpec(type="t")] * 5)
        await store.set_limits("t", 2, None)
        assert len(await take(store, "t", 5)) == 2
        assert await take(store, "t", 5) == []

    async def test_an_ended_activation_frees_its_slot(self, store: JobStore) -> None:
        await store.create([JobSpec(type="t")] * 5)
        await store.set_limits("t", 2, None)
        first, second = await take(store, "t", 5)
        await store.complete(first, None, None)
        assert len(await take(store, "t", 5)) == 1
        await store.throw_error(second, "E", None, None, None)
        assert len(await take(store, "t", 5)) == 1

    async def test_a_timed_out_activation_frees_its_slot(
        self, store: JobStore, clock: FakeClock[int]
    ) -> None:
        await store.create([JobSpec(type="t")] * 2)
        await store.set_limits("t", 1, None)
        assert len(await take(store, "t", 2, timeout_ms=1_000)) == 1
        assert await take(store, "t", 2) == []
        clock.advance(1_000)
        assert len(await take(store, "t", 2)) == 1

    async def test_zero_pauses_the_type_and_other_types_are_not_limited(
        self, store: JobStore
    ) -> None:
        await store.create([JobSpec(type="t"), JobSpec(type="other")])
        await store.set_limits("t", 0, None)
        assert await take(store, "t", 1) == []
        assert len(await take(store, "other", 1)) == 1
        await store.clear_limits("t")
        assert len(await take(store, "t", 1)) == 1


class TestRate:
    async def test_the_bucket_holds_a_tenth_of_a_second_and_refills(
        self, store: JobStore, clock: FakeClock[int]
    ) -> None:
        await store.create([JobSpec(type="t")] * 20)
        await store.set_limits("t", None, 50.0)  # 5 tokens, one every 20 ms
        assert len(await take(store, "t", 20)) == 5
        assert await take(store, "t", 20) == []
        clock.advance(19)
        assert await take(store, "t", 20) == []
        clock.advance(1)
        assert len(await take(store, "t", 20)) == 1
        clock.advance(1_000)  # a long pause refills only the bucket, not a second's worth
        assert len(await take(store, "t", 20)) == 5

    async def test_the_bucket_survives_reopening_the_store(self, tmp_path: object) -> None:
        path = f"{tmp_path}/jobs.sqlite3"
        clock = FakeClock(START_MS)
        store = JobStore(path, clock=clock)
        await store.create([JobSpec(type="t")] * 3)
        await store.set_limits("t", 1, 10.0)
        assert len(await take(store, "t", 3)) == 1
        await store.aclose()
        store = JobStore(path, clock=clock)
        try:
            assert await store.get_limits("t") == JobTypeLimits(
                type="t", max_active=1, rate=10.0, updated_at=START_MS
            )
            assert await take(store, "t", 3) == []  # the slot is taken, the bucket empty
        finally:
            await store.aclose()


class TestRoutes:
    async def test_put_get_list_and_delete(self, http: httpx.AsyncClient) -> None:
        put = await http.put("/ext/job-types/mail.send/limits", json={"maxActive": 3, "rate": 20})
        assert put.status_code == 200, put.text
        assert put.json() | {"updatedAt": 0} == {
            "type": "mail.send",
            "maxActive": 3,
            "rate": 20.0,
            "updatedAt": 0,
            "maxActivePerKey": None,
            "keyVariable": None,
            "keyHeader": None,
        }
        assert (await http.get("/ext/job-types/mail.send/limits")).json() == put.json()
        assert (await http.get("/ext/job-types/limits")).json()["items"] == [put.json()]
        stats = (await http.get("/ext/stats")).json()
        assert stats["limits"] == [put.json()]
        assert (await http.delete("/ext/job-types/mail.send/limits")).status_code == 204
        none = (await http.get("/ext/job-types/mail.send/limits")).json()
        assert (none["maxActive"], none["rate"]) == (None, None)
        assert (await http.get("/ext/job-types/limits")).json()["items"] == []

    async def test_a_type_with_a_slash_is_one_type(self, http: httpx.AsyncClient) -> None:
        response = await http.put("/ext/job-types/a%2Fb/limits", json={"maxActive": 1})
        assert response.json()["type"] == "a/b"

    @pytest.mark.parametrize(
        "body",
        [{"maxActive": -1}, {"rate": 0}, {"rate": -2.5}, {"rate": "fast"}, {"burst": 3}],
    )
    async def test_bad_limits_are_400(
        self, http: httpx.AsyncClient, body: dict[str, object]
    ) -> None:
        response = await http.put("/ext/job-types/t/limits", json=body)
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"

    async def test_the_client_sets_and_reads_them(self, api: AsyncClient) -> None:
        limits = await api.set_job_type_limits("t", max_active=2)
        assert (limits.max_active, limits.rate) == (2, None)
        assert await api.list_job_type_limits() == [limits]
        await api.clear_job_type_limits("t")
        assert (await api.get_job_type_limits("t")).max_active is None


class TestLongPolls:
    async def test_a_poll_held_by_max_active_is_woken_when_a_slot_frees(
        self, broker: RunningBroker, api: AsyncClient
    ) -> None:
        await api.create_jobs([JobSpec(type="t")] * 2)
        await api.set_job_type_limits("t", max_active=1)
        (held,) = await api.activate_jobs(
            "t", max_jobs=5, timeout_ms=LEASE_MS, request_timeout_ms=0
        )
        got: list[int] = []

        async def poll() -> None:
            jobs = await api.activate_jobs(
                "t", max_jobs=5, timeout_ms=LEASE_MS, request_timeout_ms=20_000
            )
            got.append(len(jobs))

        started = time.monotonic()
        async with anyio.create_task_group() as tg:
            tg.start_soon(poll)
            await wait_until(
                lambda: broker.store.notifier.event_for("t").statistics().tasks_waiting
            )
            assert got == []  # the poll waits on the type's wake-up
            await api.complete_job(held.job_key)
        assert got == [1]
        assert time.monotonic() - started < 10  # woken, not answered at its timeout

    async def test_a_poll_held_by_the_rate_sleeps_until_the_next_token(
        self, broker: RunningBroker, api: AsyncClient
    ) -> None:
        await api.create_jobs([JobSpec(type="t")] * 3)
        await api.set_job_type_limits("t", rate=4.0)  # one token every 250 ms
        assert (
            len(await api.activate_jobs("t", max_jobs=3, timeout_ms=LEASE_MS, request_timeout_ms=0))
            == 1
        )
        store = broker.store
        looks = 0
        activate = store._backend.activate

        def counting(*args: object) -> object:
            nonlocal looks
            looks += 1
            return activate(*args)  # type: ignore[arg-type]

        store._backend.activate = counting  # type: ignore[method-assign,assignment]
        try:
            jobs = await api.activate_jobs(
                "t", max_jobs=3, timeout_ms=LEASE_MS, request_timeout_ms=5_000
            )
        finally:
            store._backend.activate = activate  # type: ignore[method-assign]
        assert len(jobs) == 1
        assert looks <= 3  # one look, a sleep until the token, one more (no spinning)


async def activations(broker: RunningBroker, job_type: str) -> list[JobEventRecord]:
    events = await broker.store.events_after(0, 100_000)
    return [e for e in events if e.job_type == job_type and e.event == "ACTIVATED"]


async def completed(broker: RunningBroker, job_type: str, count: int) -> bool:
    jobs, _ = await broker.store.search(job_type, JobState.COMPLETED, 1_000, None)
    return len(jobs) >= count


def pool(prefix: str, job_type: str) -> list[Worker]:
    """Four workers with 50 slots each on ``job_type``; the handler returns at once."""
    workers = []
    for n in range(4):
        worker = Worker(f"{prefix}{n}", request_timeout_ms=2_000)

        @worker.task(job_type, max_jobs=50)
        async def work(job: JobContext) -> None:
            await anyio.sleep(0.005)  # the downstream call

        workers.append(worker)
    return workers


@asynccontextmanager
async def all_running(broker: RunningBroker, workers: list[Worker]) -> AsyncIterator[None]:
    async with client_for(broker) as client, AsyncExitStack() as stack:
        for worker in workers:
            await stack.enter_async_context(running(worker, client))
        yield


@pytest.mark.parametrize("store_path", [":memory:"])
class TestWithWorkers:
    async def test_four_workers_of_50_slots_never_hold_more_than_the_limit(
        self, broker: RunningBroker, api: AsyncClient
    ) -> None:
        await api.set_job_type_limits("limited", max_active=3)
        await api.create_jobs([JobSpec(type="limited")] * 60)
        async with all_running(broker, pool("w", "limited")):
            await wait_until(
                lambda: completed(broker, "limited", 60),
                timeout_s=45,
                interval_s=0.05,
                message="60 jobs completed",
            )
        events = [e for e in await broker.store.events_after(0, 10_000) if e.job_type == "limited"]
        assert len([e for e in events if e.event == "ACTIVATED"]) == 60
        assert most_at_once(events) == 3
        assert len({e.worker for e in events if e.event == "ACTIVATED"}) > 1

    async def test_a_rate_of_20_per_second_activates_200_in_10_seconds(
        self, broker: RunningBroker, api: AsyncClient
    ) -> None:
        await api.set_job_type_limits("paced", rate=20.0)
        await api.create_jobs([JobSpec(type="paced")] * 300)
        window_ms = 10_000
        async with all_running(broker, pool("p", "paced")):
            first = await wait_until(lambda: activations(broker, "paced"), message="a start")
            end = first[0].at + window_ms

            async def window_passed() -> bool:
                return any(e.at >= end for e in await activations(broker, "paced"))

            await wait_until(window_passed, timeout_s=30, interval_s=0.2, message="10 s")
        in_window = [e for e in await activations(broker, "paced") if e.at < end]
        assert 180 <= len(in_window) <= 220, len(in_window)
