"""One benchmark run: pre-create jobs, run a worker on them, measure throughput and latency."""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import anyio
from anyio.abc import Process
from loguru import logger

from .. import __version__
from ..client import AsyncClient
from ..errors import ServerUnreachableError
from ..models import JobSpec
from ..worker import Worker
from . import _procstat
from ._footprint import footprint
from ._scenarios import JOB_TYPE, SCENARIOS, Scenario, stamps

CREATE_BATCH = 5_000


@dataclass(frozen=True)
class BenchConfig:
    """What to measure. ``address`` ``None`` starts an embedded broker in a subprocess."""

    jobs: int | None = None
    """Default: the scenario's (20,000; latency 2,000; hold 10,000)."""
    scenario: str = "noop"
    strategy: str | None = None
    concurrency: int | None = None
    mode: str = "exact"
    address: str | None = None
    rate_per_s: float = 200.0
    progress: bool = True
    broker_args: tuple[str, ...] = field(default_factory=tuple)
    processes: int | None = None
    """``None``: the worker runs in the bench's process; N: ``python -m sdk.worker
    --processes N`` (see ``sdk.worker.group``)."""


@dataclass
class _Broker:
    url: str
    pid: int | None
    db: Path | None


@asynccontextmanager
async def _broker(config: BenchConfig) -> AsyncIterator[_Broker]:
    if config.address is not None:
        yield _Broker(url=config.address, pid=None, db=None)
        return
    with tempfile.TemporaryDirectory(prefix="sdk-bench-") as folder:
        db = Path(folder) / "bench.db"
        port = _free_port()
        command = [
            sys.executable,
            "-m",
            "sdk.broker",
            "--db",
            str(db),
            "--port",
            str(port),
            *config.broker_args,
        ]
        proc = await anyio.open_process(command, stdout=subprocess.DEVNULL, stderr=None)
        try:
            url = f"http://127.0.0.1:{port}/v2"
            await _wait_reachable(url, proc)
            yield _Broker(url=url, pid=proc.pid, db=db)
        finally:
            if proc.returncode is None:  # one that exited at start keeps its own error
                proc.terminate()
            await proc.wait()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _wait_reachable(url: str, proc: Process) -> None:
    async with _client(url) as client:
        with anyio.fail_after(30):
            while True:
                if proc.returncode is not None:
                    raise RuntimeError(f"the broker exited with {proc.returncode} (see above)")
                try:
                    await client.topology()
                    return
                except ServerUnreachableError:
                    await anyio.sleep(0.05)


def _client(url: str) -> AsyncClient:
    return AsyncClient(configuration={"CAMUNDA_REST_ADDRESS": url, "CAMUNDA_AUTH_STRATEGY": "NONE"})


async def _create(client: AsyncClient, count: int, spec: JobSpec | None = None) -> None:
    spec = spec or JobSpec(type=JOB_TYPE)
    for start in range(0, count, CREATE_BATCH):
        await client.create_jobs([spec] * min(CREATE_BATCH, count - start))


def _held_ms(db: Path | None) -> list[float]:
    """Per job: activation → durable completion, from the embedded broker's history."""
    if db is None:
        return []
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT MAX(CASE WHEN event = 'COMPLETED' THEN at END)"
            " - MAX(CASE WHEN event = 'ACTIVATED' THEN at END)"
            " FROM job_events GROUP BY job_key"
        ).fetchall()
    return [float(r[0]) for r in rows if r[0] is not None]


def _completed_counter(db: Path) -> Callable[[], int]:
    """Counts durable completions in the embedded broker's file.

    Each look reads only the history committed since the last one: a count over the job
    table grows with the run, and at a look every few milliseconds it took a share of the
    CPU the measured worker and broker run on.
    """
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, check_same_thread=False)
    done, read = 0, 0  # completions counted, the last history row read

    def count() -> int:
        # blocking: the caller runs it in a worker thread, off the event loop
        nonlocal done, read
        more, last = conn.execute(
            "SELECT COUNT(CASE WHEN event = 'COMPLETED' AND job_type = ? THEN 1 END), MAX(id)"
            " FROM job_events WHERE id > ?",
            (JOB_TYPE, read),
        ).fetchone()
        if last is not None:  # one statement, one snapshot: the count and the mark agree
            done, read = done + int(more), int(last)
        return done

    return count


def _reported_counter(worker: Worker) -> Callable[[], Awaitable[int]]:
    """Counts the completions a remote server confirmed, from the worker's own metrics (its
    store is out of reach): the run ends with the last answer, not the last handler. Read on
    the event loop, which changes those metrics (a thread could find a series being added)."""
    registry = worker.metrics_registry
    labels = {"job_type": JOB_TYPE}

    async def count() -> int:
        return int(registry.get_sample_value("sdk_worker_jobs_completed_total", labels) or 0)

    return count


