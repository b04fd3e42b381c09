"""The example handlers in workers/ do what the README says, each on its strategy."""

from __future__ import annotations

from typing import Any

import pytest

from sdk.client import AsyncClient
from sdk.models import Job, JobKey, JobState
from sdk.testing import running, wait_until
from sdk.worker import Strategy, Worker
from workers import greetings, invoices, primes

pytestmark = pytest.mark.anyio


@pytest.fixture
def examples() -> Worker:
    worker = Worker("examples", request_timeout_ms=2_000)
    worker.include(greetings.worker)
    worker.include(primes.worker)
    worker.add_handler(invoices.InvoiceTotal)
    return worker


async def finished(client: AsyncClient, key: JobKey) -> Job | None:
    job = await client.get_job(key)
    return None if job.state in {JobState.ACTIVATABLE, JobState.ACTIVATED} else job


async def run(worker: Worker, client: AsyncClient, job_type: str, variables: dict[str, Any]) -> Job:
    key = await client.create_job(job_type, variables, retries=1)
    async with running(worker, client):
        return await wait_until(lambda: finished(client, key))


def test_each_example_uses_the_strategy_the_readme_names(examples: Worker) -> None:
    strategies = {t.job_type: t.strategy for t in examples.tasks.values()}
    assert strategies == {
        "greet": Strategy.ASYNC,
        "invoice-total": Strategy.THREAD,
        "count-primes": Strategy.PROCESS,
    }


async def test_greet(examples: Worker, sdk_client: AsyncClient) -> None:
    job = await run(examples, sdk_client, "greet", {"name": "Ada"})
    assert (job.state, job.variables["greeting"]) == (JobState.COMPLETED, "Hello, Ada!")


async def test_invoice_total(examples: Worker, sdk_client: AsyncClient) -> None:
    lines = [{"price": 2.5, "quantity": 2}, {"price": 1.25}]
    job = await run(examples, sdk_client, "invoice-total", {"items": lines})
    assert job.state is JobState.COMPLETED
    assert (job.variables["total"], job.variables["currency"]) == (6.25, "EUR")


async def test_empty_invoice_throws_a_business_error(
    examples: Worker, sdk_client: AsyncClient
) -> None:
    job = await run(examples, sdk_client, "invoice-total", {"items": []})
    assert (job.state, job.error_code) == (JobState.ERROR_THROWN, "EMPTY_INVOICE")


async def test_count_primes_in_a_child_process(examples: Worker, sdk_client: AsyncClient) -> None:
    job = await run(examples, sdk_client, "count-primes", {"limit": 100_000})
    assert (job.state, job.variables["primes"]) == (JobState.COMPLETED, 9592)
