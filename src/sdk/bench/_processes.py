"""``python -m sdk.bench --processes N``: the worker as users run it, in N processes.

The broker runs in a subprocess as for every bench run; the worker is ``python -m sdk.worker
sdk.bench._worker_module --processes N`` (one process for N = 1, else a supervisor and N
children). Jobs are created first; the clock starts when every worker process is ready and
the gate opens, and stops at the last durable completion. Worker CPU and memory are summed
over the worker's processes (supervisor included).
"""

from __future__ import annotations

import dataclasses
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
from anyio.abc import Process
from loguru import logger

from .. import __version__
from . import _procstat, _run
from ._run import BenchConfig
from ._scenarios import SCENARIOS
from ._worker_module import (
    CONCURRENCY_ENV,
    GATE_ENV,
    GO,
    READY_PREFIX,
    SCENARIO_ENV,
    STRATEGY_ENV,
)

START_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 60.0


def check(config: BenchConfig) -> None:
    """Raise ``ValueError`` for what ``--processes`` cannot measure."""
    if config.processes is None:
        return
    if config.processes < 1:
        raise ValueError(f"--processes must be 1 or more, not {config.processes}")
    if config.address is not None:
        raise ValueError("--processes measures against the embedded broker: leave out --address")
    scenario = SCENARIOS[config.scenario]
    if scenario.live or scenario.handler is None or config.scenario == "process":
        raise ValueError(f"--processes measures pre-created jobs, not --scenario {config.scenario}")
    if config.mode != "batch":
        raise ValueError(
            "--processes runs `python -m sdk.worker`, which reports in batches on the"
            " embedded broker: use --mode batch"
        )


async def run_processes(config: BenchConfig) -> dict[str, Any]:
    """One benchmark run with the worker in ``config.processes`` processes."""
    check(config)
    logger.disable("sdk")
    count = config.processes or 1
    scenario = SCENARIOS[config.scenario]
    if config.jobs is None:
        config = dataclasses.replace(config, jobs=scenario.jobs)
    assert config.jobs is not None
    async with _run._broker(config) as broker, _run._client(broker.url) as client:
        assert broker.db is not None  # check: the embedded broker
        await _run._create(client, config.jobs)
        with tempfile.TemporaryDirectory(prefix="sdk-bench-gate-") as folder:
            gate = Path(folder)
            proc = await _start_worker(config, broker.url, gate)
            try:
                pids = [proc.pid, *(p for p in await _ready(gate, count, proc) if p != proc.pid)]
                cpu0, broker_cpu0 = _cpu(pids), _run._broker_cpu(broker)
                await anyio.Path(gate / GO).touch()
                started = time.perf_counter()
                await _until_completed(_run._completed_counter(broker.db), config, proc)
                elapsed = time.perf_counter() - started
                cpu1, broker_cpu1 = _cpu(pids), _run._broker_cpu(broker)
                rss = sum(_procstat.rss_mb(pid) or 0.0 for pid in pids)
            finally:
                exit_code = await _stop(proc)
        latencies = _run._held_ms(broker.db)
    return {
        "scenario": config.scenario,
        "mode": config.mode,
        "strategy": config.strategy or scenario.strategy,
        "concurrency": config.concurrency or scenario.concurrency,
        "worker": f"{count} process{'es' if count > 1 else ''}",
        "processes": count,
        "jobs": config.jobs,
        "elapsed_s": round(elapsed, 3),
        "jobs_per_s": round(config.jobs / elapsed, 1),
        "p50_ms": _run._round(_run._percentile(latencies, 50)),
        "p99_ms": _run._round(_run._percentile(latencies, 99)),
        "latency": "activated → completed",
        "worker_cpu_us_per_job": _run._per_job(cpu0, cpu1, config.jobs),
        "broker_cpu_us_per_job": _run._per_job(broker_cpu0, broker_cpu1, config.jobs),
        "worker_rss_mb": _run._round(rss),
        "worker_exit_code": exit_code,
        "server": "embedded broker (subprocess)",
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "machine": f"{platform.system()} {platform.machine()}",
        "sdk": __version__,
    }


async def _start_worker(config: BenchConfig, url: str, gate: Path) -> Process:
    env = {
        **os.environ,
        "CAMUNDA_REST_ADDRESS": url,
        "CAMUNDA_AUTH_STRATEGY": "NONE",
        GATE_ENV: str(gate),
        SCENARIO_ENV: config.scenario,
        STRATEGY_ENV: config.strategy or "",
        CONCURRENCY_ENV: str(config.concurrency or ""),
    }
    command = [sys.executable, "-m", "sdk.worker", "sdk.bench._worker_module"]
    command += ["--processes", str(config.processes or 1), "--name", "bench"]
    command += ["--log-level", "WARNING"]  # no line per job, as in the in-process run
    return await anyio.open_process(command, env=env, stdout=subprocess.DEVNULL, stderr=None)


async def _ready(gate: Path, count: int, proc: Process) -> list[int]:
    """The PIDs of the ``count`` worker processes, once each waits at the gate."""
    with anyio.fail_after(START_TIMEOUT_S):
        while True:
            if proc.returncode is not None:
                raise RuntimeError(f"the worker exited with {proc.returncode} (see above)")
            ready = [p async for p in anyio.Path(gate).glob(f"{READY_PREFIX}*")]
            pids = [int(p.name.removeprefix(READY_PREFIX)) for p in ready]
            if len(pids) >= count:
                return pids
            await anyio.sleep(0.05)


async def _until_completed(done: Callable[[], int], config: BenchConfig, proc: Process) -> None:
    assert config.jobs is not None
    jobs = config.jobs
    seen = [0]
    async with anyio.create_task_group() as tg:
        tg.start_soon(_run._progress, lambda: seen[0], jobs, config.progress)
        with anyio.fail_after(max(600, jobs / 10)):
            while seen[0] < jobs:
                if proc.returncode is not None:
                    raise RuntimeError(f"the worker exited with {proc.returncode} (see above)")
                await anyio.sleep(0.01)
                seen[0] = await anyio.to_thread.run_sync(done)


async def _stop(proc: Process) -> int:
    """SIGTERM (drain), as a deployment stops it; its exit code (SIGKILL after a timeout)."""
    if proc.returncode is None:
        proc.send_signal(signal.SIGTERM)
    with anyio.move_on_after(STOP_TIMEOUT_S):
        return await proc.wait()
    proc.kill()
    return await proc.wait()


def _cpu(pids: list[int]) -> float | None:
    values = [_procstat.cpu_seconds(pid) for pid in pids]
    return None if None in values else sum(v for v in values if v is not None)
