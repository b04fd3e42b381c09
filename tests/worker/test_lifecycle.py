"""Shutdown of ``python -m sdk.worker`` on signals, and its JSON logs: real subprocesses."""

from __future__ import annotations

import json
import signal
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from sdk.broker import RunningBroker
from sdk.client import AsyncClient
from sdk.models import JobKey, JobState
from sdk.testing import running, wait_until
from sdk.worker import Worker

from .handlers import stamp
from _support.jobs import events, in_state
from _support.processes import client_config, exit_code, worker_process

LEASE_MS = 120_000
"""Far longer than any test here: a job that moves on did so because it was handed back."""

# max_jobs=1: while its one job runs, a type has no long poll in flight. A poll cancelled at
# shutdown stays open on the embedded broker until its requestTimeout (it does not watch for
# the client going away), so it could take the job handed back a moment later.

HANDLERS = textwrap.dedent(
    f"""
    import time

    import anyio

    from sdk.worker import JobContext, Worker

    worker = Worker()

    @worker.task("slow", timeout_ms={LEASE_MS}, max_jobs=1)
    async def slow(job: JobContext, delay_s: float) -> dict[str, float]:
        job.logger.info("working for {{}}s", delay_s)
        await anyio.sleep(delay_s)
        return {{"slept": delay_s}}

    @worker.task("stuck", timeout_ms={LEASE_MS}, max_jobs=1)
    def stuck(delay_s: float) -> dict[str, float]:  # a thread: it cannot be interrupted
        time.sleep(delay_s)
        return {{"slept": delay_s}}
    """
)

pytestmark = [pytest.mark.anyio, pytest.mark.project("workers.lifecycle", HANDLERS)]


async def held_by(client: AsyncClient, key: JobKey, worker: str) -> bool:
    job = await client.get_job(key)
    return job.state is JobState.ACTIVATED and job.worker == worker


class TestSignals:
    async def test_sigterm_lets_a_running_job_finish_and_exits_0(
        self, project: Path, sdk_broker: RunningBroker, sdk_client: AsyncClient
    ) -> None:
        key = await sdk_client.create_job("slow", {"delay_s": 1.5})
        args = ("--name", "sub", "--grace-period", "20")
        with worker_process(project, *args, **client_config(sdk_broker.url)) as proc:
            await wait_until(lambda: held_by(sdk_client, key, "sub"), timeout_s=20)
            proc.popen.send_signal(signal.SIGTERM)
            assert await exit_code(proc) == 0, proc.output()
        job = await sdk_client.get_job(key)
        assert (job.state, job.variables["slept"]) == (JobState.COMPLETED, 1.5)
        assert events(job) == [("CREATED", None), ("ACTIVATED", "sub"), ("COMPLETED", "sub")]
        log = proc.output()
        assert "SIGTERM received: finishing running jobs" in log
        assert "1 running job(s) have 20s to finish" in log
        assert "worker sub stopped" in log
        assert "Traceback" not in log

    async def test_a_job_outliving_the_grace_period_is_handed_back_to_another_worker(
        self, project: Path, sdk_broker: RunningBroker, sdk_client: AsyncClient
    ) -> None:
        key = await sdk_client.create_job("stuck", {"delay_s": 60})
        rescuer = Worker("rescuer", request_timeout_ms=1_000)
        rescuer.task("stuck")(stamp)
        args = ("--name", "sub", "--grace-period", "1")
        with worker_process(project, *args, **client_config(sdk_broker.url)) as proc:
            await wait_until(lambda: held_by(sdk_client, key, "sub"), timeout_s=20)
            async with running(rescuer, sdk_client):  # polls the same type meanwhile
                signalled = time.monotonic()
                proc.popen.send_signal(signal.SIGTERM)
                await wait_until(lambda: in_state(sdk_client, key, JobState.COMPLETED))
                took_s = time.monotonic() - signalled
            # The thread handler still sleeps: the process exits without waiting for it.
            assert await exit_code(proc, timeout_s=15) == 0, proc.output()
        assert took_s < 10 < LEASE_MS / 1000
        job = await sdk_client.get_job(key)
        assert job.variables["by"] == "rescuer"
        failed = [e for e in job.history or [] if e.event == "FAILED"]
        assert [(e.worker, e.retries, e.message) for e in failed] == [
            ("sub", 3, "worker shutting down")
        ]
        assert events(job)[-2:] == [("ACTIVATED", "rescuer"), ("COMPLETED", "rescuer")]
        log = proc.output()
        assert "grace period of 1s over, handing back 1 job(s)" in log
        assert "thread(s) still running; exiting without waiting" in log

    async def test_a_second_signal_hands_back_at_once(
        self, project: Path, sdk_broker: RunningBroker, sdk_client: AsyncClient
    ) -> None:
        key = await sdk_client.create_job("slow", {"delay_s": 60})
        args = ("--name", "sub", "--grace-period", "60")
        with worker_process(project, *args, **client_config(sdk_broker.url)) as proc:
            await wait_until(lambda: held_by(sdk_client, key, "sub"), timeout_s=20)
            proc.popen.send_signal(signal.SIGINT)
            await wait_until(lambda: "have 60s to finish" in proc.output())
            proc.popen.send_signal(signal.SIGINT)
            assert await exit_code(proc, timeout_s=10) == 0, proc.output()
        job = await sdk_client.get_job(key)
        assert (job.state, job.retries, job.error_message) == (
            JobState.ACTIVATABLE,
            3,
            "worker shutting down",
        )
        assert "SIGINT received again: handing back running jobs" in proc.output()


class TestJsonLogs:
    async def test_every_line_parses_and_job_lines_carry_key_type_and_worker(
        self, project: Path, sdk_broker: RunningBroker, sdk_client: AsyncClient
    ) -> None:
        key = await sdk_client.create_job("slow", {"delay_s": 0})
        args = ("--name", "sub", "--log-format", "json")
        with worker_process(project, *args, **client_config(sdk_broker.url)) as proc:
            await wait_until(lambda: in_state(sdk_client, key, JobState.COMPLETED), timeout_s=20)
            proc.popen.send_signal(signal.SIGTERM)
            assert await exit_code(proc) == 0, proc.output()
        lines: list[dict[str, Any]] = [json.loads(line) for line in proc.output().splitlines()]
        assert all({"time", "level", "message"} <= line.keys() for line in lines)
        job_lines = [line for line in lines if line.get("job_key") == key]
        assert {line["message"].split()[0] for line in job_lines} >= {"working", "✓"}
        for line in job_lines:
            assert (line["job_type"], line["worker"]) == ("slow", "sub"), line
