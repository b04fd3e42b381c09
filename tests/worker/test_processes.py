"""``python -m sdk.worker --processes 2``: a supervisor and its worker processes, for real."""

from __future__ import annotations

import os
import re
import signal
import textwrap
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from sdk.broker import RunningBroker, serve
from sdk.client import AsyncClient
from sdk.models import Job, JobKey, JobSpec, JobState
from sdk.testing import wait_until

from _support.jobs import in_state
from _support.ports import free_port
from _support.processes import client_config, exit_code, worker_process

LEASE_MS = 120_000
"""Far longer than any test here: a job that moves on did so because it was handed back."""

# max_jobs=1: a process holding a job has no poll open for its type, so the other one takes
# the next job, and a job handed back is not taken by the process that handed it back.
HANDLERS = textwrap.dedent(
    f"""
    import os
    import time

    import anyio

    from sdk.worker import Worker

    worker = Worker()

    @worker.task("pid", timeout_ms={LEASE_MS}, max_jobs=1)
    async def pid(delay_s: float = 0) -> dict[str, int]:
        await anyio.sleep(delay_s)
        return {{"pid": os.getpid()}}

    @worker.task("block", timeout_ms={LEASE_MS}, max_jobs=1)
    async def block() -> None:
        time.sleep(120)  # blocks the event loop: this process cannot even take a signal
    """
)

pytestmark = [pytest.mark.anyio, pytest.mark.project("workers.pids", HANDLERS)]

STARTED = re.compile(r"worker process (\d+) started \(pid (\d+), ([\w.-]+)\)")


def started(log: str) -> list[tuple[int, int, str]]:
    """``(index, pid, name)`` of every worker process the supervisor started, in order."""
    return [(int(i), int(pid), name) for i, pid, name in STARTED.findall(log)]


async def all_completed(client: AsyncClient, keys: list[JobKey]) -> list[Job] | None:
    jobs = [await client.get_job(key) for key in keys]
    return jobs if all(job.state is JobState.COMPLETED for job in jobs) else None


async def activated(client: AsyncClient) -> list[Job]:
    return (await client.search_jobs(state=JobState.ACTIVATED, limit=1000)).items


def metric(text: str, name: str, **labels: str) -> float | None:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return None


@asynccontextmanager
async def broker_on(db: Path) -> AsyncIterator[AsyncClient]:
    """A broker over the file a finished group's embedded broker wrote, and a client of it."""
    async with anyio.create_task_group() as tg:
        broker: RunningBroker = await tg.start(serve, db, "127.0.0.1", 0)
        async with AsyncClient(configuration=client_config(broker.url)) as client:
            yield client
        tg.cancel_scope.cancel()


