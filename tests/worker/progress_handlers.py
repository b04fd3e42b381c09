"""Handlers that report progress, importable by child processes (the process strategy).

Each reports ``STEPS`` values in a row, then holds the job until the test creates the file
named by the ``release`` variable (an async handler: until ``released(name)`` is set), so the
last report's turn comes while the job runs.
"""

from __future__ import annotations

import time
from pathlib import Path

import anyio

from sdk.worker import JobContext

STEPS = 5
HOLD_S = 30.0


def last_step() -> tuple[float, str]:
    return STEPS / 10, f"step {STEPS}"


def report_steps(job: JobContext) -> None:
    for step in range(1, STEPS + 1):
        job.report_progress(step / 10, f"step {step}")


def reporting(job: JobContext) -> dict[str, bool]:
    report_steps(job)
    release = Path(job.variables["release"])
    give_up = time.monotonic() + HOLD_S
    while not release.exists() and time.monotonic() < give_up:
        time.sleep(0.01)  # the handler's work: held until the test has looked
    return {"released": release.exists()}


_RELEASES: dict[str, anyio.Event] = {}


def released(name: str) -> anyio.Event:
    """What holds an async handler (in the test's process) until the test sets it."""
    return _RELEASES.setdefault(name, anyio.Event())


async def reporting_async(job: JobContext) -> dict[str, bool]:
    report_steps(job)
    with anyio.move_on_after(HOLD_S):
        await released(job.variables["release"]).wait()
    return {"released": released(job.variables["release"]).is_set()}
