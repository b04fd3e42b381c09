"""A max-active limit holds across brokers sharing one PostgreSQL database: each replica's
activation counts the type's ACTIVATED jobs under the limits row's lock, so two replicas
never both hand out the last free slot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import anyio
import pytest

from sdk.broker import RunningBroker, serve
from sdk.models import JobSpec, JobState
from sdk.testing import client_for, running, wait_until

from .test_limits import most_at_once, pool

pytestmark = pytest.mark.anyio

LIMIT = 3
JOBS = 60


@asynccontextmanager
async def two_replicas(url: str) -> AsyncIterator[tuple[RunningBroker, RunningBroker]]:
    async with anyio.create_task_group() as tg:
        first: RunningBroker = await tg.start(serve, url, "127.0.0.1", 0)
        second: RunningBroker = await tg.start(serve, url, "127.0.0.1", 0)
        yield first, second
        tg.cancel_scope.cancel()


async def test_two_replicas_never_hold_more_than_the_limit(postgres_url: str) -> None:
    async with two_replicas(postgres_url) as (first, second):
        async with client_for(first) as api:
            await api.set_job_type_limits("shared", max_active=LIMIT)
            await api.create_jobs([JobSpec(type="shared")] * JOBS)
        workers = pool("a", "shared")
        async with AsyncExitStack() as stack:
            for n, worker in enumerate(workers):  # two workers on each replica
                client = await stack.enter_async_context(client_for((first, second)[n % 2]))
                await stack.enter_async_context(running(worker, client))

            async def all_completed() -> bool:
                jobs, _ = await second.store.search("shared", JobState.COMPLETED, 1_000, None)
                return len(jobs) >= JOBS

            await wait_until(all_completed, timeout_s=45, interval_s=0.05, message="all done")
        events = [e for e in await first.store.events_after(0, 10_000) if e.job_type == "shared"]
        activated = [e for e in events if e.event == "ACTIVATED"]
        assert len(activated) == JOBS
        assert most_at_once(events) == LIMIT
        served_by = {e.worker for e in activated}
        assert served_by & {"a0", "a2"} and served_by & {"a1", "a3"}  # both replicas handed out
