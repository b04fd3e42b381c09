"""Network faults between a worker and the broker lose no job and stop no loop.

A ``FaultyProxy`` sits between an in-process worker and a real broker on loopback and drops,
stalls or resets connections in the middle of requests. Outcomes are read from each job's
history on the broker: every job ends COMPLETED exactly once.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import anyio
import pytest
from loguru import logger

from sdk.broker import RunningBroker
from sdk.client import AsyncClient
from sdk.models import Job, JobKey, JobSpec, JobState
from sdk.testing import client_for, running, wait_until
from sdk.worker import JobContext, Worker

from ._proxy import FaultyProxy
from ._reporting import BOTH, Reporting, client_class
from _support.processes import client_config

pytestmark = pytest.mark.anyio

JOB_TYPE = "flaky-net"
LEASE_MS = 3_000
HTTP_TIMEOUT_S = "1"
"""Short, so a stalled report times out (and is retried) well within the lease."""
WAIT_S = 30.0
CHAOS_FAULTS = 60
CHAOS_WAIT_S = 300.0


@dataclass
class Recorder:
    """What the worker's handler saw, and the warnings the worker logged."""

    handled: list[JobKey] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    gate: anyio.Event | None = None
    """When set, each handler waits for it: the test decides when results are reported."""


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    rec = Recorder()
    sink = logger.add(lambda message: rec.warnings.append(str(message)), level="WARNING")
    try:
        yield rec
    finally:
        logger.remove(sink)


@pytest.fixture(params=BOTH, ids=str)
def reporting(request: pytest.FixtureRequest) -> Reporting:
    """Per-job reports (as to a Camunda cluster) or batched ones (the broker's extension)."""
    reporting: Reporting = request.param
    return reporting


@pytest.fixture
async def proxy(file_broker: RunningBroker) -> AsyncIterator[FaultyProxy]:
    port = urlsplit(file_broker.url).port
    assert port is not None
    faulty = FaultyProxy(port)
    async with anyio.create_task_group() as tg:
        await tg.start(faulty.run)
        yield faulty
        tg.cancel_scope.cancel()


@pytest.fixture
async def client(file_broker: RunningBroker) -> AsyncIterator[AsyncClient]:
    """The test's own client: straight to the broker, never through the proxy."""
    async with client_for(file_broker) as direct:
        yield direct


def make_worker(recorder: Recorder) -> Worker:
    worker = Worker("flaky-net-worker", timeout_ms=LEASE_MS, request_timeout_ms=500)

    @worker.task(JOB_TYPE, max_jobs=4)
    async def double(job: JobContext, n: int) -> dict[str, int]:
        recorder.handled.append(job.job_key)
        if recorder.gate is not None:
            await recorder.gate.wait()
        return {"doubled": 2 * n}

    return worker


@asynccontextmanager
async def worker_through(
    proxy: FaultyProxy, recorder: Recorder, reporting: Reporting
) -> AsyncIterator[Worker]:
    config = client_config(proxy.address, SDK_HTTP_TIMEOUT_S=HTTP_TIMEOUT_S)
    async with (
        client_class(reporting)(configuration=config) as client,
        running(make_worker(recorder), client) as worker,
    ):
        yield worker


async def completed(client: AsyncClient, keys: list[JobKey]) -> list[Job] | None:
    jobs = [await client.get_job(key) for key in keys]
    return jobs if all(job.state is JobState.COMPLETED for job in jobs) else None


def assert_completed_exactly_once(jobs: list[Job]) -> None:
    for n, job in enumerate(jobs):
        completions = [e for e in job.history or [] if e.event == "COMPLETED"]
        assert len(completions) == 1, job.history
        assert job.variables == {"n": n, "doubled": 2 * n}


async def create(client: AsyncClient, count: int) -> list[JobKey]:
    return [await client.create_job(JOB_TYPE, {"n": n}) for n in range(count)]


