"""Running ``python -m sdk.worker`` as users do: a subprocess with a clean environment."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import anyio.to_thread

from sdk.broker import RunningBroker
from sdk.client import AsyncClient
from sdk.models import Job, JobKey, JobState


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment minus the machine's ``CAMUNDA_*``/``SDK_*`` settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAMUNDA_", "SDK_"))}
    env.update(SDK_DATA_DIR=str(tmp_path / "data"), PYTHONUNBUFFERED="1", **extra)
    return env


@contextmanager
def worker_process(
    project: Path, *args: str, **env: str
) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """``python -m sdk.worker ARGS`` in ``project``; yields the process and its output file.

    Output goes to a file, not a pipe, so a chatty worker never blocks on a full pipe.
    """
    output = project / f"worker-{len(list(project.glob('worker-*.log')))}.log"
    with output.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sdk.worker", *args],
            cwd=project,
            env=clean_env(project, **env),
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        yield proc, output
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


async def exit_code(proc: subprocess.Popen[bytes], timeout_s: float = 30) -> int:
    """Wait for ``proc`` to end without blocking the event loop."""
    return await anyio.to_thread.run_sync(proc.wait, timeout_s)


def server_env(broker: RunningBroker) -> dict[str, str]:
    """The environment that points a worker process at ``broker``."""
    return {"CAMUNDA_REST_ADDRESS": broker.url, "CAMUNDA_AUTH_STRATEGY": "NONE"}


async def in_state(client: AsyncClient, key: JobKey, state: JobState) -> Job | None:
    """Job ``key`` when it is in ``state`` (a ``wait_until`` condition), else ``None``."""
    job = await client.get_job(key)
    return job if job.state is state else None


def events(job: Job) -> list[tuple[str, str | None]]:
    """``(event, worker)`` of each entry of the job's history."""
    return [(e.event, e.worker) for e in job.history or []]
