"""The container files: what can be checked without a container engine, checked for real.

The compose file is validated against the compose specification, the Dockerfile's
HEALTHCHECK command is run against a real worker's endpoint, and ``.env.example`` is held
to list every setting the settings models read.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
import yaml

from sdk.broker import BrokerAuthSettings, RunningBroker
from sdk.client import Settings
from sdk.testing import wait_until
from sdk.worker._cli import WorkerSettings

from _support.ports import free_port
from _support.processes import worker_process

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
COMPOSE = ROOT / "docker-compose.yml"

pytestmark = pytest.mark.anyio


def instruction(name: str) -> str:
    """The arguments of the Dockerfile's (last) ``name`` instruction, continuations joined."""
    joined = DOCKERFILE.replace("\\\n", " ")
    found = re.findall(rf"^{name}\s+(.*)$", joined, flags=re.MULTILINE)
    assert found, f"Dockerfile has no {name}"
    return str(found[-1])


def healthcheck_command() -> list[str]:
    arguments = instruction("HEALTHCHECK")
    command: list[str] = json.loads(arguments.split(" CMD ", 1)[1])
    return command


class TestDockerfile:
    def test_runs_the_worker_as_a_non_root_user_with_its_endpoint_on(self) -> None:
        assert json.loads(instruction("ENTRYPOINT")) == ["python", "-m", "sdk.worker"]
        assert instruction("USER") == "app"
        assert instruction("FROM").endswith("-slim")
        env = dict(pair.split("=", 1) for pair in shlex.split(instruction("ENV")))
        assert env["SDK_HTTP_HOST"] == "0.0.0.0"
        assert instruction("EXPOSE") == env["SDK_HTTP_PORT"]

    async def test_the_healthcheck_passes_on_a_running_worker_and_fails_without_one(
        self, tmp_path: Path, sdk_broker: RunningBroker
    ) -> None:
        (tmp_path / "workers").mkdir()
        (tmp_path / "workers" / "__init__.py").write_text(
            "from sdk.worker import Worker\n\nworker = Worker()\n\n"
            "@worker.task('noop')\nasync def noop() -> None:\n    return None\n"
        )
        port = str(free_port())
        env = {"SDK_HTTP_PORT": port, "CAMUNDA_REST_ADDRESS": sdk_broker.url}
        check = [sys.executable, *healthcheck_command()[1:]]  # the image's `python`
        check_env = {**os.environ, "SDK_HTTP_PORT": port}

        def healthcheck() -> int:
            return subprocess.run(check, env=check_env, capture_output=True).returncode

        assert await anyio.to_thread.run_sync(healthcheck) != 0  # nothing listens yet
        with worker_process(tmp_path, **env) as proc:

            async def healthy() -> bool:
                assert proc.popen.poll() is None, proc.output()
                return await anyio.to_thread.run_sync(healthcheck) == 0

            await wait_until(healthy, timeout_s=30, interval_s=0.2, message="HEALTHCHECK ok")


class TestCompose:
    def test_validates_against_the_compose_specification(self) -> None:
        result = subprocess.run(
            [
                str(Path(sys.executable).with_name("check-jsonschema")),
                "--builtin-schema",
                "vendor.compose-spec",
                str(COMPOSE),
            ],
            capture_output=True,
            text=True,
            timeout=50,
        )
        assert result.returncode == 0, result.stdout + result.stderr

    def test_runs_a_broker_two_workers_and_a_camunda_profile(self) -> None:
        spec: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
        services = spec["services"]
        assert services["worker"]["deploy"]["replicas"] == 2
        assert services["worker"]["environment"]["CAMUNDA_REST_ADDRESS"] == (
            "http://broker:8080/v2"
        )
        assert services["camunda"]["image"].startswith("camunda/camunda:8.")
        assert services["camunda"]["profiles"] == ["camunda"]
        camunda_workers = services["worker-camunda"]
        assert camunda_workers["profiles"] == ["camunda"]
        assert camunda_workers["deploy"]["replicas"] == 2
        assert camunda_workers["environment"]["CAMUNDA_REST_ADDRESS"] == "http://camunda:8080/v2"
        for name in ("worker", "worker-camunda"):
            grace_s = float(services[name]["environment"]["SDK_GRACE_PERIOD_S"])
            assert int(services[name]["stop_grace_period"].rstrip("s")) > grace_s, name


class TestEnvExample:
    def test_lists_every_setting(self) -> None:
        text = (ROOT / ".env.example").read_text()
        listed = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE))
        variables = {"SDK_DATA_DIR"} | {
            str(field.validation_alias)
            for model in (Settings, WorkerSettings, BrokerAuthSettings)
            for field in model.model_fields.values()
        }
        assert variables - listed == set(), "missing from .env.example"
        assert listed - variables == set(), "in .env.example but read by nothing"


class TestComposePostgresProfile:
    def test_runs_two_broker_replicas_on_postgres_and_workers_on_them(self) -> None:
        services: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())["services"]
        assert services["postgres"]["image"].endswith(":-postgres:16}")  # SDK_POSTGRES_IMAGE
        replicas = services["broker-pg"]
        assert replicas["deploy"]["replicas"] == 2
        assert replicas["build"]["args"]["EXTRAS"] == "postgres"
        url = replicas["environment"]["SDK_BROKER_DATABASE_URL"]
        assert url.startswith("postgresql://") and "@postgres:5432/" in url
        assert replicas["depends_on"]["postgres"]["condition"] == "service_healthy"
        workers = services["worker-pg"]
        assert workers["environment"]["CAMUNDA_REST_ADDRESS"] == "http://broker-pg:8080/v2"
        for name in ("postgres", "broker-pg", "worker-pg"):
            assert services[name]["profiles"] == ["postgres"], name
