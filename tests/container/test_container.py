"""The image and the compose file, built from the checkout and run with podman.

One file, so one xdist worker builds the image once (the suite runs ``--dist loadfile``).
Builds use chroot isolation and no registry (``--pull=never``): the ``python:3.11-slim`` base
is a local stand-in where no registry is reachable (``shared/tools/container-base``, which
``.ci/run`` runs). Containers run under runc with lowered open-files and process limits, the
only ones runc may set on machines that mix cgroup v1 and v2. Without podman, runc or the base
image, every test here skips, saying which is missing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import anyio
import pytest

from sdk.client import AsyncClient
from sdk.models import JobKey, JobState
from sdk.testing import wait_until

from _support.jobs import events, in_state
from _support.ports import free_port
from _support.processes import Process, broker_process, client_config, wait_reachable

ROOT = Path(__file__).resolve().parents[2]
BASE_IMAGE = "docker.io/library/python:3.11-slim"
RUNTIME = ["--runtime", "runc"]
RUN_FLAGS = [
    "--network",
    "host",
    "--ulimit",
    "nofile=1024:1024",
    "--ulimit",
    "nproc=1024:1024",
    # the HEALTHCHECK is run on demand below, not by a timer (no systemd to start one here)
    "--health-interval",
    "disable",
]
UID = 10001
"""The image's unprivileged ``app`` user."""


def _missing() -> str | None:
    for tool in ("podman", "runc"):
        if shutil.which(tool) is None:
            return f"no {tool} (.ci/run installs podman and runc from Debian)"
    try:
        found = subprocess.run(
            ["podman", "image", "exists", BASE_IMAGE], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"podman does not run here: {exc}"
    if found.returncode != 0 and found.stderr.strip():  # exit 1, silent: no such image
        return f"podman does not run here: {found.stderr.strip()}"
    if found.returncode != 0:
        return (
            f"no {BASE_IMAGE} image and no registry to pull it from: build the stand-in with "
            "shared/tools/container-base (.ci/run does)"
        )
    return None


MISSING = _missing()

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(MISSING is not None, reason=MISSING or ""),
    pytest.mark.xdist_group("container"),
    pytest.mark.timeout(300),  # the first test also builds the image
]


