"""The broker process killed with SIGKILL under load, and restarted on the same file and port.

While clients create jobs and a worker completes them, the broker dies without any chance
to clean up. After it restarts on the same SQLite file:

- every job whose creation was acknowledged (the create call returned its key) exists;
- no job whose completion was acknowledged (the complete call returned) is handed out again;
- the worker, never restarted, reconnects by itself and finishes every job left.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import anyio
import pytest

from sdk.client import AsyncClient
from sdk.models import (
    MAX_SEARCH_LIMIT,
    Capabilities,
    Job,
    JobKey,
    JobReport,
    JobReportResult,
    JobState,
    ReportKind,
)
from sdk.testing import running, wait_until
from sdk.worker import JobContext, Worker

from ._availability import Availability
from ._reporting import BOTH, Reporting
from _support.ports import free_port
from _support.processes import broker_process, client_config, wait_reachable

pytestmark = pytest.mark.anyio

JOB_TYPE = "durable"
CREATORS = 3
LEASE_MS = 3_000
CREATED_BEFORE_CRASH = 150
COMPLETED_BEFORE_CRASH = 60
CREATED_AFTER_RESTART = 60
WAIT_S = 45.0


@dataclass
class Ledger:
    """What the broker acknowledged to its clients, and what the worker was handed."""

    created: set[JobKey] = field(default_factory=set)
    completed: set[JobKey] = field(default_factory=set)
    handled: list[JobKey] = field(default_factory=list)
    handed_out_after_completion: list[JobKey] = field(default_factory=list)
    failed_creations: int = 0
    single_reports: int = 0
    batches: int = 0

    def reached(self, created: int, completed: int) -> bool:
        return len(self.created) >= created and len(self.completed) >= completed


class AcknowledgingClient(AsyncClient):
    """Notes each completion the broker acknowledged: the call returned without an error (per
    job), or its batch came back with 204 for it."""

    def __init__(
        self, ledger: Ledger, configuration: Mapping[str, Any], reporting: Reporting
    ) -> None:
        super().__init__(configuration=configuration)
        self.ledger = ledger
        self.reporting = reporting

    async def capabilities(self) -> Capabilities | None:
        if self.reporting.per_job:
            return None  # as a Camunda cluster: the worker reports per job
        return await super().capabilities()

    async def report_jobs_json(self, reports: Sequence[bytes]) -> list[JobReportResult]:
        """What the worker sends: each report serialised once, as a ``JobReport``."""
        results = await super().report_jobs_json(reports)
        self.ledger.batches += 1
        for raw, result in zip(reports, results, strict=True):
            report = JobReport.model_validate_json(raw)
            if report.kind is ReportKind.COMPLETE and result.status == 204:
                self.ledger.completed.add(report.job_key)
        return results

    async def complete_job(
        self,
        job_key: JobKey | str | int,
        variables: Mapping[str, Any] | None = None,
        *,
        lease_token: str | None = None,
    ) -> None:
        await super().complete_job(job_key, variables, lease_token=lease_token)
        self.ledger.single_reports += 1
        self.ledger.completed.add(JobKey(str(job_key)))


def make_worker(ledger: Ledger) -> Worker:
    worker = Worker("survivor", timeout_ms=LEASE_MS, request_timeout_ms=1_000)

    @worker.task(JOB_TYPE, max_jobs=8)
    async def work(job: JobContext, n: int) -> dict[str, int]:
        if job.job_key in ledger.completed:
            ledger.handed_out_after_completion.append(job.job_key)
        ledger.handled.append(job.job_key)
        return {"done": n}

    return worker


async def create_jobs(
    client: AsyncClient, ledger: Ledger, stop: anyio.Event, broker: Availability
) -> None:
    """Create jobs one by one until ``stop``; while the broker is down, wait for its return."""
    n = 0
    while not stop.is_set():
        key = await broker.create(partial(client.create_job, JOB_TYPE, {"n": n}))
        if key is None:
            ledger.failed_creations += 1
            continue
        ledger.created.add(key)
        n += 1


async def all_jobs(client: AsyncClient) -> dict[JobKey, Job]:
    """Every job of the test's type, by key (states only, no history: one request a page)."""
    jobs: dict[JobKey, Job] = {}
    after: str | None = None
    while True:
        page = await client.search_jobs(job_type=JOB_TYPE, limit=MAX_SEARCH_LIMIT, after=after)
        jobs.update((job.job_key, job) for job in page.items)
        if page.next_cursor is None:
            return jobs
        after = page.next_cursor


