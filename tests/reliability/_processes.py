"""Real processes for the crash tests: a broker and workers run as users run them.

Each process writes its output to a file (not a pipe nobody reads, which could fill up and
stall it); ``output()`` shows it when an assertion fails.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sdk.client import AsyncClient
from sdk.errors import ServerUnreachableError
from sdk.testing import wait_until

START_TIMEOUT_S = 30.0
"""A fresh interpreter importing the package on a busy 2-core machine can take seconds."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(**extra: str) -> dict[str, str]:
    """The environment minus the machine's ``CAMUNDA_*`` / ``SDK_*`` settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAMUNDA_", "SDK_"))}
    env.update(PYTHONUNBUFFERED="1", **extra)
    return env


def client_config(address: str, **extra: str) -> dict[str, str]:
    return {"CAMUNDA_REST_ADDRESS": address, "CAMUNDA_AUTH_STRATEGY": "NONE", **extra}


@dataclass
class Process:
    """A child process and the file that collects its output."""

    popen: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed or handed back."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=10)


def _spawn(args: list[str], cwd: Path, log: Path, env: Mapping[str, str]) -> Process:
    with log.open("ab") as out:
        popen = subprocess.Popen(
            [sys.executable, *args], cwd=cwd, env=dict(env), stdout=out, stderr=subprocess.STDOUT
        )
    return Process(popen, log)


@contextmanager
def broker_process(db: Path, port: int, log: Path) -> Iterator[Process]:
    """``python -m sdk.broker --db DB --port PORT``; killed when the block ends."""
    proc = _spawn(
        ["-m", "sdk.broker", "--db", str(db), "--port", str(port)], db.parent, log, clean_env()
    )
    try:
        yield proc
    finally:
        proc.kill()


@contextmanager
def replica_process(database_url: str, port: int, log: Path) -> Iterator[Process]:
    """``python -m sdk.broker --database-url URL --port PORT``: one of several brokers on one
    PostgreSQL database; killed when the block ends."""
    args = ["-m", "sdk.broker", "--database-url", database_url, "--port", str(port)]
    proc = _spawn(args, log.parent, log, clean_env())
    try:
        yield proc
    finally:
        proc.kill()


@contextmanager
def worker_process(
    module: str, name: str, address: str, cwd: Path, **env: str
) -> Iterator[Process]:
    """``python -m sdk.worker MODULE --name NAME`` against ``address``; killed at the end."""
    proc = _spawn(
        ["-m", "sdk.worker", module, "--name", name],
        cwd,
        cwd / f"{name}.log",
        clean_env(**client_config(address), **env),
    )
    try:
        yield proc
    finally:
        proc.kill()


async def wait_reachable(client: AsyncClient, proc: Process | None = None) -> None:
    """Until the server answers ``topology``; fails at once if ``proc`` died instead."""

    async def answers() -> bool:
        if proc is not None and proc.popen.poll() is not None:
            raise AssertionError(f"process exited with {proc.popen.returncode}:\n{proc.output()}")
        try:
            await client.topology()
        except ServerUnreachableError:
            return False
        return True

    await wait_until(answers, timeout_s=START_TIMEOUT_S, interval_s=0.05, message="server up")
