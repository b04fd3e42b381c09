"""Two broker processes on one PostgreSQL database, as a deployment with replicas runs them.

Workers poll either replica; the database decides who gets a job (``FOR UPDATE SKIP
LOCKED``), so every job must end exactly once and never be held by two workers at once,
whichever replica served which call. The event log, read from one replica, must carry every
job's whole history, written by both, in increasing ids. A replica killed with SIGKILL
under load loses nothing it acknowledged: the other one goes on, and once it is back the
workers that used it finish their jobs (or their leases run out and others do).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from contextlib import ExitStack
from pathlib import Path

import anyio
import httpx
import pytest

from sdk.client import AsyncClient
from sdk.errors import SdkError
from sdk.models import JobKey, JobSpec, JobState
from sdk.testing import running, wait_until
from sdk.worker import JobContext, Worker

from ._reporting import BATCHED
from .test_broker_crash import AcknowledgingClient, Ledger
from _support.ports import free_port
from _support.processes import Process, client_config, replica_process, wait_reachable

pytestmark = pytest.mark.anyio

JOB_TYPE = "durable"
"""The type ``test_broker_crash``'s acknowledging worker client counts."""
JOBS = 5_000
BATCH = 500
WAIT_S = 50.0


class Replicas:
    """Two broker processes on one database; ``urls[i]`` is replica ``i``'s REST base."""

    def __init__(self, database_url: str, folder: Path) -> None:
        self.database_url, self.folder = database_url, folder
        self.ports = [free_port(), free_port()]
        self.urls = [f"http://127.0.0.1:{port}/v2" for port in self.ports]
        self.processes: list[Process | None] = [None, None]
        self._stack = ExitStack()

    async def start(self, index: int) -> None:
        replica = replica_process(
            self.database_url, self.ports[index], self.folder, f"replica-{index}"
        )
        proc = self._stack.enter_context(replica)
        self.processes[index] = proc
        async with AsyncClient(configuration=client_config(self.urls[index])) as client:
            await wait_reachable(client, proc)

    def kill(self, index: int) -> None:
        proc = self.processes[index]
        assert proc is not None
        proc.kill()

    def close(self) -> None:
        self._stack.close()

    def client(self, index: int) -> AsyncClient:
        return AsyncClient(configuration=client_config(self.urls[index]))


@pytest.fixture
async def replicas(postgres_url: str, tmp_path: Path) -> AsyncIterator[Replicas]:
    pair = Replicas(postgres_url, tmp_path)
    try:
        async with anyio.create_task_group() as tg:  # both interpreters start at once
            tg.start_soon(pair.start, 0)
            tg.start_soon(pair.start, 1)
        yield pair
    finally:
        pair.close()


def recording_worker(
    name: str, handled: list[tuple[str, JobKey]], lease_ms: int, ledger: Ledger | None = None
) -> Worker:
    worker = Worker(name, timeout_ms=lease_ms, request_timeout_ms=1_000)

    @worker.task(JOB_TYPE, max_jobs=32)
    async def work(job: JobContext) -> None:
        if ledger is not None and job.job_key in ledger.completed:
            ledger.handed_out_after_completion.append(job.job_key)
        handled.append((name, job.job_key))

    return worker


async def event_log(url: str) -> list[dict[str, object]]:
    """The whole event log, read from one replica a page at a time."""
    events: list[dict[str, object]] = []
    after = 0
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        while True:
            page = (await http.get("/ext/events", params={"after": after, "limit": 1000})).json()
            events += page["items"]
            if not page["items"]:
                return events
            after = page["lastEventId"]


def histories(events: list[dict[str, object]]) -> dict[str, list[str]]:
    by_job: dict[str, list[str]] = defaultdict(list)
    for event in events:
        by_job[str(event["jobKey"])].append(str(event["event"]))
    return by_job


def held_twice(history: list[str]) -> bool:
    """Whether an activation began while the previous one was still held (not ended, failed
    or timed out): two workers would have held the job at once."""
    holding = False
    for event in history:
        if event == "ACTIVATED":
            if holding:
                return True
            holding = True
        elif event in ("TIMED_OUT", "FAILED", "COMPLETED", "ERROR_THROWN", "INCIDENT"):
            holding = False
    return False


async def none_left(client: AsyncClient) -> bool:
    for state in (JobState.ACTIVATABLE, JobState.ACTIVATED):
        if (await client.search_jobs(job_type=JOB_TYPE, state=state, limit=1)).items:
            return False
    return True


