"""``python -m sdk.worker --reload``: a real worker restarted by real file changes."""

from __future__ import annotations

import signal
import textwrap
from pathlib import Path

import pytest

from sdk.broker import RunningBroker
from sdk.client import AsyncClient
from sdk.models import JobKey, JobState
from sdk.testing import wait_until

from _support.jobs import events, in_state
from _support.processes import client_config, exit_code, worker_process


def handlers(version: int) -> str:
    """A handler module whose jobs say which version of it ran them."""
    return textwrap.dedent(
        f"""
        import anyio

        from sdk.worker import Worker

        worker = Worker()

        @worker.task("greet", timeout_ms=120_000)
        async def greet(delay_s: float = 0) -> dict[str, int]:
            await anyio.sleep(delay_s)
            return {{"version": {version}}}
        """
    )


pytestmark = [pytest.mark.anyio, pytest.mark.project("workers.greeting", handlers(1))]


async def version_of(client: AsyncClient, key: JobKey) -> int:
    """The version of the handler that completed job ``key`` (waits for it)."""
    job = await wait_until(lambda: in_state(client, key, JobState.COMPLETED), timeout_s=20)
    return int(job.variables["version"])


class TestReload:
    async def test_a_change_restarts_the_worker_after_its_running_job_finished(
        self, project: Path, sdk_broker: RunningBroker, sdk_client: AsyncClient
    ) -> None:
        args = ("--reload", "--name", "dev", "--grace-period", "20")
        with worker_process(project, *args, **client_config(sdk_broker.url)) as proc:
            assert await version_of(sdk_client, await sdk_client.create_job("greet")) == 1
            running = await sdk_client.create_job("greet", {"delay_s": 4})
            await wait_until(lambda: in_state(sdk_client, running, JobState.ACTIVATED))

            def changes() -> int:
                return proc.output().count("greeting.py changed")

            (project / "workers" / "greeting.py").write_text(handlers(22))
            await wait_until(lambda: changes() == 1, timeout_s=10)
            # a second save while it drains: still a drain, not a hand-back
            (project / "workers" / "greeting.py").write_text(handlers(23))
            await wait_until(lambda: changes() == 2, timeout_s=10)

            after = await sdk_client.create_job("greet")
            assert await version_of(sdk_client, after) == 23
            # the running job finished under the code it started with, once, before the restart
            assert await version_of(sdk_client, running) == 1
            job = await sdk_client.get_job(running)
            assert events(job) == [("CREATED", None), ("ACTIVATED", "dev"), ("COMPLETED", "dev")]
            proc.popen.send_signal(signal.SIGTERM)
            assert await exit_code(proc) == 0, proc.output()
        log = proc.output()
        assert "reload: greeting.py changed; restarting the worker" in log
        assert "1 running job(s) have 20s to finish" in log
        assert "Traceback" not in log

    async def test_a_module_that_no_longer_imports_waits_for_the_next_change(
        self, project: Path, sdk_broker: RunningBroker, sdk_client: AsyncClient
    ) -> None:
        module = project / "workers" / "greeting.py"
        with worker_process(project, "--reload", **client_config(sdk_broker.url)) as proc:
            assert await version_of(sdk_client, await sdk_client.create_job("greet")) == 1

            module.write_text(handlers(2) + "\nraise RuntimeError('half-written module')\n")

            await wait_until(lambda: "waiting for a change" in proc.output(), timeout_s=20)
            assert proc.popen.poll() is None  # still running, waiting
            log = proc.output()
            assert "cannot import handler module 'workers.greeting'" in log
            assert "RuntimeError: half-written module" in log
            waiting = await sdk_client.create_job("greet")

            module.write_text(handlers(3))

            assert await version_of(sdk_client, waiting) == 3  # no worker took it meanwhile
            job = await sdk_client.get_job(waiting)
            assert [e.event for e in job.history or []] == ["CREATED", "ACTIVATED", "COMPLETED"]
            proc.popen.send_signal(signal.SIGTERM)
            assert await exit_code(proc) == 0, proc.output()
