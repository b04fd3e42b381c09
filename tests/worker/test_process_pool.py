"""The process strategy's own pool: crashes, recycling, kill on cancel, start-up checks."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from sdk.client import AsyncClient
from sdk.errors import ConfigurationError
from sdk.models import Job, JobKey, JobState
from sdk.testing import running, wait_until
from sdk.worker import RetryPolicy, Worker

from .handlers import Unpicklable, double, exit_abruptly, segfault, whoami, write_pid_then_sleep

pytestmark = pytest.mark.anyio

NO_BACKOFF = RetryPolicy(initial_ms=0)


def process_worker(job_type: str, func: Any, **options: Any) -> Worker:
    worker = Worker("proc", request_timeout_ms=2_000, retry=NO_BACKOFF, grace_period_s=5)
    worker.task(job_type, strategy="process", **options)(func)
    return worker


async def all_ended(client: AsyncClient, keys: Sequence[JobKey]) -> list[Job] | None:
    jobs = [await client.get_job(k) for k in keys]
    ended = all(j.state in (JobState.COMPLETED, JobState.INCIDENT) for j in jobs)
    return jobs if ended else None


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class TestCrashes:
    async def test_a_crashed_child_fails_only_its_job_and_the_next_jobs_complete(
        self, sdk_client: AsyncClient
    ) -> None:
        # One slot, so every job goes through the same pool one after the other.
        worker = Worker("proc", request_timeout_ms=2_000, retry=NO_BACKOFF)
        worker.task("segv", strategy="process", max_jobs=1)(segfault)
        worker.task("exit", strategy="process", max_jobs=1)(exit_abruptly)
        worker.task("double", strategy="process", max_jobs=1)(double)
        crashes = [
            await sdk_client.create_job("segv", retries=1),
            await sdk_client.create_job("exit", retries=1),
        ]
        doubles = [await sdk_client.create_job("double", {"x": n}) for n in range(3)]
        async with running(worker, sdk_client):
            jobs = await wait_until(lambda: all_ended(sdk_client, crashes + doubles))
        segv, exit_ = jobs[:2]
        assert segv.state is exit_.state is JobState.INCIDENT
        assert (segv.error_message or "").startswith(
            "the child process running the handler died (killed by SIGSEGV) before it answered"
        )
        assert "died (exit code 3)" in (exit_.error_message or "")
        assert [j.variables.get("doubled") for j in jobs[2:]] == [0, 2, 4]

    async def test_a_crash_between_jobs_of_one_pool_is_recovered(
        self, sdk_client: AsyncClient
    ) -> None:
        worker = Worker("proc", request_timeout_ms=2_000, retry=NO_BACKOFF)
        worker.task("mixed", strategy="process", max_jobs=1)(_crash_or_double)
        keys = [
            await sdk_client.create_job("mixed", {"x": 1}),
            await sdk_client.create_job("mixed", {"x": -1}, retries=1),  # crashes
            await sdk_client.create_job("mixed", {"x": 2}),
        ]
        async with running(worker, sdk_client):
            jobs = await wait_until(lambda: all_ended(sdk_client, keys))
        assert [j.state for j in jobs] == [
            JobState.COMPLETED,
            JobState.INCIDENT,
            JobState.COMPLETED,
        ]
        assert [j.variables.get("doubled") for j in jobs] == [2, None, 4]


def _crash_or_double(x: int) -> dict[str, int]:
    if x < 0:
        os._exit(1)
    return double(x)


class TestRecycling:
    async def test_max_jobs_per_child_replaces_the_child(self, sdk_client: AsyncClient) -> None:
        worker = process_worker("whoami", whoami, max_jobs=1, max_jobs_per_child=2)
        keys = [await sdk_client.create_job("whoami") for _ in range(4)]
        async with running(worker, sdk_client):
            jobs = await wait_until(lambda: all_ended(sdk_client, keys))
        pids = [j.variables["pid"] for j in sorted(jobs, key=lambda j: j.updated_at)]
        assert sorted(Counter(pids).values()) == [2, 2], pids
        assert os.getpid() not in pids

    async def test_a_cancelled_job_kills_its_child(
        self, sdk_client: AsyncClient, tmp_path: Path
    ) -> None:
        pid_file = tmp_path / "pid"
        worker = process_worker("stuck", write_pid_then_sleep, max_jobs=1)
        worker.grace_period_s = 0  # stopping cancels the running job at once
        key = await sdk_client.create_job("stuck", {"pid_file": str(pid_file), "delay_s": 60})
        async with running(worker, sdk_client):
            pid = int(await wait_until(lambda: pid_file.exists() and pid_file.read_text()))
        assert not alive(pid), f"child {pid} still running after its job was cancelled"
        job = await sdk_client.get_job(key)
        assert (job.state, job.error_message) == (JobState.ACTIVATABLE, "worker shutting down")


class TestStartupChecks:
    async def test_an_unpicklable_handler_is_rejected_before_the_first_job(
        self, sdk_client: AsyncClient
    ) -> None:
        worker = process_worker("locked", Unpicklable().handle)
        with pytest.raises(ConfigurationError, match="cannot be sent to a child process"):
            worker.check()
        with pytest.raises(ConfigurationError, match=r"cannot pickle '_thread\.lock' object"):
            await worker.run(sdk_client)

    def test_max_jobs_per_child_needs_the_process_strategy(self) -> None:
        with pytest.raises(ConfigurationError, match="applies to the process strategy only"):
            Worker().task("t", strategy="thread", max_jobs_per_child=5)(double)