def podman(*args: str, timeout_s: float = 60, check: bool = True) -> str:
    """``podman ARGS``; its stdout (stderr too if it fails and ``check``)."""
    done = subprocess.run(
        ["podman", *args], capture_output=True, text=True, timeout=timeout_s, check=False
    )
    if check and done.returncode != 0:
        raise AssertionError(f"podman {' '.join(args)}: {done.returncode}\n{done.stderr}")
    return done.stdout


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The image built from this checkout as the docs say to build it here: its ID (the tag is
    shared with other checkouts). Docker format, which keeps HEALTHCHECK (OCI's has none)."""
    iidfile = tmp_path_factory.mktemp("image") / "id"
    podman(
        "build",
        "--isolation=chroot",
        "--pull=never",
        "--format=docker",
        "--tag=localhost/sdk-worker:test",
        f"--iidfile={iidfile}",
        str(ROOT),
        timeout_s=240,
    )
    return iidfile.read_text().strip()


@pytest.fixture(scope="module")
def broker_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``python -m sdk.broker`` on the host, on a free loopback port."""
    folder = tmp_path_factory.mktemp("broker")
    port = free_port()
    with broker_process(folder / "broker.db", port) as proc:
        url = f"http://127.0.0.1:{port}/v2"
        anyio.run(_reachable, url, proc)
        yield url


async def _reachable(url: str, proc: Process) -> None:
    async with client_of(url) as client:
        await wait_reachable(client, proc)


def client_of(url: str) -> AsyncClient:
    return AsyncClient(configuration=client_config(url))


@dataclass
class Container:
    name: str
    http_port: int

    def logs(self) -> str:
        """What the container wrote, stdout and stderr (which ``podman logs`` keeps apart)."""
        done = subprocess.run(
            ["podman", "logs", self.name],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=60,
            check=True,
        )
        return done.stdout

    def exec(self, *command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["podman", "exec", self.name, *command], capture_output=True, text=True, timeout=60
        )

    def signal(self, name: str) -> None:
        podman("kill", "--signal", name, self.name)

    def state(self) -> dict[str, Any]:
        inspected: list[dict[str, Any]] = json.loads(podman("container", "inspect", self.name))
        return dict(inspected[0]["State"])

    async def exit_code(self, timeout_s: float) -> int:
        await wait_until(
            lambda: not self.state()["Running"],
            timeout_s=timeout_s,
            interval_s=0.1,
            message=f"{self.name} exited",
        )
        return int(self.state()["ExitCode"])


_started: list[str] = []


@pytest.fixture(scope="module", autouse=True)
def _remove_containers() -> Iterator[None]:
    yield
    for name in _started:
        podman("rm", "--force", "--time", "0", name, check=False)


async def start(image: str, url: str, *args: str, **env: str) -> Container:
    """The image run detached against the broker at ``url``, its endpoint on a free port."""
    port = free_port()
    name = f"sdk-test-{os.getpid()}-{port}"
    settings = {**client_config(url), "SDK_HTTP_PORT": str(port), **env}
    options = [item for key, value in settings.items() for item in ("--env", f"{key}={value}")]
    podman(*RUNTIME, "run", "--detach", "--name", name, *RUN_FLAGS, *options, *args, image)
    _started.append(name)
    container = Container(name, port)

    def serving() -> bool:
        assert container.state()["Running"], container.logs()
        return get(port, "/readyz")[0] == 200

    await wait_until(serving, timeout_s=60, interval_s=0.2, message="/readyz")
    return container


def get(port: int, path: str) -> tuple[int, str]:
    """``GET http://127.0.0.1:PORT/PATH``: status and body (0 if nothing answers)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as answer:
            return int(answer.status), answer.read().decode()
    except OSError:
        return 0, ""


@pytest.fixture(scope="module")
def worker(image: str, broker_url: str) -> Container:
    """The image as built: the example handlers of ``workers/``."""
    return anyio.run(partial(start, image, broker_url, SDK_WORKER_NAME="boxed"))


async def completed(url: str, job_type: str, variables: dict[str, Any]) -> tuple[Any, ...]:
    async with client_of(url) as client:
        key = await client.create_job(job_type, variables)
        job = await wait_until(
            lambda: in_state(client, key, JobState.COMPLETED), timeout_s=30, interval_s=0.05
        )
        return events(job)[-1], job.variables


class TestImage:
    @pytest.mark.parametrize(
        ("job_type", "variables", "result"),
        [
            ("greet", {"name": "Ada"}, {"greeting": "Hello, Ada!"}),
            (
                "invoice-total",
                {"items": [{"price": 2.5, "quantity": 4}, {"price": 1}]},
                {"total": 11.0, "currency": "EUR"},
            ),
            ("count-primes", {"limit": 1000}, {"primes": 168}),
        ],
        ids=["async", "thread", "process"],
    )
    async def test_the_example_jobs_complete_inside_the_container(
        self,
        worker: Container,
        broker_url: str,
        job_type: str,
        variables: dict[str, Any],
        result: dict[str, Any],
    ) -> None:
        last, out = await completed(broker_url, job_type, variables)
        assert last == ("COMPLETED", "boxed")
        assert result.items() <= out.items()

    def test_health_readiness_and_metrics_answer_on_the_port_given(self, worker: Container) -> None:
        assert get(worker.http_port, "/healthz")[0] == 200
        assert get(worker.http_port, "/readyz")[0] == 200
        status, metrics = get(worker.http_port, "/metrics")
        assert status == 200
        assert "# TYPE" in metrics

    async def test_every_log_line_is_json(self, worker: Container, broker_url: str) -> None:
        await completed(broker_url, "greet", {"name": "logs"})
        lines = worker.logs().splitlines()
        assert lines
        for line in lines:
            record = json.loads(line)
            assert {"time", "level", "message"} <= record.keys(), line
        assert any(json.loads(line)["message"] == "greeting logs" for line in lines)

    def test_the_worker_runs_as_the_unprivileged_user(self, worker: Container) -> None:
        status = worker.exec("cat", "/proc/1/status")
        assert status.returncode == 0, status.stderr
        uids = next(line for line in status.stdout.splitlines() if line.startswith("Uid:"))
        assert uids.split()[1:] == [str(UID)] * 4  # real, effective, saved, filesystem
        cmdline = worker.exec("cat", "/proc/1/cmdline").stdout.split("\0")
        assert cmdline[1:3] == ["-m", "sdk.worker"]

    def test_the_images_healthcheck_passes(self, worker: Container, image: str) -> None:
        (inspected,) = json.loads(podman("image", "inspect", image))
        test = inspected["Healthcheck"]["Test"]  # only in the docker format, which build uses
        assert test[0] == "CMD"
        check = worker.exec(*test[1:])
        assert check.returncode == 0, check.stderr
        podman(*RUNTIME, "healthcheck", "run", worker.name)  # fails unless it exits 0
        health = podman("container", "inspect", "--format", "{{.State.Health.Status}}", worker.name)
        assert health.strip() == "healthy"

    def test_the_image_holds_the_checkouts_package_and_no_sources_or_caches(
        self, image: str
    ) -> None:
        listing = podman(
            *RUNTIME,
            "run",
            "--rm",
            *RUN_FLAGS,
            "--user=root",  # to see into /root
            "--entrypoint",
            "sh",
            image,
            "-c",
            "ls -A /app; ls -d /src /staging 2>/dev/null;"
            " find /tmp /root/.cache -mindepth 1 2>/dev/null; true",
        )
        assert listing.split() == ["workers"]
        # the installed modules are the checkout's (a stale build cache would show here)
        installed = podman(
            *RUNTIME,
            "run",
            "--rm",
            *RUN_FLAGS,
            "--entrypoint",
            "python",
            image,
            "-c",
            MODULES_DIGEST,
        )
        assert installed.strip() == modules_digest(ROOT / "src" / "sdk")


MODULES_DIGEST = """
import hashlib, pathlib, sdk
root = pathlib.Path(sdk.__file__).parent
digest = hashlib.sha256()
for path in sorted(root.rglob("*.py")):
    digest.update(str(path.relative_to(root)).encode() + b"\\0" + path.read_bytes())
print(digest.hexdigest())
"""


def modules_digest(root: Path) -> str:
    """The digest ``MODULES_DIGEST`` prints for the package at ``root``."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


SLOW = textwrap.dedent(
    """
    import anyio

    from sdk.worker import Worker

    worker = Worker()

    @worker.task("slow", timeout_ms=120_000, max_jobs=1)
    async def slow(delay_s: float) -> dict[str, float]:
        await anyio.sleep(delay_s)
        return {"slept": delay_s}
    """
)


@pytest.fixture
def slow_worker(
    image: str, broker_url: str, tmp_path: Path
) -> Callable[[str], Awaitable[Container]]:
    """Starts the image named NAME with a ``slow`` handler mounted beside the examples (only
    it loaded), grace period 30 s."""
    module = tmp_path / "slowjobs.py"
    module.write_text(SLOW)
    module.chmod(0o644)
    mount = ("--volume", f"{module}:/app/slowjobs.py:ro")

    async def started(name: str) -> Container:
        settings = {"SDK_WORKERS": "slowjobs", "SDK_WORKER_NAME": name, "SDK_GRACE_PERIOD_S": "30"}
        return await start(image, broker_url, *mount, **settings)

    return started


async def held(url: str, delay_s: float, worker: str) -> JobKey:
    async with client_of(url) as client:
        key = await client.create_job("slow", {"delay_s": delay_s})

        async def by_worker() -> bool:
            job = await client.get_job(key)
            return job.state is JobState.ACTIVATED and job.worker == worker

        await wait_until(by_worker, timeout_s=30, interval_s=0.05)
        return key


class TestSignals:
    async def test_sigterm_lets_a_5s_job_finish_and_exits_0(
        self, slow_worker: Callable[[str], Awaitable[Container]], broker_url: str
    ) -> None:
        container = await slow_worker("sigterm")
        key = await held(broker_url, 5, "sigterm")
        signalled = time.monotonic()
        container.signal("TERM")
        assert await container.exit_code(timeout_s=30) == 0, container.logs()
        assert time.monotonic() - signalled < 30
        async with client_of(broker_url) as client:
            job = await client.get_job(key)
        assert (job.state, job.variables["slept"]) == (JobState.COMPLETED, 5)
        assert events(job)[-2:] == [("ACTIVATED", "sigterm"), ("COMPLETED", "sigterm")]
        assert "SIGTERM received: finishing running jobs" in container.logs()

    async def test_second_sigterm_hands_the_job_back_and_exits_at_once(
        self, slow_worker: Callable[[str], Awaitable[Container]], broker_url: str
    ) -> None:
        container = await slow_worker("second")
        key = await held(broker_url, 60, "second")
        container.signal("TERM")
        await wait_until(
            lambda: "have 30s to finish" in container.logs(), timeout_s=10, interval_s=0.1
        )
        signalled = time.monotonic()
        container.signal("TERM")
        assert await container.exit_code(timeout_s=10) == 0, container.logs()
        assert time.monotonic() - signalled < 10
        async with client_of(broker_url) as client:
            job = await client.get_job(key)
            assert (job.state, job.error_message) == (JobState.ACTIVATABLE, "worker shutting down")
            again = await client.activate_jobs("slow", max_jobs=1, worker="after", timeout_ms=1000)
        assert [j.job_key for j in again] == [key]
        assert "SIGTERM received again: handing back running jobs" in container.logs()


@pytest.fixture(scope="module")
def compose_env(image: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """podman-compose's environment: runc and the lowered limits for every container (a
    containers.conf of the test's own), chroot builds in the docker format. After ``image``,
    so the compose file's own builds (``up --build``) find every layer cached."""
    if shutil.which("podman-compose", path=Path(sys.executable).parent) is None:
        pytest.skip("no podman-compose (pip install podman-compose)")
    folder = tmp_path_factory.mktemp("compose")
    conf = folder / "containers.conf"
    conf.write_text(
        '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n'
        '[engine]\nruntime = "runc"\n'
    )
    return {
        **os.environ,
        "CONTAINERS_CONF": str(conf),
        "BUILDAH_ISOLATION": "chroot",
        "BUILDAH_FORMAT": "docker",
    }


@dataclass
class Stack:
    project: str
    env: dict[str, str]

    def compose(self, *args: str, timeout_s: float = 300, check: bool = True) -> str:
        """``podman-compose ARGS`` on the checkout's compose file; its output."""
        command = [str(Path(sys.executable).with_name("podman-compose"))]
        command += ["--project-name", self.project, "--file", str(ROOT / "docker-compose.yml")]
        done = subprocess.run(
            [*command, *args],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            env=self.env,
            cwd=ROOT,
        )
        assert done.returncode == 0 or not check, f"{args}: {done.stdout}\n{done.stderr}"
        return done.stdout

    def containers(self) -> dict[str, dict[str, Any]]:
        label = f"label=io.podman.compose.project={self.project}"
        found = json.loads(podman("ps", "--all", "--format", "json", "--filter", label))
        return {c["Names"][0]: c for c in found}


@pytest.fixture
def stack(compose_env: dict[str, str]) -> Iterator[Stack]:
    """A compose project of this test's own; taken down with its volumes afterwards."""
    stack = Stack(f"sdktest{os.getpid()}{free_port()}", dict(compose_env))
    try:
        yield stack
    finally:
        stack.compose("--profile", "postgres", "down", "--volumes", timeout_s=120, check=False)


async def job_completes_on(url: str) -> tuple[str | None, Any]:
    async with client_of(url) as client:
        await wait_reachable(client)
        key = await client.create_job("greet", {"name": "compose"})
        job = await wait_until(
            lambda: in_state(client, key, JobState.COMPLETED), timeout_s=60, interval_s=0.1
        )
        return job.worker, job.variables["greeting"]


def _log_tail(name: str) -> str:
    """The end of a container's log (its stdout and stderr): why it did not stop cleanly."""
    done = subprocess.run(
        ["podman", "logs", "--tail", "40", name],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.stdout + done.stderr


def stops_cleanly(stack: Stack, *profile: str) -> None:
    """``stop`` (SIGTERM, then the stop_grace_period): every container exits 0; then
    ``down`` leaves nothing behind. Every container still runs before."""
    states = {name: c["State"] for name, c in stack.containers().items()}
    assert set(states.values()) == {"running"}, states
    stack.compose(*profile, "stop")
    states = {name: (c["State"], c["ExitCode"]) for name, c in stack.containers().items()}
    unclean = {name: state for name, state in states.items() if state != ("exited", 0)}
    logs = {name: _log_tail(name) for name in unclean}
    assert not unclean, (unclean, logs)
    stack.compose(*profile, "down", "--volumes")
    assert stack.containers() == {}


class TestCompose:
    async def test_default_profile_broker_and_two_workers_run_a_job_and_stop(
        self, stack: Stack
    ) -> None:
        port = free_port()
        stack.env["SDK_BROKER_PORT"] = str(port)
        stack.compose("up", "--build", "--detach")
        assert sorted(stack.containers()) == [
            f"{stack.project}_broker_1",
            f"{stack.project}_worker_1",
            f"{stack.project}_worker_2",
        ]
        worker, greeting = await job_completes_on(f"http://127.0.0.1:{port}/v2")
        assert greeting == "Hello, compose!"
        assert worker is not None
        stops_cleanly(stack)

    async def test_postgres_profile_two_brokers_on_postgresql_run_a_job_and_stop(
        self, stack: Stack
    ) -> None:
        made = await anyio.run_process([str(ROOT / "scripts" / "postgres-stand-in")])
        port = free_port()
        stack.env.update(SDK_POSTGRES_IMAGE=made.stdout.decode().strip(), SDK_BROKER_PORT=str(port))
        stack.compose("--profile", "postgres", "up", "--build", "--detach", timeout_s=600)
        names = sorted(stack.containers())
        for service, count in [("broker-pg", 2), ("postgres", 1), ("worker-pg", 2)]:
            expected = [f"{stack.project}_{service}_{n}" for n in range(1, count + 1)]
            assert [name for name in names if f"_{service}_" in name] == expected
        for replica in ("1", "2"):  # each broker replica: ports of its own on the host
            address = podman("port", f"{stack.project}_broker-pg_{replica}", "8080").strip()
            _, greeting = await job_completes_on(f"http://{address}/v2")
            assert greeting == "Hello, compose!"
        stops_cleanly(stack, "--profile", "postgres")
