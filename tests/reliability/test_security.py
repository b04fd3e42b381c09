"""Security as users run the processes: secrets stay out of every output, the broker stays local.

``tests/broker/test_auth.py`` walks the route table for 401s and ``tests/client/test_auth.py``
checks the in-process client; this file runs the real commands (``python -m sdk.broker``,
``python -m sdk.worker``, ``python -m sdk``) as subprocesses, with debug logging, and greps
everything they print, plus the client's exceptions, for every secret in every form it could
leak in (as given, inside a Basic header, the OAuth token the worker was issued).

Listening addresses are read from the kernel (``/proc/net/tcp*``) where there is one, and the
only connections made are to addresses of this machine.
"""

from __future__ import annotations

import base64
import ipaddress
import itertools
import json
import secrets
import signal
import socket
import stat
import subprocess
import sys
import textwrap
import traceback
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import anyio
import httpx
import pytest
from pydantic import SecretStr

from sdk.broker import BrokerAuth, BrokerUser, RunningBroker, serve
from sdk.client import AsyncClient
from sdk.errors import UnauthorizedError
from sdk.models import JobState
from sdk.testing import wait_until

from _support.ports import free_port
from _support.processes import START_TIMEOUT_S, Process, clean_env, spawned

USER, VIEWER, CLIENT_ID = "ops", "eve", "app"
WAIT_S = 30.0
ENDED = {JobState.COMPLETED.value, JobState.INCIDENT.value, JobState.ERROR_THROWN.value}
HANDLERS = textwrap.dedent(
    """
    import os

    from sdk.worker import JobContext, Worker

    worker = Worker(request_timeout_ms=1_000)


    @worker.task(os.environ.get("JOB_TYPE", "sec"))
    async def handle(job: JobContext, fail: bool = False) -> dict[str, bool]:
        job.logger.debug("handling {} with {}", job.job_key, dict(job.variables))
        if fail:
            raise RuntimeError("designed failure")
        return {"done": True}
    """
)

pytestmark = [pytest.mark.anyio, pytest.mark.project("sec_handlers", HANDLERS)]


@dataclass
class Secrets:
    """Fresh random secrets for one test, and every form in which they must never appear."""

    password: str = field(default_factory=lambda: f"pw-{secrets.token_hex(10)}")
    viewer_password: str = field(default_factory=lambda: f"vw-{secrets.token_hex(10)}")
    api_key: str = field(default_factory=lambda: f"key-{secrets.token_hex(10)}")
    client_secret: str = field(default_factory=lambda: f"cs-{secrets.token_hex(10)}")
    wrong: str = field(default_factory=lambda: f"wrong-{secrets.token_hex(10)}")
    issued_tokens: list[str] = field(default_factory=list)

    def forms(self) -> dict[str, str]:
        """Name → text that must not occur in any output."""
        found = {
            "password": self.password,
            "viewer password": self.viewer_password,
            "API key": self.api_key,
            "client secret": self.client_secret,
            "wrong secret": self.wrong,
            "Basic header": b64(f"{USER}:{self.password}"),
            "wrong Basic header": b64(f"{USER}:{self.wrong}"),
            "viewer Basic header": b64(f"{VIEWER}:{self.viewer_password}"),
        }
        found.update({f"issued token {n}": t for n, t in enumerate(self.issued_tokens)})
        return found


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def leaks(texts: dict[str, str], secrets_: Secrets) -> list[str]:
    """``where: which secret`` for every secret found in every captured text."""
    return [
        f"{where}: {name}"
        for where, text in texts.items()
        for name, secret in secrets_.forms().items()
        if secret in text
    ]


async def logged(proc: Process, needle: str, timeout_s: float = START_TIMEOUT_S) -> str:
    """The output once it contains ``needle``; fails at once if the process ended without it."""

    def seen() -> str | None:
        text = proc.output()
        if needle in text:
            return text
        if proc.popen.poll() is not None:
            raise AssertionError(f"exited {proc.popen.returncode} before {needle!r}:\n{text}")
        return None

    return await wait_until(seen, timeout_s=timeout_s, interval_s=0.05, message=repr(needle))


async def terminated(proc: Process) -> int:
    """SIGTERM, then the exit code (a bounded wait that leaves the event loop free)."""
    if proc.popen.poll() is None:
        proc.popen.send_signal(signal.SIGTERM)
    await wait_until(
        lambda: proc.popen.poll() is not None, timeout_s=WAIT_S, interval_s=0.05, message="exit"
    )
    return proc.popen.returncode