def answered_not_found(recorder: Recorder, keys: list[JobKey]) -> list[JobKey]:
    """Jobs whose retried report met the broker's 404 ("already ended"), logged as a warning
    (the worker's loop went on: it did not raise)."""
    return [
        key
        for key in keys
        if any(key in line and "already ended" in line for line in recorder.warnings)
    ]


async def assert_still_working(client: AsyncClient) -> None:
    """The worker's loops survived the faults: a job created now is done."""
    (key,) = await create(client, 1)
    await wait_until(lambda: completed(client, [key]), timeout_s=WAIT_S)


class TestLostAnswers:
    async def test_completion_whose_answer_was_lost_stays_completed_once(
        self,
        proxy: FaultyProxy,
        client: AsyncClient,
        recorder: Recorder,
        reporting: Reporting,
    ) -> None:
        keys = await create(client, 6)
        proxy.drop_responses(reporting.report_path, count=3)
        async with worker_through(proxy, recorder, reporting):
            jobs = await wait_until(lambda: completed(client, keys), timeout_s=WAIT_S)
            # the jobs are completed with the first lost answer; the retries meet the others
            await wait_until(lambda: proxy.stats.dropped == 3, timeout_s=WAIT_S)
            await assert_still_working(client)

        assert_completed_exactly_once(jobs)
        assert sorted(recorder.handled[:6]) == sorted(keys)  # each handled once: no re-run
        # Each lost answer covered one report (per job) or a batch of them; their retries
        # met the broker's 404 and were logged, not raised.
        not_found = answered_not_found(recorder, keys)
        assert len(not_found) == 3 if reporting.per_job else len(not_found) >= 3, recorder.warnings

    async def test_activation_whose_answer_was_lost_comes_back_after_the_lease(
        self,
        proxy: FaultyProxy,
        client: AsyncClient,
        recorder: Recorder,
        reporting: Reporting,
    ) -> None:
        keys = await create(client, 3)
        proxy.drop_responses(b"/jobs/activation", count=1)
        async with worker_through(proxy, recorder, reporting):
            jobs = await wait_until(lambda: completed(client, keys), timeout_s=WAIT_S)
            await assert_still_working(client)

        assert proxy.stats.dropped == 1
        assert_completed_exactly_once(jobs)
        for job in jobs:  # activated, never delivered: handed out again when the lease ran out
            events = [e.event for e in job.history or []]
            assert events == ["CREATED", "ACTIVATED", "TIMED_OUT", "ACTIVATED", "COMPLETED"]

    async def test_stalled_completion_times_out_and_the_job_stays_completed_once(
        self,
        proxy: FaultyProxy,
        client: AsyncClient,
        recorder: Recorder,
        reporting: Reporting,
    ) -> None:
        keys = await create(client, 4)
        proxy.stall_responses(reporting.report_path, count=2)
        async with worker_through(proxy, recorder, reporting):
            jobs = await wait_until(lambda: completed(client, keys), timeout_s=WAIT_S)
            await wait_until(lambda: proxy.stats.abandoned == 2, timeout_s=WAIT_S)
            await assert_still_working(client)

        assert proxy.stats.stalled == 2
        assert_completed_exactly_once(jobs)
        assert sorted(recorder.handled[:4]) == sorted(keys)
        not_found = answered_not_found(recorder, keys)
        assert len(not_found) == 2 if reporting.per_job else len(not_found) >= 2, recorder.warnings


