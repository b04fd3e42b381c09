"""The bench's count of durable completions, read from a real broker's SQLite file."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from sdk.bench._run import _completed_counter, _reported_counter
from sdk.bench._scenarios import JOB_TYPE
from sdk.broker import RunningBroker, serve
from sdk.client import AsyncClient
from sdk.models import JobSpec
from sdk.testing import client_for, running, wait_until
from sdk.worker import Worker

pytestmark = pytest.mark.anyio


async def _complete(client: AsyncClient, job_type: str, count: int) -> None:
    jobs = await client.activate_jobs(job_type, max_jobs=count, timeout_ms=60_000)
    assert len(jobs) == count
    for job in jobs:
        await client.complete_job(job.job_key)


async def test_counts_each_completion_of_the_bench_type_once(tmp_path: Path) -> None:
    db = tmp_path / "bench.db"
    async with anyio.create_task_group() as tg:
        broker: RunningBroker = await tg.start(serve, str(db), "127.0.0.1", 0)
        async with client_for(broker) as client:
            await client.create_jobs([JobSpec(type=JOB_TYPE)] * 5 + [JobSpec(type="other")] * 3)
            count = _completed_counter(db)
            assert count() == 0  # created and nothing else: no completion yet

            await _complete(client, JOB_TYPE, 2)
            await _complete(client, "other", 3)  # another type's completions are not counted
            assert count() == 2
            assert count() == 2  # a look with nothing new keeps the count

            (failed,) = await client.activate_jobs(JOB_TYPE, max_jobs=1, timeout_ms=60_000)
            await client.fail_job(failed.job_key, retries=1)  # a history row, not a completion
            assert count() == 2

            await _complete(client, JOB_TYPE, 3)  # the failed one again, and the two left
            assert count() == 5
            assert _completed_counter(db)() == 5  # a counter made late counts the whole file
        tg.cancel_scope.cancel()


async def test_a_remote_servers_completions_are_counted_from_the_workers_answers(
    tmp_path: Path,
) -> None:
    async with anyio.create_task_group() as tg:
        broker: RunningBroker = await tg.start(serve, str(tmp_path / "jobs.db"), "127.0.0.1", 0)
        async with client_for(broker) as client:
            await client.create_jobs([JobSpec(type=JOB_TYPE)] * 7)
            worker = Worker("counted", request_timeout_ms=1_000)

            @worker.task(JOB_TYPE)
            async def work() -> None: ...

            count = _reported_counter(worker)

            async def all_counted() -> bool:
                return await count() >= 7

            assert await count() == 0
            async with running(worker, client):
                await wait_until(all_counted, message="seven completions counted")
            # every counted completion is one the server holds
            completed = await client.search_jobs(job_type=JOB_TYPE, state="COMPLETED")
            assert await count() == len(completed.items) == 7
        tg.cancel_scope.cancel()
