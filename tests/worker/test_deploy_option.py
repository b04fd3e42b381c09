"""``python -m sdk.worker --deploy`` (and ``SDK_DEPLOY``): BPMN deployed at start, before
polling."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sdk.client import AsyncClient
from sdk.errors import ServerUnreachableError
from sdk.testing import wait_until

from _support.bpmn_models import COMPLEX_GATEWAY, model
from _support.ports import free_port
from _support.processes import clean_env, exit_code, worker_process

HANDLERS = textwrap.dedent(
    """
    from sdk.worker import Worker

    worker = Worker()

    @worker.task("work")
    async def work() -> None:
        return None
    """
)

pytestmark = [pytest.mark.anyio, pytest.mark.project("workers.working", HANDLERS)]


async def reachable(client: AsyncClient) -> bool:
    try:
        await client.topology()
    except ServerUnreachableError:
        return False
    return True


async def test_a_folder_and_sdk_deploy_are_deployed_at_start(project: Path) -> None:
    (project / "processes").mkdir()
    (project / "processes" / "order.bpmn").write_bytes(model())
    (project / "refund.bpmn").write_bytes(model("refund"))
    port = free_port()
    config = {"CAMUNDA_REST_ADDRESS": f"http://127.0.0.1:{port}", "CAMUNDA_AUTH_STRATEGY": "NONE"}
    with worker_process(
        project, "--broker-port", str(port), "--deploy", "processes", SDK_DEPLOY="refund.bpmn"
    ) as worker:
        async with AsyncClient(configuration=config) as client:
            await wait_until(lambda: reachable(client), timeout_s=20, message="embedded broker up")

            async def both_deployed() -> bool:
                found = await client.search_process_definitions()
                return len(found.items) == 2

            await wait_until(both_deployed, timeout_s=20, message="both processes deployed")
        worker.popen.send_signal(signal.SIGINT)
        code = await exit_code(worker, timeout_s=20)
    output = worker.output()
    assert code == 0, output
    assert "deployed order version 1" in output and "deployed refund version 1" in output


def run_worker(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sdk.worker", "--broker-port", str(free_port()), *args],
        cwd=project,
        env=clean_env(project),
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_a_refused_model_stops_start_up_with_exit_2(project: Path) -> None:
    (project / "complex.bpmn").write_bytes(COMPLEX_GATEWAY)
    result = run_worker(project, "--deploy", "complex.bpmn")
    assert result.returncode == 2, result.stderr
    assert "the deployment of 1 file(s) was refused" in result.stderr
    assert "complexGateway 'gate'" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_path_is_a_start_up_error(project: Path) -> None:
    result = run_worker(project, "--deploy", "nowhere")
    assert result.returncode == 2
    assert "--deploy nowhere: no such file or folder" in result.stderr
