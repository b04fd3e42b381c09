"""The benchmark's handlers. Module-level, so the process strategy can import them."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio

from ..worker import JobContext

stamps: dict[str, float] = {}
"""Job key → ``perf_counter`` at handler start (in-process strategies only)."""

CPU_BURN_S = 0.005


async def noop(job: JobContext) -> None:
    stamps[job.job_key] = time.perf_counter()


async def sleep(job: JobContext) -> None:
    stamps[job.job_key] = time.perf_counter()
    await anyio.sleep(0.01)


def cpu(job: JobContext) -> None:
    """Burns ``CPU_BURN_S`` of CPU in the child process (no stamp: another process)."""
    end = time.thread_time() + CPU_BURN_S
    while time.thread_time() < end:
        pass


@dataclass(frozen=True)
class Scenario:
    handler: Callable[..., Any]
    strategy: str
    concurrency: int
    live: bool = False
    """Jobs are created during the run, at a fixed rate, instead of before it."""


SCENARIOS = {
    "noop": Scenario(noop, "async", 64),
    "sleep": Scenario(sleep, "async", 1_000),
    "cpu": Scenario(cpu, "process", 2),
    "latency": Scenario(noop, "async", 64, live=True),
}
