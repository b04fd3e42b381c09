"""``iterate_jobs``: every matching job, newest first, a page at a time (real broker)."""

from __future__ import annotations

import anyio
import httpx
import pytest

from sdk.broker import RunningBroker
from sdk.client import AsyncClient, Client
from sdk.models import JobKey, JobSpec, JobState

pytestmark = pytest.mark.anyio

N_JOBS = 25
PAGE = 10


@pytest.fixture
async def jobs(sdk_client: AsyncClient) -> list[JobKey]:
    """``N_JOBS`` jobs of type ``paged`` (oldest first) among jobs of another type."""
    await sdk_client.create_jobs([JobSpec(type="other") for _ in range(5)])
    keys = await sdk_client.create_jobs(
        [JobSpec(type="paged", variables={"n": n}) for n in range(N_JOBS)]
    )
    await sdk_client.create_jobs([JobSpec(type="other") for _ in range(5)])
    return keys


async def test_walks_every_page_newest_first(sdk_broker: RunningBroker, jobs: list[JobKey]) -> None:
    searches: list[httpx.Request] = []

    async def count(request: httpx.Request) -> None:
        if request.url.path.endswith("/ext/jobs/search"):
            searches.append(request)

    config = {"CAMUNDA_REST_ADDRESS": sdk_broker.url, "CAMUNDA_AUTH_STRATEGY": "NONE"}
    async with AsyncClient(configuration=config) as client:
        client._http.event_hooks["request"].append(count)
        seen = [job async for job in client.iterate_jobs(job_type="paged", page_size=PAGE)]

    assert [job.job_key for job in seen] == list(reversed(jobs))
    assert [job.variables["n"] for job in seen] == list(reversed(range(N_JOBS)))
    assert len(searches) == 3  # 10 + 10 + 5: more than two pages, no empty extra request


async def test_filters_by_state(sdk_client: AsyncClient, jobs: list[JobKey]) -> None:
    activated = await sdk_client.activate_jobs("paged", max_jobs=12, timeout_ms=60_000)

    keys = [
        job.job_key
        async for job in sdk_client.iterate_jobs(
            job_type="paged", state=JobState.ACTIVATED, page_size=5
        )
    ]

    assert sorted(keys) == sorted(job.job_key for job in activated)


async def test_an_empty_result_is_an_empty_iteration(sdk_client: AsyncClient) -> None:
    assert [job async for job in sdk_client.iterate_jobs(job_type="none")] == []


async def test_the_blocking_client_iterates_too(sdk_broker: RunningBroker, jobs: list[str]) -> None:
    def scenario() -> list[str]:
        config = {"CAMUNDA_REST_ADDRESS": sdk_broker.url, "CAMUNDA_AUTH_STRATEGY": "NONE"}
        with Client(configuration=config) as client:
            return [job.job_key for job in client.iterate_jobs(job_type="paged", page_size=PAGE)]

    assert await anyio.to_thread.run_sync(scenario) == list(reversed(jobs))
