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
from sdk.models import MAX_SEARCH_LIMIT, Job, JobSpec, JobState
from sdk.testing import client_for, wait_until

from _support.processes import client_config, worker_process

JOB_TYPE = "crash-test"
LEASE_MS = 3_000
WAIT_S = 45.0
"""Two interpreters start, and a lease runs out, on a machine others share: be generous."""

HANDLERS = textwrap.dedent(
    f"""
    import os

    import anyio

    from sdk.worker import Worker

    worker = Worker(timeout_ms={LEASE_MS}, request_timeout_ms=1_000)
    HOLD = os.environ.get("HOLD_JOBS") == "1"


    @worker.task({JOB_TYPE!r}, max_jobs=int(os.environ["SLOTS"]))
    async def double(n: int) -> dict[str, int]:
        if HOLD:  # the worker about to be killed: keep every job it takes
            await anyio.sleep_forever()
        return {{"doubled": 2 * n}}
    """
)

pytestmark = [pytest.mark.anyio, pytest.mark.project("crash_handlers", HANDLERS)]


async def held_by(client: AsyncClient, worker: str) -> list[Job]:
    page = await client.search_jobs(
        job_type=JOB_TYPE, state=JobState.ACTIVATED, limit=MAX_SEARCH_LIMIT
    )
    return [job for job in page.items if job.worker == worker]


async def all_completed(client: AsyncClient) -> bool:
    for state in (JobState.ACTIVATABLE, JobState.ACTIVATED):
        if (await client.search_jobs(job_type=JOB_TYPE, state=state, limit=1)).items:
            return False
    return True


class TestWorkerKilled:
    @pytest.mark.parametrize(
        ("jobs_count", "slots"),
        [(10, 4), pytest.param(1_000, 200, marks=[pytest.mark.slow, pytest.mark.timeout(300)])],
    )
    async def test_jobs_it_held_are_completed_exactly_once_by_another_worker(
        self, file_broker: RunningBroker, project: Path, jobs_count: int, slots: int
    ) -> None:
        async with client_for(file_broker) as client:
            specs = [JobSpec(type=JOB_TYPE, variables={"n": n}) for n in range(jobs_count)]
            keys = await client.create_jobs(specs)

            with worker_process(
                project,
                "crash_handlers",
                "--name",
                "doomed",
                HOLD_JOBS="1",
                SLOTS=str(slots),
                **client_config(file_broker.url),
            ) as doomed:

                async def holding_all_slots() -> list[Job] | None:
                    assert doomed.popen.poll() is None, doomed.output()
                    jobs = await held_by(client, "doomed")
                    return jobs if len(jobs) == slots else None

                held = await wait_until(holding_all_slots, timeout_s=WAIT_S)
                doomed.kill()
            deadlines = {job.job_key: job.deadline for job in held}

            with worker_process(
                project,
                "crash_handlers",
                "--name",
                "rescuer",
                SLOTS=str(slots),
                **client_config(file_broker.url),
            ) as rescuer:
                await wait_until(lambda: all_completed(client), timeout_s=WAIT_S, interval_s=0.1)
                assert rescuer.popen.poll() is None, rescuer.output()
            jobs = [await client.get_job(key) for key in keys]

        for n, job in enumerate(jobs):
            history = job.history or []
            completions = [e for e in history if e.event == "COMPLETED"]
            assert len(completions) == 1, history
            assert completions[0].worker == "rescuer"
            assert job.variables == {"n": n, "doubled": 2 * n}
            if job.job_key in deadlines:  # held by the dead worker: back only after its lease
                timed_out = [e.worker for e in history if e.event == "TIMED_OUT"]
                assert timed_out and set(timed_out) == {"doomed"}
                rescued = [e for e in history if e.event == "ACTIVATED" and e.worker == "rescuer"]
                deadline = deadlines[job.job_key]
                assert deadline is not None
                assert len(rescued) == 1
                assert rescued[0].at >= deadline
            else:
                assert [e.event for e in history] == ["CREATED", "ACTIVATED", "COMPLETED"]
