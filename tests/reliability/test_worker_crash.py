"""A worker process killed with SIGKILL while it holds jobs loses none of them.

Nothing of the dead worker runs again: no shutdown hand-back, no report. Its jobs come back
when their lease ends, another worker process takes them, and every job ends COMPLETED exactly
once, counted in each job's history on the broker (not in logs).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from sdk.broker import RunningBroker
from sdk.client import AsyncClient
from sdk.models import Job, JobKey, JobState
from sdk.testing import client_for, wait_until

from ._processes import worker_process

pytestmark = pytest.mark.anyio

JOB_TYPE = "crash-test"
LEASE_MS = 3_000
SLOTS = 4
JOBS = 10
WAIT_S = 45.0
"""Two interpreters start, and a lease runs out, on a machine others share: be generous."""

HANDLERS = textwrap.dedent(
    f"""
    import os

    import anyio

    from sdk.worker import Worker

    worker = Worker(timeout_ms={LEASE_MS}, request_timeout_ms=1_000)
    HOLD = os.environ.get("HOLD_JOBS") == "1"


    @worker.task({JOB_TYPE!r}, max_jobs={SLOTS})
    async def double(n: int) -> dict[str, int]:
        if HOLD:  # the worker about to be killed: keep every job it takes
            await anyio.sleep_forever()
        return {{"doubled": 2 * n}}
    """
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "crash_handlers.py").write_text(HANDLERS)
    return tmp_path


async def held_by(client: AsyncClient, worker: str) -> list[Job]:
    page = await client.search_jobs(job_type=JOB_TYPE, state=JobState.ACTIVATED, limit=100)
    return [job for job in page.items if job.worker == worker]


async def all_completed(client: AsyncClient, keys: list[JobKey]) -> list[Job] | None:
    jobs = [await client.get_job(key) for key in keys]
    return jobs if all(job.state is JobState.COMPLETED for job in jobs) else None


class TestWorkerKilled:
    async def test_jobs_it_held_are_completed_exactly_once_by_another_worker(
        self, file_broker: RunningBroker, project: Path
    ) -> None:
        async with client_for(file_broker) as client:
            keys = [await client.create_job(JOB_TYPE, {"n": n}) for n in range(JOBS)]

            with worker_process(
                "crash_handlers", "doomed", file_broker.url, project, HOLD_JOBS="1"
            ) as doomed:

                async def holding_all_slots() -> list[Job] | None:
                    assert doomed.popen.poll() is None, doomed.output()
                    jobs = await held_by(client, "doomed")
                    return jobs if len(jobs) == SLOTS else None

                held = await wait_until(holding_all_slots, timeout_s=WAIT_S)
                doomed.kill()
            deadlines = {job.job_key: job.deadline for job in held}

            with worker_process("crash_handlers", "rescuer", file_broker.url, project) as rescuer:
                jobs = await wait_until(
                    lambda: all_completed(client, keys), timeout_s=WAIT_S, interval_s=0.1
                )
                assert rescuer.popen.poll() is None, rescuer.output()

        for n, job in enumerate(jobs):
            history = job.history or []
            completions = [e for e in history if e.event == "COMPLETED"]
            assert len(completions) == 1, history
            assert completions[0].worker == "rescuer"
            assert job.variables == {"n": n, "doubled": 2 * n}
            if job.job_key in deadlines:  # held by the dead worker: back only after its lease
                assert [e.worker for e in history if e.event == "TIMED_OUT"] == ["doomed"]
                rescued = [e for e in history if e.event == "ACTIVATED" and e.worker == "rescuer"]
                deadline = deadlines[job.job_key]
                assert deadline is not None
                assert len(rescued) == 1
                assert rescued[0].at >= deadline
            else:
                assert [e.event for e in history] == ["CREATED", "ACTIVATED", "COMPLETED"]
