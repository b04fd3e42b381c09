"""The benchmark's handlers. Module-level, so the process strategy can import them."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio

from ..worker import JobContext

JOB_TYPE = "bench"

stamps: dict[str, float] = {}
"""Job key → wall-clock time (``time.time()``) at handler start, in-process strategies only:
the broker's ``Committed-At`` stamps are on the same clock."""

CPU_BURN_S = 0.005


async def noop(job: JobContext) -> None:
    stamps[job.job_key] = time.time()


async def sleep(job: JobContext) -> None:
    stamps[job.job_key] = time.time()
    await anyio.sleep(0.01)


def cpu(job: JobContext) -> None:
    """Burns ``CPU_BURN_S`` of CPU in the child process (no stamp: another process)."""
    end = time.thread_time() + CPU_BURN_S
    while time.thread_time() < end:
        pass


@dataclass(frozen=True)
class Scenario:
    handler: Callable[..., Any] | None
    """In-process handler; ``None``: a ``python -m sdk.worker`` subprocess is measured."""
    strategy: str
    concurrency: int | None
    """Slots; ``None``: one per job, all in flight at once."""
    jobs: int = 20_000
    live: bool = False
    """Jobs are created during the run, at a fixed rate, instead of before it."""


SCENARIOS = {
    "noop": Scenario(noop, "async", 64),
    "sleep": Scenario(sleep, "async", 1_000),
    "cpu": Scenario(cpu, "process", 2),
    "latency": Scenario(noop, "async", 64, jobs=2_000, live=True),
    "idle": Scenario(None, "async", 32, jobs=0),
    "hold": Scenario(None, "async", None, jobs=10_000),
    "process": Scenario(noop, "async", 64, jobs=900),
}
"""``process``: its jobs are per model, created by instances of BPMN processes (see
``_flows``)."""