class TestTwoReplicas:
    async def test_every_job_ends_exactly_once_and_is_never_held_twice(
        self, replicas: Replicas
    ) -> None:
        handled: list[tuple[str, JobKey]] = []
        created: list[JobKey] = []
        async with replicas.client(0) as a, replicas.client(1) as b, replicas.client(0) as c:
            workers = [recording_worker(f"w{i}", handled, 30_000) for i in range(3)]
            async with running(workers[0], a), running(workers[1], b), running(workers[2], c):
                for n in range(0, JOBS, BATCH):  # alternately on each replica
                    creator = a if n // BATCH % 2 == 0 else b
                    specs = [JobSpec(type=JOB_TYPE, variables={"n": i}) for i in range(BATCH)]
                    created += await creator.create_jobs(specs)
                await wait_until(
                    lambda: len(handled) >= JOBS, timeout_s=WAIT_S, message="all handled"
                )
                await wait_until(
                    lambda: none_left(b), timeout_s=WAIT_S, interval_s=0.1, message="all ended"
                )
            events = await event_log(replicas.urls[1])

        assert len(set(created)) == JOBS
        assert Counter(key for _, key in handled).most_common(1)[0][1] == 1, "handled twice"
        assert {key for _, key in handled} == set(created)
        assert {name for name, _ in handled} == {"w0", "w1", "w2"}, "some worker got nothing"
        ids = [int(str(e["id"])) for e in events]
        assert ids == sorted(set(ids)), "event ids not strictly increasing"
        by_job = histories(events)
        assert set(by_job) == set(created)
        for key, history in by_job.items():
            assert history.count("CREATED") == 1, (key, history)
            assert history.count("COMPLETED") == 1, (key, history)
            assert not held_twice(history), (key, history)

    async def test_a_replica_killed_under_load_loses_nothing_acknowledged(
        self, replicas: Replicas
    ) -> None:
        ledger = Ledger()
        handled: list[tuple[str, JobKey]] = []
        victim = {"up": anyio.Event()}
        victim["up"].set()
        stop = anyio.Event()

        async def create(index: int, client: AsyncClient) -> None:
            """Batches of 20 on replica ``index``; while it is down, on the other one."""
            n = 0
            while not stop.is_set():
                target = client if index == 1 or victim["up"].is_set() else survivor
                specs = [JobSpec(type=JOB_TYPE, variables={"n": n})] * 20
                try:
                    keys = await target.create_jobs(specs)
                except SdkError:
                    ledger.failed_creations += 1
                    assert index == 0 and not victim["up"].is_set(), "a replica up failed"
                    continue
                ledger.created.update(keys)
                n += 1

        config = [client_config(url) for url in replicas.urls]
        lease_ms = 2_000
        async with (
            AsyncClient(configuration={**config[0], "SDK_HTTP_RETRIES": "0"}) as creator,
            AsyncClient(configuration={**config[1], "SDK_HTTP_RETRIES": "0"}) as survivor,
            AcknowledgingClient(ledger, config[0], BATCHED) as on_victim,
            AcknowledgingClient(ledger, config[1], BATCHED) as on_survivor,
            running(recording_worker("w0", handled, lease_ms, ledger), on_victim),
            running(recording_worker("w1", handled, lease_ms, ledger), on_survivor),
        ):
            async with anyio.create_task_group() as creators:
                creators.start_soon(create, 0, creator)
                creators.start_soon(create, 1, survivor)
                await wait_until(lambda: ledger.reached(400, 150), timeout_s=WAIT_S)
                victim["up"] = anyio.Event()  # creations now go to the survivor
                replicas.kill(0)
                during = len(handled)
                await wait_until(
                    lambda: len(handled) >= during + 150,
                    timeout_s=WAIT_S,
                    message="the survivor goes on alone",
                )
                await replicas.start(0)
                victim["up"].set()
                await wait_until(lambda: len(ledger.created) >= 1_200, timeout_s=WAIT_S)
                stop.set()
            await wait_until(
                lambda: none_left(survivor), timeout_s=WAIT_S, interval_s=0.1, message="all ended"
            )
            events = await event_log(replicas.urls[0])

        by_job = histories(events)
        assert ledger.created <= set(by_job), "an acknowledged creation was lost"
        for key, history in by_job.items():
            assert history.count("COMPLETED") == 1, (key, history)
            assert not held_twice(history), (key, history)
        assert ledger.completed <= set(by_job)
        assert ledger.handed_out_after_completion == []
        assert {name for name, _ in handled} == {"w0", "w1"}