async def run_cli(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[bytes]:
    return await anyio.run_process(
        [sys.executable, "-m", "sdk", *args], cwd=cwd, env=clean_env(cwd, **env), check=False
    )


# -- (a) secrets never appear in logs or error messages ----------------------------------------


class TestSecretsStayOutOfOutput:
    async def test_broker_workers_and_cli_never_print_a_secret(
        self, project: Path, tmp_path: Path
    ) -> None:
        sec = Secrets()
        port = free_port()
        root = f"http://127.0.0.1:{port}"
        oauth = {
            "CAMUNDA_REST_ADDRESS": root,
            "CAMUNDA_CLIENT_ID": CLIENT_ID,
            "CAMUNDA_OAUTH_URL": f"{root}/oauth/token",
            "CAMUNDA_TOKEN_AUDIENCE": "sdk-broker",
        }
        basic = {"CAMUNDA_REST_ADDRESS": root, "CAMUNDA_BASIC_AUTH_USERNAME": USER}
        debug = {"SDK_LOG_LEVEL": "DEBUG"}
        tokens = tmp_path / "tokens"
        outputs: dict[str, str] = {}

        broker_args = ["-m", "sdk.broker", "--db", str(tmp_path / "sec.db"), "--port", str(port)]
        broker_args += ["--user", f"{USER}:{sec.password}"]  # a flag (visible in ps, by design)
        broker_args += ["--oauth-client", f"{CLIENT_ID}:{sec.client_secret}"]
        with spawned(
            broker_args,
            project,
            "broker",
            SDK_BROKER_API_KEYS=sec.api_key,  # and variables, which keep secrets out of ps
            SDK_BROKER_VIEWERS=f"{VIEWER}:{sec.viewer_password}",
            **debug,
        ) as broker:
            await logged(broker, "broker: serving")
            async with httpx.AsyncClient(base_url=f"{root}/v2", timeout=10) as http:
                api_key = {"authorization": f"Bearer {sec.api_key}"}
                specs = [
                    {"type": "sec-oauth"},
                    {"type": "sec-basic"},
                    {"type": "sec-basic", "variables": {"fail": True}, "retries": 1},
                ]
                created = await http.post("/ext/jobs", json={"jobs": specs}, headers=api_key)
                assert created.status_code == 201, created.text
                keys = created.json()["jobKeys"]

                worker = partial(spawned, ["-m", "sdk.worker", "sec_handlers"], project)
                with (
                    worker(
                        "w-oauth",
                        JOB_TYPE="sec-oauth",
                        CAMUNDA_CLIENT_SECRET=sec.client_secret,
                        CAMUNDA_TOKEN_CACHE_DIR=str(tokens),
                        SDK_LOG_FORMAT="json",
                        **oauth,
                        **debug,
                    ) as w_oauth,
                    worker(
                        "w-basic",
                        JOB_TYPE="sec-basic",
                        CAMUNDA_BASIC_AUTH_PASSWORD=sec.password,
                        **basic,
                        **debug,
                    ) as w_basic,
                    worker(
                        "w-oauth-wrong",
                        CAMUNDA_CLIENT_SECRET=sec.wrong,
                        **oauth,
                        **debug,
                    ) as w_oauth_wrong,
                    worker(
                        "w-basic-wrong",
                        CAMUNDA_BASIC_AUTH_PASSWORD=sec.wrong,
                        **basic,
                        **debug,
                    ) as w_basic_wrong,
                ):
                    viewer = {"authorization": f"Basic {b64(f'{VIEWER}:{sec.viewer_password}')}"}

                    async def states() -> list[str] | None:
                        for proc in (w_oauth, w_basic):
                            assert proc.popen.poll() is None, proc.output()
                        found = [
                            (await http.get(f"/ext/jobs/{key}", headers=viewer)).json()["state"]
                            for key in keys
                        ]
                        return found if set(found) <= ENDED else None

                    found = await wait_until(states, timeout_s=WAIT_S, interval_s=0.1)
                    assert found == ["COMPLETED", "COMPLETED", "INCIDENT"]
                    await logged(w_oauth_wrong, "invalid_client")
                    await logged(w_basic_wrong, "401 UNAUTHORIZED")
                    workers = (w_oauth, w_basic, w_oauth_wrong, w_basic_wrong)
                    for proc in workers:
                        assert await terminated(proc) == 0, proc.output()
                    outputs.update({p.log.stem: p.output() for p in workers})

            for cli_env in (
                {**basic, "CAMUNDA_BASIC_AUTH_PASSWORD": sec.wrong},
                {**oauth, "CAMUNDA_CLIENT_SECRET": sec.wrong},
            ):
                done = await run_cli(project, "jobs", "list", **cli_env, **debug)
                assert done.returncode == 1 and b"401" in done.stderr, done
                strategy = "oauth" if "CAMUNDA_CLIENT_ID" in cli_env else "basic"
                outputs[f"cli-{strategy}"] = (done.stdout + done.stderr).decode()
            done = await run_cli(
                project, "jobs", "list", **basic, CAMUNDA_BASIC_AUTH_PASSWORD=sec.password
            )
            assert done.returncode == 0 and b"COMPLETED" in done.stdout, done
            outputs["cli-ok"] = (done.stdout + done.stderr).decode()

            outputs.update(await client_errors(root, sec))
            assert await terminated(broker) == 0, broker.output()
            outputs["broker"] = broker.output()

        (cache,) = tokens.glob("oauth-token-*.json")
        assert stat.S_IMODE(cache.stat().st_mode) == 0o600
        sec.issued_tokens.append(json.loads(cache.read_text())["access_token"])
        assert "✓ sec-basic" in outputs["w-basic"] and "designed failure" in outputs["w-basic"]
        assert "DEBUG" in outputs["w-basic"] and '"DEBUG"' in outputs["w-oauth"]
        assert leaks(outputs, sec) == []


async def client_errors(root: str, sec: Secrets) -> dict[str, str]:
    """What the in-process client shows of a rejected call: message, repr, traceback."""
    shown: dict[str, str] = {}
    configs = {
        "client-basic": {
            "CAMUNDA_BASIC_AUTH_USERNAME": USER,
            "CAMUNDA_BASIC_AUTH_PASSWORD": sec.wrong,
        },
        "client-oauth": {
            "CAMUNDA_CLIENT_ID": CLIENT_ID,
            "CAMUNDA_CLIENT_SECRET": sec.wrong,
            "CAMUNDA_OAUTH_URL": f"{root}/oauth/token",
        },
    }
    for name, config in configs.items():
        async with AsyncClient(configuration={"CAMUNDA_REST_ADDRESS": root, **config}) as client:
            with pytest.raises(UnauthorizedError) as caught:
                await client.create_job("never")
            err = caught.value
            shown[name] = "\n".join(
                [
                    str(err),
                    repr(err),
                    err.problem.model_dump_json(),
                    "".join(traceback.format_exception(err)),
                    repr(client),
                    repr(client.settings),
                    str(client.settings.model_dump()),
                ]
            )
    return shown


class TestCredentialsInTheAddress:
    """``http://user:password@host`` in ``CAMUNDA_REST_ADDRESS`` is honoured by httpx (as
    Basic auth), so it is a place users put a secret; it must not come back out."""

    @pytest.fixture
    async def secured(self) -> AsyncIterator[tuple[RunningBroker, Secrets]]:
        sec = Secrets()
        auth = BrokerAuth(users=[BrokerUser(USER, SecretStr(sec.password))])
        async with anyio.create_task_group() as tg:
            broker = await tg.start(partial(serve, ":memory:", "127.0.0.1", 0, auth=auth))
            yield broker, sec
            tg.cancel_scope.cancel()

    async def test_a_client_refuses_the_address_without_showing_the_password(
        self, project: Path, secured: tuple[RunningBroker, Secrets]
    ) -> None:
        broker, sec = secured
        address = broker.url.replace("http://", f"http://{USER}:{sec.wrong}@")

        done = await run_cli(project, "jobs", "list", CAMUNDA_REST_ADDRESS=address)

        output = (done.stdout + done.stderr).decode()
        assert done.returncode == 1, output
        assert "must not contain credentials" in output, output
        assert "Traceback" not in output, output
        assert leaks({"cli": output}, sec) == []

    async def test_a_worker_refuses_the_address_at_start_up_without_showing_it(
        self, project: Path, secured: tuple[RunningBroker, Secrets]
    ) -> None:
        broker, sec = secured
        address = broker.url.replace("http://", f"http://{USER}:{sec.password}@")
        args = ["-m", "sdk.worker", "sec_handlers"]
        with spawned(args, project, "worker", CAMUNDA_REST_ADDRESS=address) as worker:
            with anyio.fail_after(WAIT_S):
                code = await anyio.to_thread.run_sync(worker.popen.wait)
        output = worker.output()
        assert code == 2, output
        assert "must not contain credentials" in output, output
        assert "Traceback" not in output, output
        assert leaks({"worker": output}, sec) == []


# -- (b) the broker binds loopback by default; (c) a loud warning when it is open ---------------


def listening_addresses(port: int) -> list[str] | None:
    """The addresses listening on TCP ``port``, from the kernel; ``None`` without /proc."""
    tables = [Path("/proc/net/tcp"), Path("/proc/net/tcp6")]
    if not tables[0].exists():
        return None
    found = []
    for table in tables:
        if not table.exists():
            continue
        for line in table.read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            host_hex, port_hex = local.split(":")
            if state == "0A" and int(port_hex, 16) == port:  # 0A: LISTEN
                raw = bytes.fromhex(host_hex)  # 32-bit words in host (little-endian) order
                ordered = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
                found.append(str(ipaddress.ip_address(ordered)))
    return found


def own_non_loopback_addresses() -> list[str]:
    """Non-loopback IPv4 addresses of this machine (the kernel must let us bind each)."""
    candidates: set[str] = set()
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
        candidates |= {str(info[4][0]) for info in infos}
    except OSError:
        pass
    fib = Path("/proc/net/fib_trie")
    if fib.exists():  # Linux: every local address is a "/32 host LOCAL" leaf
        lines = fib.read_text().splitlines()
        candidates |= {
            prev.split()[-1]
            for prev, line in itertools.pairwise(lines)
            if line.strip() == "/32 host LOCAL"
        }
    own = []
    for address in sorted(candidates):
        if ipaddress.ip_address(address).is_loopback:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((address, 0))
            except OSError:
                continue  # not an address of this machine
        own.append(address)
    return own


def broker_command(db: Path, host: str | None, port: int) -> list[str]:
    host_args = [] if host is None else ["--host", host]
    return ["-m", "sdk.broker", "--db", str(db), *host_args, "--port", str(port)]


def worker_command(db: Path, host: str | None, port: int) -> list[str]:
    host_args = [] if host is None else ["--broker-host", host]
    args = ["-m", "sdk.worker", "sec_handlers", "--db", str(db), *host_args]
    return [*args, "--broker-port", str(port)]


COMMANDS = {
    "broker": (broker_command, "broker: serving {url}"),
    "worker": (worker_command, "using the embedded broker at {url}"),
}


class TestListeningAddress:
    @pytest.mark.parametrize("command", list(COMMANDS))
    async def test_the_embedded_broker_listens_on_loopback_only_by_default(
        self, project: Path, command: str
    ) -> None:
        make, started = COMMANDS[command]
        port = free_port()
        url = f"http://127.0.0.1:{port}/v2"
        with spawned(make(project / "b.db", None, port), project, command) as proc:
            await logged(proc, started.format(url=url))

            assert listening_addresses(port) in (None, ["127.0.0.1"])
            stream = await anyio.connect_tcp("127.0.0.1", port)
            await stream.aclose()
            for address in own_non_loopback_addresses():  # only ever this machine's own
                with anyio.fail_after(10), pytest.raises(OSError):
                    await anyio.connect_tcp(address, port)
        assert "WITHOUT AUTHENTICATION" not in proc.output()

    @pytest.mark.parametrize("command", list(COMMANDS))
    async def test_an_open_broker_off_loopback_warns_loudly(
        self, project: Path, command: str
    ) -> None:
        make, _ = COMMANDS[command]
        with spawned(make(project / "b.db", "0.0.0.0", 0), project, command) as proc:
            output = await logged(proc, "WITHOUT AUTHENTICATION")
            proc.kill()  # open to the network: stop it at once
        (line,) = [line for line in output.splitlines() if "WITHOUT AUTHENTICATION" in line]
        assert "WARNING" in line and "http://0.0.0.0:" in line
        assert "SDK_BROKER_USERS" in line and "127.0.0.1" in line

    async def test_a_broker_with_credentials_off_loopback_does_not_warn(
        self, project: Path
    ) -> None:
        key = f"key-{secrets.token_hex(10)}"
        args = [*broker_command(project / "b.db", "0.0.0.0", 0), "--api-key", key]
        with spawned(args, project, "broker") as proc:
            output = await logged(proc, "broker: serving http://0.0.0.0:")
            proc.kill()
        assert "WITHOUT AUTHENTICATION" not in output
        assert key not in output
