"""Our broker on the peers' PostgreSQL server (its own database), with our worker."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import anyio

from sdk.bench import BenchConfig, run
from sdk.bench._procstat import cpu_seconds
from sdk.bench._run import _wait_reachable
from sdk.testing.postgres import free_port


async def ours_on_postgres(database_url: str, jobs: int, mode: str) -> dict[str, Any]:
    """``python -m sdk.broker --database-url``; the bench's worker in ``mode`` against it."""
    port = free_port()
    command = [sys.executable, "-m", "sdk.broker", "--database-url", database_url]
    proc = await anyio.open_process(
        [*command, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}/v2"
    try:
        await _wait_reachable(url, proc)
        cpu0 = cpu_seconds(proc.pid) or 0.0
        figures = await run(BenchConfig(jobs=jobs, mode=mode, address=url, progress=False))
        broker_cpu = (cpu_seconds(proc.pid) or 0.0) - cpu0
    finally:
        proc.terminate()
        await proc.wait()
    return {
        **figures,
        # creating the jobs is included here, unlike on the embedded broker
        "broker_cpu_us_per_job": round(broker_cpu / jobs * 1e6, 1),
    }
