"""``python -m sdk.worker`` as users run it: a subprocess on the embedded default."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from sdk.client import AsyncClient
from sdk.errors import ServerUnreachableError
from sdk.models import JobState
from sdk.testing import wait_until

from .processes import clean_env, free_port

pytestmark = pytest.mark.anyio

HANDLERS = textwrap.dedent(
    """
    from sdk.worker import Worker

    worker = Worker()

    @worker.task("shout")
    async def shout(word: str) -> dict[str, str]:
        return {"shouted": word.upper()}
    """
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A user's project folder with a ``workers/`` package holding one handler module."""
    (tmp_path / "workers").mkdir()
    (tmp_path / "workers" / "__init__.py").write_text("")
    (tmp_path / "workers" / "shouting.py").write_text(HANDLERS)
    return tmp_path


@pytest.fixture
def worker_process(project: Path) -> Iterator[tuple[subprocess.Popen[str], int]]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sdk.worker", "--broker-port", str(port)],
        cwd=project,
        env=clean_env(project),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield proc, port
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


async def reachable(client: AsyncClient) -> bool:
    try:
        await client.topology()
    except ServerUnreachableError:
        return False
    return True


class TestEmbeddedDefault:
    async def test_processes_jobs_from_another_process_and_exits_0_on_sigint(
        self, worker_process: tuple[subprocess.Popen[str], int]
    ) -> None:
        proc, port = worker_process
        address = f"http://127.0.0.1:{port}"
        config = {"CAMUNDA_REST_ADDRESS": address, "CAMUNDA_AUTH_STRATEGY": "NONE"}
        async with AsyncClient(configuration=config) as client:
            await wait_until(lambda: reachable(client), timeout_s=20, message="embedded broker up")
            keys = [await client.create_job("shout", {"word": w}) for w in ("hi", "there")]

            async def all_completed() -> bool:
                jobs = [await client.get_job(k) for k in keys]
                return all(j.state is JobState.COMPLETED for j in jobs)

            await wait_until(all_completed, timeout_s=20)
            assert [(await client.get_job(k)).variables["shouted"] for k in keys] == ["HI", "THERE"]
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=20)
        assert proc.returncode == 0, output
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
