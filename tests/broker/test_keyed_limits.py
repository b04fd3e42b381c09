"""Keyed limits: at most N jobs of a type ACTIVATED at once per value of a variable or
custom header, on both stores; held jobs go out when a slot of their key frees, and several
real workers never exceed the limit per key (checked from the job histories)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from sdk.broker import JobStore, RunningBroker, serve
from sdk.broker.store import Activation, KeyedLimit
from sdk.client import AsyncClient
from sdk.models import JobSpec, JobState
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


@pytest.fixture(params=["sqlite-file", "postgres"])
async def store(
    request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock[int]
) -> AsyncIterator[JobStore]:
    path = str(tmp_path / "jobs.sqlite3")
    if request.param == "postgres":
        path = request.getfixturevalue("postgres_url")
    store = JobStore(path, clock=clock)
    yield store
    await store.aclose()


def tenant(name: str | None, **more: Any) -> JobSpec:
    variables = dict(more) if name is None else {"tenant": name, **more}
    return JobSpec(type="t", variables=variables)


async def take(store: JobStore, n: int) -> list[str | None]:
    """One activation that answers at once: the tenant of each job handed out."""
    query = Activation(job_type="t", worker="w", timeout_ms=LEASE_MS, max_jobs=n)
    return [j.variables.get("tenant") for j in await store.activate(query, -1)]


BY_TENANT = KeyedLimit(per_key=2, variable="tenant")


class TestStore:
    async def test_no_key_gets_more_than_its_slots(self, store: JobStore) -> None:
        await store.create([tenant("a")] * 5 + [tenant("b")] * 5)
        await store.set_limits("t", None, None, BY_TENANT)
        assert sorted(map(str, await take(store, 10))) == ["a", "a", "b", "b"]
        assert await take(store, 10) == []

    async def test_a_busy_key_does_not_hold_back_the_others(self, store: JobStore) -> None:
        await store.create([tenant("big")] * 20 + [tenant("small")])
        await store.set_limits("t", None, None, BY_TENANT)
        assert await take(store, 10) == ["big", "big", "small"]

    async def test_jobs_without_the_key_share_one_bucket(self, store: JobStore) -> None:
        await store.create([tenant(None)] * 3 + [tenant("a")])
        await store.set_limits("t", None, None, BY_TENANT)
        assert await take(store, 10) == [None, None, "a"]

    async def test_values_are_told_apart_by_their_json(self, store: JobStore) -> None:
        await store.create([JobSpec(type="t", variables={"tenant": v}) for v in (1, "1", 1, "1")])
        await store.set_limits("t", None, None, KeyedLimit(per_key=1, variable="tenant"))
        assert sorted(map(str, await take(store, 10))) == ["1", "1"]

    async def test_a_header_can_be_the_key(self, store: JobStore) -> None:
        specs = [JobSpec(type="t", custom_headers={"customer": c}) for c in "xxxy"]
        await store.create(specs)
        await store.set_limits("t", None, None, KeyedLimit(per_key=1, header="customer"))
        query = Activation(job_type="t", worker="w", timeout_ms=LEASE_MS, max_jobs=10)
        jobs = await store.activate(query, -1)
        assert sorted(j.custom_headers["customer"] for j in jobs) == ["x", "y"]

    async def test_an_ended_activation_frees_a_slot_of_its_key(self, store: JobStore) -> None:
        await store.create([tenant("a")] * 3)
        await store.set_limits("t", None, None, KeyedLimit(per_key=1, variable="tenant"))
        query = Activation(job_type="t", worker="w", timeout_ms=LEASE_MS, max_jobs=10)
        (first,) = await store.activate(query, -1)
        assert await take(store, 10) == []
        await store.complete(int(first.job_key), None, None)
        assert await take(store, 10) == ["a"]

    async def test_an_expired_activation_frees_a_slot_of_its_key(
        self, store: JobStore, clock: FakeClock[int]
    ) -> None:
        await store.create([tenant("a")] * 2)
        await store.set_limits("t", None, None, KeyedLimit(per_key=1, variable="tenant"))
        assert await take(store, 10) == ["a"]
        clock.advance(LEASE_MS)
        assert await take(store, 10) == ["a"]

    async def test_a_held_poll_looks_again_when_the_next_slot_may_free(
        self, store: JobStore
    ) -> None:
        await store.create([tenant("a")] * 2)
        await store.set_limits("t", None, None, KeyedLimit(per_key=1, variable="tenant"))
        assert await take(store, 10) == ["a"]
        query = Activation(job_type="t", worker="w", timeout_ms=LEASE_MS, max_jobs=10)
        jobs, next_at = await store._backend.activate(query, START_MS)
        assert jobs == []
        assert next_at == START_MS + LEASE_MS  # the deadline, not "now" (no spinning)

    async def test_with_max_active_both_hold(self, store: JobStore) -> None:
        await store.create([tenant("a")] * 5 + [tenant("b")] * 5 + [tenant("c")] * 5)
        await store.set_limits("t", 5, None, BY_TENANT)
        taken = await take(store, 10)
        assert len(taken) == 5 and all(taken.count(k) <= 2 for k in "abc")

    async def test_the_limits_read_back(self, store: JobStore) -> None:
        await store.set_limits("t", 4, None, BY_TENANT)
        limits = await store.get_limits("t")
        assert limits is not None
        assert (limits.max_active, limits.max_active_per_key, limits.key_variable) == (
            4,
            2,
            "tenant",
        )
        assert limits.key_header is None


class TestRoutes:
    async def test_put_and_get_a_keyed_limit(self, http: httpx.AsyncClient) -> None:
        body = {"maxActivePerKey": 2, "keyHeader": "customer"}
        put = await http.put("/ext/job-types/t/limits", json=body)
        assert put.status_code == 200, put.text
        got = (await http.get("/ext/job-types/t/limits")).json()
        assert (got["maxActivePerKey"], got["keyHeader"], got["keyVariable"]) == (
            2,
            "customer",
            None,
        )

    @pytest.mark.parametrize(
        ("body", "names"),
        [
            ({"maxActivePerKey": 2}, "keyVariable"),
            ({"maxActivePerKey": 2, "keyVariable": "a", "keyHeader": "b"}, "keyHeader"),
            ({"keyVariable": "tenant"}, "maxActivePerKey"),
            ({"maxActivePerKey": 0, "keyVariable": "tenant"}, "maxActivePerKey"),
            ({"maxActivePerKey": "2", "keyVariable": "tenant"}, "maxActivePerKey"),
        ],
    )
    async def test_a_bad_keyed_limit_is_a_400_naming_the_field(
        self, http: httpx.AsyncClient, body: dict[str, Any], names: str
    ) -> None:
        answer = await http.put("/ext/job-types/t/limits", json=body)
        assert answer.status_code == 400
        assert names in answer.json()["detail"]
        assert (await http.get("/ext/job-types/t/limits")).json()["maxActivePerKey"] is None

    async def test_a_held_long_poll_is_woken_when_a_slot_of_its_key_frees(
        self, broker: RunningBroker, api: AsyncClient
    ) -> None:
        await api.create_jobs([tenant("a")] * 2)
        await api.set_job_type_limits("t", max_active_per_key=1, key_variable="tenant")
        (held,) = await api.activate_jobs(
            "t", max_jobs=5, timeout_ms=LEASE_MS, request_timeout_ms=-1
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
            assert got == []
            await api.complete_job(held.job_key)
        assert got == [1]
        assert time.monotonic() - started < 10  # woken, not answered at its timeout


def most_at_once_per_key(events: list[Any], key_of: dict[str, str]) -> dict[str, int]:
    """The most jobs of each key ACTIVATED at the same time, replaying the histories."""
    active: dict[str, int] = {}
    most: dict[str, int] = {}
    for event in events:
        key = key_of[str(event.job_key)]
        if event.event == "ACTIVATED":
            active[key] = active.get(key, 0) + 1
            most[key] = max(most.get(key, 0), active[key])
        elif event.event in ENDING_EVENTS:
            active[key] -= 1
    return most


async def test_several_workers_never_exceed_the_limit_per_key(
    broker: RunningBroker, api: AsyncClient
) -> None:
    await api.set_job_type_limits("keyed", max_active_per_key=2, key_variable="tenant")
    tenants = ["a", "b", "c"]
    specs = [JobSpec(type="keyed", variables={"tenant": tenants[n % 3]}) for n in range(45)]
    specs += [JobSpec(type="keyed")] * 6  # no key: one more bucket
    keys = await api.create_jobs(specs)
    key_of = {str(k): s.variables.get("tenant", "<none>") for k, s in zip(keys, specs, strict=True)}
    workers = []
    for n in range(3):
        worker = Worker(f"k{n}", request_timeout_ms=2_000)

        @worker.task("keyed", max_jobs=20)
        async def work(job: JobContext) -> None:
            await anyio.sleep(0.01)  # the downstream call

        workers.append(worker)

    async def all_completed() -> bool:
        jobs, _ = await broker.store.search("keyed", JobState.COMPLETED, 1_000, None)
        return len(jobs) == len(specs)

    async with client_for(broker) as client, AsyncExitStack() as stack:
        for worker in workers:
            await stack.enter_async_context(running(worker, client))
        await wait_until(all_completed, timeout_s=60, interval_s=0.05, message="all completed")
    events = [e for e in await broker.store.events_after(0, 100_000) if e.job_type == "keyed"]
    assert len([e for e in events if e.event == "ACTIVATED"]) == len(specs)
    assert most_at_once_per_key(events, key_of) == {"a": 2, "b": 2, "c": 2, "<none>": 2}
    assert len({e.worker for e in events if e.event == "ACTIVATED"}) > 1


async def test_two_replicas_never_exceed_the_limit_per_key(postgres_url: str) -> None:
    """Each replica's activation counts the keys under the limits row's lock. The jobs are
    created through both replicas once the workers wait, so each replica's polls are woken
    first for some of them and both hand jobs out."""
    async with anyio.create_task_group() as tg:
        first: RunningBroker = await tg.start(serve, postgres_url, "127.0.0.1", 0)
        second: RunningBroker = await tg.start(serve, postgres_url, "127.0.0.1", 0)
        async with AsyncExitStack() as stack:
            apis = [await stack.enter_async_context(client_for(b)) for b in (first, second)]
            await apis[0].set_job_type_limits("shared", max_active_per_key=2, key_header="customer")
            for n in range(4):  # two workers on each replica
                worker = Worker(f"r{n}", request_timeout_ms=2_000)

                @worker.task("shared", max_jobs=20)
                async def work(job: JobContext) -> None:
                    await anyio.sleep(0.02)

                await stack.enter_async_context(running(worker, apis[n % 2]))

            def all_polls_wait() -> bool:
                return all(
                    b.store.notifier.event_for("shared").statistics().tasks_waiting >= 2
                    for b in (first, second)
                )

            await wait_until(all_polls_wait, message="two polls waiting on each replica")
            key_of: dict[str, str] = {}
            for customer, api in zip("xyzw", apis * 2, strict=True):
                specs = [JobSpec(type="shared", custom_headers={"customer": customer})] * 10
                key_of.update((str(k), customer) for k in await api.create_jobs(specs))

            async def all_completed() -> bool:
                jobs, _ = await second.store.search("shared", JobState.COMPLETED, 1_000, None)
                return len(jobs) == len(key_of)

            await wait_until(all_completed, timeout_s=60, interval_s=0.05, message="all done")
        events = [e for e in await first.store.events_after(0, 10_000) if e.job_type == "shared"]
        assert most_at_once_per_key(events, key_of) == {"x": 2, "y": 2, "z": 2, "w": 2}
        served_by = {e.worker for e in events if e.event == "ACTIVATED"}
        assert served_by & {"r0", "r2"} and served_by & {"r1", "r3"}  # both replicas handed out
        tg.cancel_scope.cancel()