async def none_left(client: AsyncClient) -> bool:
    for state in (JobState.ACTIVATABLE, JobState.ACTIVATED):
        if (await client.search_jobs(job_type=JOB_TYPE, state=state, limit=1)).items:
            return False
    return True


class TestBrokerKilled:
    @pytest.mark.parametrize("reporting", BOTH, ids=str)
    @pytest.mark.parametrize(
        "crashes", [1, pytest.param(5, marks=[pytest.mark.slow, pytest.mark.timeout(300)])]
    )
    async def test_acknowledged_jobs_survive_and_the_worker_finishes_the_rest(
        self, tmp_path: Path, crashes: int, reporting: Reporting
    ) -> None:
        db, port = tmp_path / "jobs.sqlite3", free_port()
        config = client_config(f"http://127.0.0.1:{port}")
        ledger, broker, stop = Ledger(), Availability(), anyio.Event()

        with ExitStack() as brokers:
            process = brokers.enter_context(broker_process(db, port))
            async with AsyncClient(configuration=config) as client:
                await wait_reachable(client, process)
            # No client-level retries for the creators: every creation the crash interrupts,
            # or that is tried while the broker is down, must surface here to be counted.
            creators_config = {**config, "SDK_HTTP_RETRIES": "0"}
            async with (
                AsyncClient(configuration=creators_config) as client,
                AcknowledgingClient(ledger, config, reporting) as worker_client,
                running(make_worker(ledger), worker_client),
            ):
                async with anyio.create_task_group() as creators:
                    for _ in range(CREATORS):
                        creators.start_soon(create_jobs, client, ledger, stop, broker)
                    for _ in range(crashes):
                        created_target = len(ledger.created) + CREATED_BEFORE_CRASH
                        completed_target = len(ledger.completed) + COMPLETED_BEFORE_CRASH
                        await wait_until(
                            partial(ledger.reached, created_target, completed_target),
                            timeout_s=WAIT_S,
                        )
                        broker.down()
                        process.kill()  # under load: creations and completions are in flight
                        created, completed = set(ledger.created), set(ledger.completed)

                        process = brokers.enter_context(broker_process(db, port))
                        await wait_reachable(client, process)
                        broker.up()
                        stored = await all_jobs(client)
                        assert created <= stored.keys()
                        assert all(stored[key].state is JobState.COMPLETED for key in completed)

                    target = len(ledger.created) + CREATED_AFTER_RESTART
                    await wait_until(lambda: len(ledger.created) >= target, timeout_s=WAIT_S)
                    stop.set()
                await wait_until(lambda: none_left(client), timeout_s=WAIT_S, interval_s=0.1)
            async with AsyncClient(configuration=config) as client:
                jobs = [await client.get_job(key) for key in sorted(ledger.created)]

        assert ledger.failed_creations >= crashes  # each crash hit requests in flight
        used, unused = (
            (ledger.single_reports, ledger.batches)
            if reporting.per_job
            else (ledger.batches, ledger.single_reports)
        )
        assert used > 0 and unused == 0  # the reporting path under test is the one taken
        assert ledger.handed_out_after_completion == []
        for job in jobs:
            assert job.state is JobState.COMPLETED
            assert [e.event for e in job.history or []].count("COMPLETED") == 1
            assert job.variables["done"] == job.variables["n"]
