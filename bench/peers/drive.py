"""Run one peer: write its module, enqueue, run its worker until no job is left; its row."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
from anyio.abc import Process

from sdk.bench._procstat import cpu_seconds

from . import Peer, Skipped

POLL_S = 0.01


def tree(pid: int) -> list[int]:
    """``pid`` and every process below it (Celery and dramatiq fork their workers)."""
    found = [pid]
    for each in found:
        try:
            tasks = Path(f"/proc/{each}/task").iterdir()
            for task in tasks:
                found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def tree_cpu(pid: int) -> float:
    return sum(cpu_seconds(p) or 0.0 for p in tree(pid))


def redis_counter(url: str, commands: str) -> Callable[[], int]:
    """The jobs left, as the sum of Redis commands (``XGROUP_LEFT stream group``: the group's
    pending and not yet delivered entries)."""
    import redis

    client: Any = redis.Redis.from_url(url)  # typed only where the bench extra is installed

    def left() -> int:
        total = 0
        for command in commands.split(";"):
            name, *args = command.split()
            if name == "XGROUP_LEFT":
                groups = client.xinfo_groups(args[0])
                group = next(g for g in groups if g["name"].decode() == args[1])
                total += int(group["pending"]) + int(group.get("lag") or 0)
            else:
                total += int(client.execute_command(name, *args))
        return total

    return left


def sql_counter(url: str, query: str) -> Callable[[], int]:
    import psycopg

    conn = psycopg.connect(url, autocommit=True)

    def left() -> int:
        row = conn.execute(query.encode()).fetchone()
        return int(row[0]) if row else 0

    return left


def _env(url: str) -> dict[str, str]:
    return {**os.environ, "BENCH_URL": url, "PGDSN": url, "PYTHONPATH": ""}


def _child(folder: Path, url: str, args: list[str], what: str) -> None:
    result = subprocess.run(
        [sys.executable, *args], cwd=folder, env=_env(url), capture_output=True, text=True
    )
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise Skipped(f"{what} failed: {' / '.join(tail)}")


async def drive(peer: Peer, url: str, folder: Path, jobs: int) -> dict[str, Any]:
    """Enqueue ``jobs`` no-ops and time the worker from its first job taken to the last
    done: jobs/s and worker CPU µs per job over that window."""
    (folder / "peer_noop.py").write_text(peer.module)
    for command in peer.setup:
        await anyio.to_thread.run_sync(_child, folder, url, list(command), "set-up")
    code = peer.enqueue.replace("{jobs}", str(jobs))
    await anyio.to_thread.run_sync(_child, folder, url, ["-c", code], "enqueueing")
    counter = redis_counter if url.startswith("redis") else sql_counter
    left = counter(url, peer.remaining)
    if (queued := await anyio.to_thread.run_sync(left)) != jobs:
        raise Skipped(f"{queued} jobs queued after enqueueing {jobs}")
    log = folder / "worker.log"
    with log.open("wb") as out:
        proc = await anyio.open_process(
            [sys.executable, *peer.worker], cwd=folder, env=_env(url), stdout=out, stderr=out
        )
    try:
        return await _timed(proc, left, jobs, log)
    finally:
        await _stop(proc)


async def _stop(proc: Process) -> None:
    with contextlib.suppress(ProcessLookupError):  # it may have exited on its own
        proc.terminate()
    with anyio.move_on_after(10):
        await proc.wait()
    if proc.returncode is None:
        proc.kill()
        await proc.wait()


async def _timed(proc: Process, left: Callable[[], int], jobs: int, log: Path) -> dict[str, Any]:
    first: tuple[float, float, int] | None = None
    with anyio.fail_after(max(600.0, jobs / 10)):
        while True:
            now_left = await anyio.to_thread.run_sync(left)
            now = time.perf_counter()
            if proc.returncode is not None:
                text = await anyio.Path(log).read_text(errors="replace")
                tail = text.strip().splitlines()[-3:]
                raise Skipped(f"the worker exited with {proc.returncode}: {' / '.join(tail)}")
            if first is None and now_left < jobs:
                first = (now, tree_cpu(proc.pid), now_left)
            if now_left == 0:
                break
            await anyio.sleep(POLL_S)
    assert first is not None
    started, cpu0, counted = first
    if counted < jobs // 2:
        raise Skipped(f"only {counted} of {jobs} jobs were left at the first look: use more")
    elapsed = time.perf_counter() - started
    cpu = tree_cpu(proc.pid) - cpu0
    return {
        "jobs": jobs,
        "jobs_per_s": round(counted / elapsed, 1),
        "worker_cpu_us_per_job": round(cpu / counted * 1e6, 1),
    }
