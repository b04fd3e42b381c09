"""The memory scenarios: a ``python -m sdk.worker`` process, idle or holding sleeping jobs.

The worker is the command users run, in a process of its own pointed at the broker
(``CAMUNDA_REST_ADDRESS``), so its resident memory is what a deployment sees: no bench code,
no broker code. ``idle``: RSS once it has worked one job and waits in its long poll.
``hold``: then ``jobs`` more jobs whose handlers sleep (``await anyio.sleep``) until the end;
RSS once the broker has handed all of them out and the worker's memory stops growing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
from anyio.abc import Process

from ..models import JobSpec
from . import _procstat
from ._scenarios import JOB_TYPE

HANDLERS = """\
import anyio

from sdk.worker import JobContext, Worker

worker = Worker(report_batching={batching})


@worker.task({job_type!r}, max_jobs={slots})
async def bench(job: JobContext, hold: bool = False) -> None:
    if hold:
        await anyio.sleep(3600)
"""
"""The measured worker's handler module: returns at once, or sleeps when ``hold`` is set."""

SETTLE_S = 1.0
"""RSS counts as settled once it has not grown for this long."""
SETTLE_LIMIT_S = 30.0


async def footprint(
    create: Callable[[int, JobSpec], Awaitable[None]],
    url: str,
    db_count: Callable[[str], int],
    *,
    jobs: int,
    slots: int,
    batching: bool,
    folder: Path,
) -> dict[str, Any]:
    """Start the worker, let it go idle, then (``jobs`` > 0) make it hold ``jobs`` jobs."""
    (folder / "bench_handlers.py").write_text(
        HANDLERS.format(batching=batching, job_type=JOB_TYPE, slots=slots)
    )
    env = {
        **os.environ,
        "CAMUNDA_REST_ADDRESS": url,
        "CAMUNDA_AUTH_STRATEGY": "NONE",
        "SDK_LOG_LEVEL": "WARNING",
    }
    env.pop("SDK_HTTP_PORT", None)
    command = [sys.executable, "-m", "sdk.worker", "bench_handlers", "--grace-period", "0"]
    proc = await anyio.open_process(command, cwd=folder, env=env, stdout=subprocess.DEVNULL)
    try:
        await create(1, JobSpec(type=JOB_TYPE))
        await _until(lambda: db_count("COMPLETED") >= 1, proc, "its first job")
        idle_mb = await _settled_rss(proc.pid)
        figures: dict[str, Any] = {"worker_idle_rss_mb": _round(idle_mb)}
        if jobs:
            cpu0 = _procstat.cpu_seconds(proc.pid)
            started = time.perf_counter()
            await create(jobs, JobSpec(type=JOB_TYPE, variables={"hold": True}))
            await _until(lambda: db_count("ACTIVATED") >= jobs, proc, f"{jobs} held jobs")
            elapsed = time.perf_counter() - started
            held_mb = await _settled_rss(proc.pid)
            cpu1 = _procstat.cpu_seconds(proc.pid)
            figures |= {
                "elapsed_s": round(elapsed, 3),
                "worker_hold_rss_mb": _round(held_mb),
                "kb_per_held_job": round((held_mb - idle_mb) * 1024 / jobs, 2),
                "worker_cpu_us_per_job": None
                if cpu0 is None or cpu1 is None
                else round((cpu1 - cpu0) / jobs * 1e6, 1),
            }
        figures["worker_peak_rss_mb"] = _round(_procstat.peak_rss_mb(proc.pid))
        figures["worker_rss_mb"] = figures.get("worker_hold_rss_mb", figures["worker_idle_rss_mb"])
        return figures
    finally:
        proc.kill()  # held jobs would take their sleep to drain
        await proc.wait()


async def _until(condition: Callable[[], bool], proc: Process, what: str) -> None:
    with anyio.fail_after(300):
        while not await anyio.to_thread.run_sync(condition):
            if proc.returncode is not None:
                raise RuntimeError(f"the worker exited with {proc.returncode} before {what}")
            await anyio.sleep(0.05)


async def _settled_rss(pid: int) -> float:
    """The process's RSS once it has stopped growing for ``SETTLE_S`` (or after the limit)."""
    deadline = time.perf_counter() + SETTLE_LIMIT_S
    top = _procstat.rss_mb(pid) or 0.0
    grew_at = time.perf_counter()
    while time.perf_counter() - grew_at < SETTLE_S and time.perf_counter() < deadline:
        await anyio.sleep(0.1)
        now = _procstat.rss_mb(pid) or 0.0
        if now > top:
            top, grew_at = now, time.perf_counter()
    return top


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