class TestResets:
    async def test_connections_reset_mid_request_lose_nothing(
        self,
        proxy: FaultyProxy,
        client: AsyncClient,
        recorder: Recorder,
        reporting: Reporting,
    ) -> None:
        recorder.gate = anyio.Event()
        keys = await create(client, 8)
        async with worker_through(proxy, recorder, reporting):
            await wait_until(lambda: len(recorder.handled) == 4, timeout_s=WAIT_S)
            # Hold every byte, let the four handlers finish: their reports (four requests, or
            # a batch) are now in flight inside the proxy. Then reset them all.
            proxy.pause()
            recorder.gate.set()
            in_flight = 4 if reporting.per_job else 1
            await wait_until(lambda: proxy.stats.waiting >= in_flight, timeout_s=WAIT_S)
            assert proxy.reset_all() >= in_flight
            proxy.resume()
            jobs = await wait_until(lambda: completed(client, keys), timeout_s=WAIT_S)
            await assert_still_working(client)

        assert_completed_exactly_once(jobs)

    async def test_broker_unreachable_for_a_while_then_work_resumes(
        self,
        proxy: FaultyProxy,
        client: AsyncClient,
        recorder: Recorder,
        reporting: Reporting,
    ) -> None:
        keys = await create(client, 2)
        async with worker_through(proxy, recorder, reporting):
            jobs = await wait_until(lambda: completed(client, keys), timeout_s=WAIT_S)
            proxy.pause()  # a black hole: the long poll in flight and new connections hang
            connections = proxy.stats.connections
            proxy.reset_all()
            # The worker notices (its poll fails) and tries again on a new connection.
            await wait_until(lambda: proxy.stats.connections > connections, timeout_s=WAIT_S)
            more = await create(client, 2)
            proxy.resume()
            jobs += await wait_until(lambda: completed(client, more), timeout_s=WAIT_S)

        for job in jobs:
            assert [e.event for e in job.history or []].count("COMPLETED") == 1


@pytest.mark.slow
@pytest.mark.timeout(600)
class TestChaos:
    async def test_random_faults_under_load_lose_nothing(
        self,
        proxy: FaultyProxy,
        client: AsyncClient,
        recorder: Recorder,
        reporting: Reporting,
    ) -> None:
        rng = random.Random(4)
        keys: list[JobKey] = []

        async def feed() -> None:
            """More jobs before each fault: the worker is busy all through the schedule,
            however fast it is."""
            first = len(keys)
            specs = [JobSpec(type=JOB_TYPE, variables={"n": first + i}) for i in range(10)]
            keys.extend(await client.create_jobs(specs))

        async with worker_through(proxy, recorder, reporting):
            await inject_faults(proxy, rng, reporting.report_path, feed)
            await wait_until(lambda: none_left(client), timeout_s=CHAOS_WAIT_S, interval_s=0.2)
            await assert_still_working(client)
        jobs = [await client.get_job(key) for key in keys]
        assert len(jobs) == 10 * CHAOS_FAULTS
        assert_completed_exactly_once(jobs)
        assert proxy.stats.dropped + proxy.stats.stalled + proxy.stats.resets > CHAOS_FAULTS / 2


async def inject_faults(
    proxy: FaultyProxy,
    rng: random.Random,
    report_path: bytes,
    feed: Callable[[], Awaitable[None]],
) -> None:
    """``CHAOS_FAULTS`` random faults at random moments (the schedule is the fault here),
    each after ``feed`` gave the worker more jobs."""
    for _ in range(CHAOS_FAULTS):
        await feed()
        await anyio.sleep(rng.uniform(0.02, 0.3))
        fault = rng.randrange(5)
        if fault == 0:
            proxy.drop_responses(report_path, rng.randint(1, 5))
        elif fault == 1:
            proxy.drop_responses(b"/jobs/activation")
        elif fault == 2:
            proxy.stall_responses(report_path, rng.randint(1, 3))
        elif fault == 3:
            proxy.reset_all()
        else:
            proxy.pause()
            await anyio.sleep(rng.uniform(0.1, 1.5))
            proxy.resume()


async def none_left(client: AsyncClient) -> bool:
    for state in (JobState.ACTIVATABLE, JobState.ACTIVATED):
        if (await client.search_jobs(job_type=JOB_TYPE, state=state, limit=1)).items:
            return False
    return True