def _state_counter(db: Path) -> Callable[[str], int]:
    """Counts the bench's jobs in a state, in the embedded broker's file."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, check_same_thread=False)

    def count(state: str) -> int:
        # blocking: the caller runs it in a worker thread, off the event loop
        (value,) = conn.execute(
            "SELECT COUNT(*) FROM jobs WHERE type = ? AND state = ?", (JOB_TYPE, state)
        ).fetchone()
        return int(value)

    return count


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


async def _progress(done: Callable[[], int], total: int, enabled: bool) -> None:
    if not enabled:
        return
    while True:
        count = done()
        width = 30
        filled = int(width * count / total) if total else width
        sys.stderr.write(f"\r  [{'#' * filled}{'.' * (width - filled)}] {count}/{total}")
        sys.stderr.flush()
        if count >= total:
            sys.stderr.write("\n")
            return
        await anyio.sleep(0.5)


async def run(config: BenchConfig) -> dict[str, Any]:
    """Run one benchmark and return its figures (see ``python -m sdk.bench --help``)."""
    if config.processes is not None:
        from ._processes import run_processes

        return await run_processes(config)
    if config.scenario == "process":
        from ._flows import run_flows

        return await run_flows(config)
    scenario: Scenario = SCENARIOS[config.scenario]
    strategy = config.strategy or scenario.strategy
    jobs = scenario.jobs if config.jobs is None else config.jobs
    concurrency = config.concurrency or scenario.concurrency or jobs
    _check(config, scenario, strategy)
    logger.disable("sdk")
    stamps.clear()
    figures = {
        "scenario": config.scenario,
        "mode": config.mode,
        "strategy": strategy,
        "concurrency": concurrency,
        "worker": "in-process",
        "jobs": jobs,
    }
    async with _broker(config) as broker, _client(broker.url) as client:
        if scenario.handler is None:
            assert broker.db is not None  # _check: the embedded broker
            with tempfile.TemporaryDirectory(prefix="sdk-bench-worker-") as folder:
                measured = await footprint(
                    partial(_create, client),
                    broker.url,
                    _state_counter(broker.db),
                    jobs=jobs,
                    slots=concurrency,
                    batching=config.mode == "batch",
                    folder=Path(folder),
                )
            return {**figures, **measured, **_environment(broker)}
        if not scenario.live:
            await _create(client, jobs)
        worker = Worker(
            "bench",
            request_timeout_ms=5_000,
            timeout_ms=120_000,
            report_batching=config.mode == "batch",
        )
        worker.task(JOB_TYPE, strategy=strategy, max_jobs=concurrency)(scenario.handler)
        # made before the clock starts (the worker's metrics registry is made on first use)
        done: Callable[[], Awaitable[int]] = (
            _reported_counter(worker)
            if broker.db is None
            else partial(anyio.to_thread.run_sync, _completed_counter(broker.db))
        )
        cpu0, broker_cpu0 = _procstat.cpu_seconds(), _broker_cpu(broker)
        started = time.perf_counter()
        committed: dict[str, float] = {}
        async with anyio.create_task_group() as tg:
            tg.start_soon(worker.run, client)
            if scenario.live:
                tg.start_soon(_offer, worker, broker.url, config.rate_per_s, jobs, committed)
            seen = [0]
            tg.start_soon(_progress, lambda: seen[0], jobs, config.progress)
            with anyio.fail_after(max(600, jobs / 10)):
                while seen[0] < jobs or worker.in_flight:
                    await anyio.sleep(0.01)
                    seen[0] = await done()
            elapsed = time.perf_counter() - started
            worker.stop()
        cpu1, broker_cpu1 = _procstat.cpu_seconds(), _broker_cpu(broker)
        rss = _procstat.rss_mb()
        if scenario.live:
            latencies = [(stamps[key] - at) * 1000 for key, at in committed.items()]
        else:
            latencies = _held_ms(broker.db)
    return {
        **figures,
        "elapsed_s": round(elapsed, 3),
        "jobs_per_s": round(jobs / elapsed, 1),
        "p50_ms": _round(_percentile(latencies, 50)),
        "p99_ms": _round(_percentile(latencies, 99)),
        "latency": "commit of creation → handler start"
        if scenario.live
        else "activated → completed",
        "worker_cpu_us_per_job": _per_job(cpu0, cpu1, jobs),
        "broker_cpu_us_per_job": _per_job(broker_cpu0, broker_cpu1, jobs),
        "worker_rss_mb": _round(rss),
        **_environment(broker),
    }


def _check(config: BenchConfig, scenario: Scenario, strategy: str) -> None:
    if config.mode not in {"exact", "batch"}:
        raise ValueError(f"unknown mode {config.mode!r}; use 'exact' or 'batch'")
    if config.address is None:
        return
    if strategy == "process":
        raise ValueError("the process strategy can only be measured on the embedded broker")
    if scenario.handler is None:
        raise ValueError(f"--scenario {config.scenario} measures a worker of the embedded broker")
    if scenario.live:
        raise ValueError("--scenario latency needs the embedded broker (its commit stamps)")


def _environment(broker: _Broker) -> dict[str, Any]:
    return {
        "server": broker.url if broker.pid is None else "embedded broker (subprocess)",
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "machine": f"{platform.system()} {platform.machine()}",
        "sdk": __version__,
    }


async def _offer(
    worker: Worker, url: str, rate_per_s: float, jobs: int, committed: dict[str, float]
) -> None:
    """Once the worker polls, create ``jobs`` at ``rate_per_s`` from another process
    (``_offer``) and keep each job's commit time."""
    with anyio.fail_after(30):
        while True:
            ready, _ = worker.readiness
            if ready:
                break
            await anyio.sleep(0.01)
    command = [sys.executable, "-m", "sdk.bench._offer", url, str(rate_per_s), str(jobs)]
    result = await anyio.run_process(command, stderr=None)
    committed.update((key, at) for key, at in json.loads(result.stdout))


def _broker_cpu(broker: _Broker) -> float | None:
    """The embedded broker subprocess's CPU seconds; unknown for a remote server."""
    return None if broker.pid is None else _procstat.cpu_seconds(broker.pid)


def _per_job(before: float | None, after: float | None, jobs: int) -> float | None:
    if before is None or after is None:
        return None
    return round((after - before) / jobs * 1e6, 1)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
