"""``python -m sdk.worker`` as users run it: a subprocess on the embedded default."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sdk.client import AsyncClient
from sdk.errors import ServerUnreachableError
from sdk.models import JobState
from sdk.testing import wait_until

from _support.ports import free_port
from _support.processes import clean_env, exit_code, worker_process

HANDLERS = textwrap.dedent(
    """
    from sdk.worker import Worker

    worker = Worker()

    @worker.task("shout")
    async def shout(word: str) -> dict[str, str]:
        return {"shouted": word.upper()}
    """
)

pytestmark = [pytest.mark.anyio, pytest.mark.project("workers.shouting", HANDLERS)]
"""Each test's ``project``: a user's folder with a ``workers/`` package of one handler module."""


async def reachable(client: AsyncClient) -> bool:
    try:
        await client.topology()
    except ServerUnreachableError:
        return False
    return True


class TestEmbeddedDefault:
    async def test_processes_jobs_from_another_process_and_exits_0_on_sigint(
        self, project: Path
    ) -> None:
        port = free_port()
        address = f"http://127.0.0.1:{port}"
        config = {"CAMUNDA_REST_ADDRESS": address, "CAMUNDA_AUTH_STRATEGY": "NONE"}
        with worker_process(project, "--broker-port", str(port)) as worker:
            async with AsyncClient(configuration=config) as client:
                await wait_until(
                    lambda: reachable(client), timeout_s=20, message="embedded broker up"
                )
                keys = [await client.create_job("shout", {"word": w}) for w in ("hi", "there")]

                async def all_completed() -> bool:
                    jobs = [await client.get_job(k) for k in keys]
                    return all(j.state is JobState.COMPLETED for j in jobs)

                await wait_until(all_completed, timeout_s=20)
                shouted = [(await client.get_job(k)).variables["shouted"] for k in keys]
                assert shouted == ["HI", "THERE"]
            worker.popen.send_signal(signal.SIGINT)
            code = await exit_code(worker, timeout_s=20)
        output = worker.output()
        assert code == 0, output
        assert f"embedded broker at http://127.0.0.1:{port}/v2" in output
        assert "Traceback" not in output


class TestStartupErrors:
    def run_worker(self, project: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "sdk.worker", "--broker-port", str(free_port()), *args],
            cwd=project,
            env=clean_env(project, **env),
            capture_output=True,
            text=True,
            timeout=30,
        )

    def test_module_that_does_not_import_is_a_clear_error(self, project: Path) -> None:
        (project / "broken.py").write_text("import no_such_dependency\n")
        result = self.run_worker(project, "broken")
        assert result.returncode == 2
        assert "cannot import handler module 'broken'" in result.stderr
        assert "ModuleNotFoundError: No module named 'no_such_dependency'" in result.stderr

    def test_module_that_registers_nothing_is_a_clear_error(self, project: Path) -> None:
        (project / "empty.py").write_text("VALUE = 1\n")
        result = self.run_worker(project, "empty")
        assert result.returncode == 2
        assert "no handlers registered by empty" in result.stderr
        assert "Traceback" not in result.stderr

    def test_taken_port_is_a_clear_error(self, project: Path) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            sock.listen()
            port = sock.getsockname()[1]
            result = subprocess.run(
                [sys.executable, "-m", "sdk.worker", "--broker-port", str(port)],
                cwd=project,
                env=clean_env(project),
                capture_output=True,
                text=True,
                timeout=30,
            )
        assert result.returncode == 2
        assert f"cannot listen on 127.0.0.1:{port}" in result.stderr

    def test_an_invalid_setting_is_a_clear_error(self, project: Path) -> None:
        result = self.run_worker(project, SDK_LOG_FORMAT="xml")
        assert result.returncode == 2
        assert "invalid worker setting: SDK_LOG_FORMAT: Input should be 'text' or 'json'" in (
            result.stderr
        )
        assert "Traceback" not in result.stderr

    def test_a_taken_health_port_is_a_clear_error(self, project: Path) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            sock.listen()
            port = sock.getsockname()[1]
            result = self.run_worker(project, "--http-port", str(port))
        assert result.returncode == 2
        assert f"cannot serve the health endpoint on 127.0.0.1:{port}" in result.stderr

    def test_fewer_than_one_worker_process_is_a_clear_error(self, project: Path) -> None:
        result = self.run_worker(project, "--processes", "0")
        assert result.returncode == 2
        assert "error: --processes must be 1 or more, not 0" in result.stderr
        assert "Traceback" not in result.stderr
