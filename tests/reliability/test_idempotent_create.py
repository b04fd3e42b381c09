"""A job creation whose answer is lost is repeated, and still creates its jobs exactly once.

A ``FaultyProxy`` lets the creation reach the broker and throws its answer away (the
connection is reset): the broker created the jobs, the client cannot know. The client repeats
the request with the same ``Idempotency-Key``, and the broker answers the jobs it created.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

import anyio
import pytest

from sdk.broker import RunningBroker, serve
from sdk.client import AsyncClient, HttpRetryPolicy
from sdk.errors import ServerUnreachableError
from sdk.models import JobKey, JobSpec
from sdk.testing import client_for

from ._proxy import FaultyProxy
from _support.processes import client_config

pytestmark = pytest.mark.anyio

CREATE = b"POST /v2/ext/jobs HTTP"
JOB_TYPE = "idem-net"


@asynccontextmanager
async def broker_on(path: Path) -> AsyncIterator[RunningBroker]:
    async with anyio.create_task_group() as tg:
        broker: RunningBroker = await tg.start(serve, path, "127.0.0.1", 0)
        yield broker
        tg.cancel_scope.cancel()


@asynccontextmanager
async def proxy_to(broker: RunningBroker) -> AsyncIterator[FaultyProxy]:
    port = urlsplit(broker.url).port
    assert port is not None
    proxy = FaultyProxy(port)
    async with anyio.create_task_group() as tg:
        await tg.start(proxy.run)
        yield proxy
        tg.cancel_scope.cancel()


async def stored_keys(client: AsyncClient) -> list[JobKey]:
    page = await client.search_jobs(job_type=JOB_TYPE, limit=100)
    return sorted(job.job_key for job in page.items)


async def test_a_lost_answer_is_retried_and_the_jobs_exist_once(
    file_broker: RunningBroker,
) -> None:
    specs = [JobSpec(type=JOB_TYPE, variables={"n": n}) for n in range(3)]
    async with proxy_to(file_broker) as proxy:
        proxy.drop_responses(CREATE, 1)
        retrying = HttpRetryPolicy(max_retries=3, base_delay_s=0.01)
        async with AsyncClient(configuration=client_config(proxy.address), retry=retrying) as c:
            keys = await c.create_jobs(specs)
        assert proxy.stats.dropped == 1
        assert proxy.faults_pending == 0
    async with client_for(file_broker) as direct:
        assert await stored_keys(direct) == sorted(keys)
        jobs = [await direct.get_job(key) for key in keys]
    assert [job.variables for job in jobs] == [{"n": n} for n in range(3)]


async def test_without_retries_the_lost_answer_is_an_error_yet_the_jobs_exist(
    file_broker: RunningBroker,
) -> None:
    """The fault is real: the first attempt did create the jobs (so a blind repeat without a
    key would have made them twice)."""
    async with proxy_to(file_broker) as proxy:
        proxy.drop_responses(CREATE, 1)
        config = client_config(proxy.address)
        async with AsyncClient(configuration=config, retry=HttpRetryPolicy.off()) as c:
            with pytest.raises(ServerUnreachableError):
                await c.create_job(JOB_TYPE, idempotency_key="first-try")
            again = await c.create_job(JOB_TYPE, idempotency_key="first-try")
    async with client_for(file_broker) as direct:
        assert await stored_keys(direct) == [again]


async def test_a_broker_restart_between_the_attempts_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    specs = [JobSpec(type=JOB_TYPE, variables={"n": n}) for n in range(2)]
    async with broker_on(path) as broker, proxy_to(broker) as proxy:
        proxy.drop_responses(CREATE, 1)
        config = client_config(proxy.address)
        async with AsyncClient(configuration=config, retry=HttpRetryPolicy.off()) as c:
            with pytest.raises(ServerUnreachableError):
                await c.create_jobs(specs, idempotency_key="order-42")
        assert proxy.stats.dropped == 1

    async with broker_on(path) as restarted, client_for(restarted) as client:
        before = await stored_keys(client)
        assert len(before) == 2  # the first attempt's jobs, durable before the lost answer
        keys = await client.create_jobs(specs, idempotency_key="order-42")
        assert sorted(keys) == before
        assert await stored_keys(client) == before
