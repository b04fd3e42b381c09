"""Job priorities: activation takes the highest priority first, then the oldest job, on both
stores, under concurrent activations and with a real worker; every activated job says its
priority."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import httpx
import pytest

from sdk.broker import JobStore, RunningBroker
from sdk.broker.store import Activation
from sdk.client import AsyncClient
from sdk.models import JobSpec, JobState
from sdk.testing import running, wait_until
from sdk.worker import JobContext, Worker

from _support.clocks import FakeClock

pytestmark = pytest.mark.anyio

START_MS = 1_700_000_000_000
LEASE_MS = 60_000


@pytest.fixture(params=["sqlite-file", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[JobStore]:
    path = str(tmp_path / "jobs.sqlite3")
    if request.param == "postgres":
        path = request.getfixturevalue("postgres_url")
    store = JobStore(path, clock=FakeClock(START_MS))
    yield store
    await store.aclose()


async def take(store: JobStore, n: int, worker: str = "w") -> list[int]:
    query = Activation(job_type="t", worker=worker, timeout_ms=LEASE_MS, max_jobs=n)
    return [int(j.job_key) for j in await store.activate(query, -1)]


class TestOrder:
    async def test_the_highest_priority_goes_first_then_the_oldest(self, store: JobStore) -> None:
        priorities = [0, 5, -1, 5, 10, 0]
        keys = [
            int(k) for k in await store.create([JobSpec(type="t", priority=p) for p in priorities])
        ]
        by = dict(zip(keys, priorities, strict=True))
        taken = await take(store, 6)
        assert [by[k] for k in taken] == [10, 5, 5, 0, 0, -1]
        assert taken[1] < taken[2] and taken[3] < taken[4]  # ties: the older first

    async def test_a_batch_smaller_than_the_queue_takes_the_top(self, store: JobStore) -> None:
        await store.create([JobSpec(type="t")] * 3)
        (urgent,) = await store.create([JobSpec(type="t", priority=1)])
        assert await take(store, 1) == [int(urgent)]

    async def test_concurrent_activations_take_exactly_the_highest(self, store: JobStore) -> None:
        priorities = list(range(40))
        random.Random(7).shuffle(priorities)
        keys = await store.create([JobSpec(type="t", priority=p) for p in priorities])
        by = {int(k): p for k, p in zip(keys, priorities, strict=True)}
        taken: list[int] = []

        async def one(n: int) -> None:
            taken.extend(await take(store, 5, worker=f"w{n}"))

        async with anyio.create_task_group() as tg:
            for n in range(4):
                tg.start_soon(one, n)
        assert sorted(by[k] for k in taken) == list(range(20, 40))

    async def test_a_job_read_back_says_its_priority(self, store: JobStore) -> None:
        (key,) = await store.create([JobSpec(type="t", priority=-3)])
        assert (await store.get(int(key))).priority == -3


class TestWire:
    async def test_every_activated_job_carries_its_priority(
        self, http: httpx.AsyncClient, api: AsyncClient
    ) -> None:
        await api.create_job("t", priority=7)
        await api.create_job("t")
        answer = await http.post(
            "/jobs/activation",
            json={"type": "t", "timeout": LEASE_MS, "maxJobsToActivate": 5, "requestTimeout": -1},
        )
        assert [job["priority"] for job in answer.json()["jobs"]] == [7, 0]

    @pytest.mark.parametrize("priority", [2**31, -(2**31) - 1, "high", 1.5])
    async def test_a_priority_outside_int32_is_a_400_naming_it(
        self, http: httpx.AsyncClient, priority: object
    ) -> None:
        answer = await http.post("/ext/jobs", json={"jobs": [{"type": "t", "priority": priority}]})
        assert answer.status_code == 400
        assert "priority" in answer.json()["detail"]


async def test_a_worker_with_one_slot_works_the_queue_in_priority_order(
    broker: RunningBroker, api: AsyncClient
) -> None:
    priorities = [1, 3, 0, 3, 2, 9, 1]
    keys = await api.create_jobs([JobSpec(type="ordered", priority=p) for p in priorities])
    by = dict(zip(keys, priorities, strict=True))
    seen: list[int] = []
    worker = Worker("one-slot", request_timeout_ms=2_000)

    @worker.task("ordered", max_jobs=1)
    async def work(job: JobContext) -> None:
        seen.append(by[job.job_key])

    async def all_done() -> bool:
        jobs, _ = await broker.store.search("ordered", JobState.COMPLETED, 100, None)
        return len(jobs) == len(priorities)

    async with running(worker, api):
        await wait_until(all_done, timeout_s=30, message="every job completed")
    assert seen == sorted(priorities, reverse=True)
