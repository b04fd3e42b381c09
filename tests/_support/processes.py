"""Real processes run as users run them: ``python -m sdk.worker``, ``python -m sdk.broker``.

Each process writes its output to a file (not a pipe nobody reads, which could fill up and
stall it); ``Process.output()`` shows it when an assertion fails. Every process gets a clean
environment whose data folder is the test's own, so nothing reads or writes the machine's.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import anyio.to_thread

from sdk.client import AsyncClient
from sdk.errors import ServerUnreachableError
from sdk.testing import wait_until

START_TIMEOUT_S = 30.0
"""A fresh interpreter importing the package on a busy 2-core machine can take seconds."""


def clean_env(root: Path, **extra: str) -> dict[str, str]:
    """The environment minus the machine's ``CAMUNDA_*`` / ``SDK_*`` settings, with the data
    folder (an embedded broker's default file) under ``root``, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAMUNDA_", "SDK_"))}
    env.update(SDK_DATA_DIR=str(root / "data"), PYTHONUNBUFFERED="1", **extra)
    return env


def client_config(address: str, **extra: str) -> dict[str, str]:
    """The settings that point a client or worker at the broker at ``address``, no auth."""
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


@contextmanager
def spawned(args: Sequence[str], cwd: Path, name: str, **env: str) -> Iterator[Process]:
    """``python ARGS`` in ``cwd`` with a clean environment plus ``env``; stdout and stderr
    appended to ``cwd/NAME.log``. Killed (SIGKILL) when the block ends if it still runs."""
    log = cwd / f"{name}.log"
    with log.open("ab") as out:
        popen = subprocess.Popen(
            [sys.executable, *args],
            cwd=cwd,
            env=clean_env(cwd, **env),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    proc = Process(popen, log)
    try:
        yield proc
    finally:
        proc.kill()


def broker_process(db: Path, port: int, name: str = "broker") -> AbstractContextManager[Process]:
    """``python -m sdk.broker --db DB --port PORT`` beside ``db``; killed when the block ends.
    A broker started again under the same ``name`` appends to the same log."""
    return spawned(["-m", "sdk.broker", "--db", str(db), "--port", str(port)], db.parent, name)


def replica_process(
    database_url: str, port: int, cwd: Path, name: str
) -> AbstractContextManager[Process]:
    """``python -m sdk.broker --database-url URL --port PORT``: one of several brokers on one
    PostgreSQL database; killed when the block ends."""
    args = ["-m", "sdk.broker", "--database-url", database_url, "--port", str(port)]
    return spawned(args, cwd, name)


def worker_process(cwd: Path, *args: str, **env: str) -> AbstractContextManager[Process]:
    """``python -m sdk.worker ARGS`` in ``cwd`` (a user's project); killed when the block ends.

    Its output goes to the next free ``worker-N.log`` in ``cwd``."""
    name = f"worker-{len(list(cwd.glob('worker-*.log')))}"
    return spawned(["-m", "sdk.worker", *args], cwd, name, **env)


async def exit_code(proc: Process, timeout_s: float = 30) -> int:
    """Wait for ``proc`` to end without blocking the event loop."""
    return await anyio.to_thread.run_sync(proc.popen.wait, timeout_s)


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