class TestGroup:
    async def test_two_processes_share_the_jobs_of_one_embedded_broker_and_one_endpoint(
        self, project: Path
    ) -> None:
        port, http_port, db = free_port(), free_port(), project / "jobs.sqlite3"
        args = ["--processes", "2", "--name", "grp", "--grace-period", "20"]
        args += ["--broker-port", str(port), "--db", str(db), "--http-port", str(http_port)]
        address = {
            "CAMUNDA_REST_ADDRESS": f"http://127.0.0.1:{port}",
            "CAMUNDA_AUTH_STRATEGY": "NONE",
        }
        endpoint = f"http://127.0.0.1:{http_port}"
        with worker_process(project, *args) as proc:
            async with AsyncClient(configuration=address) as client, httpx.AsyncClient() as http:

                async def ready() -> bool:
                    assert proc.popen.poll() is None, proc.output()
                    try:
                        return (await http.get(f"{endpoint}/readyz")).status_code == 200
                    except httpx.TransportError:
                        return False

                await wait_until(ready, timeout_s=30, message="both worker processes ready")
                assert (await http.get(f"{endpoint}/readyz")).json() == {
                    "ready": True,
                    "reason": "2 worker processes ready",
                }
                health = (await http.get(f"{endpoint}/healthz")).json()
                assert (health["status"], health["worker"]) == ("alive", "grp")

                keys = await client.create_jobs(
                    [JobSpec(type="pid", variables={"delay_s": 0.2})] * 8
                )
                jobs = await wait_until(lambda: all_completed(client, keys), timeout_s=20)
                pids = {job.variables["pid"] for job in jobs}
                assert len(pids) == 2 and proc.popen.pid not in pids, pids
                assert {job.worker for job in jobs} == {"grp-0", "grp-1"}

                async def summed(name: str) -> float | None:
                    text = (await http.get(f"{endpoint}/metrics")).text
                    value = metric(text, name, job_type="pid")
                    return value if value == 8 else None

                await wait_until(lambda: summed("sdk_worker_jobs_completed_total"), timeout_s=10)
                await wait_until(lambda: summed("sdk_worker_jobs_activated_total"), timeout_s=10)
                text = (await http.get(f"{endpoint}/metrics")).text
                assert metric(text, "sdk_worker_processes") == 2
                assert metric(text, "sdk_worker_process_restarts_total") == 0

                (running,) = await client.create_jobs(
                    [JobSpec(type="pid", variables={"delay_s": 2})]
                )
                await wait_until(lambda: in_state(client, running, JobState.ACTIVATED))
                proc.popen.send_signal(signal.SIGTERM)
                await wait_until(lambda: "stopping 2 worker process(es)" in proc.output())
                assert (await http.get(f"{endpoint}/readyz")).status_code == 503
            assert await exit_code(proc) == 0, proc.output()
        log = proc.output()
        assert len(re.findall(r"broker: serving http://", log)) == 1, log  # in the supervisor
        assert sorted(started(log))[0][2] == "grp-0" and len(started(log)) == 2, log
        assert "Traceback" not in log
        async with broker_on(db) as client:
            assert await activated(client) == []
            job = await client.get_job(running)  # drained: it finished, it was not handed back
            assert job.state is JobState.COMPLETED
            checked = "TIMEOUT_UPDATED"  # its lease is checked each second while it runs
            history = [e.event for e in job.history or [] if e.event != checked]
            assert history == ["CREATED", "ACTIVATED", "COMPLETED"]

    async def test_a_killed_process_is_restarted_after_a_back_off_and_its_job_handed_back(
        self, project: Path, sdk_broker: RunningBroker, sdk_client: AsyncClient
    ) -> None:
        args = ("--processes", "2", "--name", "grp", "--grace-period", "1")
        with worker_process(project, *args, **client_config(sdk_broker.url)) as proc:
            key = await sdk_client.create_job("pid", {"delay_s": 60})
            job = await wait_until(lambda: in_state(sdk_client, key, JobState.ACTIVATED))
            index, pid, name = next(s for s in started(proc.output()) if s[2] == job.worker)

            os.kill(pid, signal.SIGKILL)

            def restarted() -> int | None:
                again = [p for i, p, _ in started(proc.output()) if i == index and p != pid]
                return again[0] if again else None

            new_pid = await wait_until(restarted, timeout_s=20, message="a new process")
            log = proc.output()
            assert f"worker process {index} died (killed by SIGKILL) after" in log
            assert "restarting in 0.5s" in log
            history = (await sdk_client.get_job(key)).history or []
            failed = [(e.worker, e.retries, e.message) for e in history if e.event == "FAILED"]
            assert failed == [(name, 2, f"worker process {name} died (killed by SIGKILL)")]
            assert "handed back 1 job(s) it held (retries - 1)" in log

            keys = await sdk_client.create_jobs([JobSpec(type="pid")] * 3)  # the work goes on
            jobs = await wait_until(lambda: all_completed(sdk_client, keys), timeout_s=20)
            assert pid not in {j.variables["pid"] for j in jobs} and new_pid != pid

            proc.popen.send_signal(signal.SIGTERM)
            assert await exit_code(proc) == 0, proc.output()
        assert await activated(sdk_client) == []
        job = await sdk_client.get_job(key)  # re-run after the kill, handed back at the drain
        assert (job.state, job.retries, job.error_message) == (
            JobState.ACTIVATABLE,
            2,
            "worker shutting down",
        )

    async def test_a_process_hung_past_its_grace_period_is_killed_and_its_job_handed_back(
        self, project: Path, sdk_broker: RunningBroker, sdk_client: AsyncClient
    ) -> None:
        args = ("--processes", "2", "--name", "grp", "--grace-period", "1")
        with worker_process(project, *args, **client_config(sdk_broker.url)) as proc:
            key = await sdk_client.create_job("block")
            job = await wait_until(lambda: in_state(sdk_client, key, JobState.ACTIVATED))
            proc.popen.send_signal(signal.SIGTERM)
            assert await exit_code(proc, timeout_s=25) == 0, proc.output()
        log = proc.output()
        (index,) = [i for i, _, name in started(log) if name == job.worker]
        assert re.search(
            rf"worker process {index} \(pid \d+\) still running 11s after SIGTERM", log
        )
        assert f"worker process {job.worker} was killed: it outlived its drain" in log
        assert await activated(sdk_client) == []
        job = await sdk_client.get_job(key)
        assert (job.state, job.retries, job.error_message) == (
            JobState.ACTIVATABLE,
            3,  # unchanged, as a worker hands back its own running jobs at shutdown
            f"worker process {job.worker} was killed: it outlived its drain",
        )

    async def test_processes_of_a_killed_supervisor_drain_by_themselves(
        self, project: Path, sdk_broker: RunningBroker, sdk_client: AsyncClient
    ) -> None:
        args = ("--processes", "2", "--name", "grp", "--grace-period", "20")
        with worker_process(project, *args, **client_config(sdk_broker.url)) as proc:
            key = await sdk_client.create_job("pid", {"delay_s": 2})
            await wait_until(lambda: in_state(sdk_client, key, JobState.ACTIVATED))
            children = [pid for _, pid, _ in started(proc.output())]

            proc.popen.kill()  # SIGKILL: the supervisor forwards nothing

            assert await exit_code(proc) == -signal.SIGKILL

            def all_gone() -> bool:
                return not any(Path(f"/proc/{pid}").exists() for pid in children)

            await wait_until(all_gone, timeout_s=20, message="the orphaned processes exited")
        job = await sdk_client.get_job(key)
        assert job.state is JobState.COMPLETED  # drained, not abandoned
        assert await activated(sdk_client) == []


class TestStartup:
    async def test_a_process_that_cannot_start_stops_the_group_with_its_message(
        self, project: Path, sdk_broker: RunningBroker
    ) -> None:
        # imports once (the supervisor's check), then fails in every worker process
        claim = project / "claimed"
        (project / "claims.py").write_text(f"open({str(claim)!r}, 'x').close()\n" + HANDLERS)
        with worker_process(
            project, "claims", "--processes", "2", **client_config(sdk_broker.url)
        ) as proc:
            assert await exit_code(proc) == 2, proc.output()
        log = proc.output()
        assert "cannot import handler module 'claims': FileExistsError" in log
        assert "could not start; stopping" in log
