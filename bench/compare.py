"""Our worker, the official ``camunda-orchestration-sdk`` worker and dramatiq, in one run.

    pip install -e '.[bench]'           # dramatiq also needs Debian's redis-server
    python bench/compare.py [--jobs 20000] [--official-jobs 300] [--out bench/results]

Our worker and the official one work no-op jobs pre-created on their own fresh embedded
broker (a subprocess, SQLite file, every commit fsynced), each timed from its start to the
last completion durable in the store. dramatiq, the fastest Redis-queue peer measured so
far, works as many no-op messages pre-enqueued on a private ``redis-server`` this script
starts on a free loopback port (and stops after), with one worker process of 8 threads,
timed from the worker's "ready" line to the last acknowledgement; twice: Redis with its
built-in defaults (RDB snapshots, no append-only file: an acknowledged message can be lost
in a crash), and with ``appendonly yes``, ``appendfsync always`` (every write fsynced, the
durability our broker gives). A peer that cannot be installed or started is a row that says
why. Writes ``latest.json``, ``latest.md`` (a table) and ``latest.png`` (jobs/s per system
and setting, with the ratio to ours).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
from anyio.abc import Process

from sdk.bench import BenchConfig, run
from sdk.bench._run import _broker, _client, _completed_counter, _create
from sdk.bench._scenarios import JOB_TYPE

DRAMATIQ_THREADS = 8
REDIS_DEFAULTS = "Redis defaults (no fsync per write)"
REDIS_FSYNC = "Redis appendfsync always"
DRAMATIQ_MODULE = """\
import os

import dramatiq
from dramatiq.brokers.redis import RedisBroker

dramatiq.set_broker(RedisBroker(url=os.environ["BENCH_REDIS_URL"]))


@dramatiq.actor
def noop() -> None:
    pass
"""
"""The dramatiq worker's module: its Redis broker and a no-op actor (default middleware)."""


class Skipped(Exception):
    """A peer that cannot be installed or started here; the message says why."""


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        raise Skipped(f"{package} is not installed (pip install -e '.[bench]')") from None


async def official(jobs: int, max_concurrent_jobs: int) -> dict[str, Any]:
    """The official SDK's worker (async handler) on a fresh embedded broker."""
    version = _version("camunda-orchestration-sdk")
    from camunda_orchestration_sdk import CamundaAsyncClient, NullLogger, WorkerConfig

    async def handler(job: Any) -> dict[str, Any]:
        return {}

    async with _broker(BenchConfig()) as broker:
        async with _client(broker.url) as client:
            await _create(client, jobs)
        done = _completed_counter(broker.db)
        config: Any = {"CAMUNDA_REST_ADDRESS": broker.url, "CAMUNDA_AUTH_STRATEGY": "NONE"}
        async with CamundaAsyncClient(configuration=config, logger=NullLogger()) as camunda:
            started = time.perf_counter()
            worker = camunda.create_job_worker(
                WorkerConfig(
                    job_type=JOB_TYPE,
                    job_timeout_milliseconds=120_000,
                    request_timeout_milliseconds=5_000,
                    max_concurrent_jobs=max_concurrent_jobs,
                ),
                handler,
            )
            try:
                with anyio.fail_after(max(600, jobs)):
                    while True:  # polls the store file: no event crosses processes
                        if await anyio.to_thread.run_sync(done) >= jobs:
                            break
                        await anyio.sleep(0.05)
                elapsed = time.perf_counter() - started
            finally:
                await worker.aclose()
    return {
        "jobs": jobs,
        "jobs_per_s": round(jobs / elapsed, 1),
        "system": f"camunda-orchestration-sdk {version}",
    }


async def ours(jobs: int, mode: str) -> dict[str, Any]:
    return await run(BenchConfig(jobs=jobs, mode=mode, progress=False))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def redis_server(folder: Path, *options: str) -> AsyncIterator[str]:
    """A private ``redis-server`` on a free loopback port, its files in ``folder``; its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise Skipped("redis-server is not installed (apt-get install redis-server)")
    port = _free_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder)]
    proc = await anyio.open_process([*command, *options], stdout=subprocess.DEVNULL)
    try:
        url = f"redis://127.0.0.1:{port}/0"
        await _wait_for_redis(url, proc)
        yield url
    finally:
        proc.terminate()
        await proc.wait()


async def _wait_for_redis(url: str, proc: Process) -> None:
    import redis

    client = redis.Redis.from_url(url)
    try:
        with anyio.fail_after(10):
            while True:
                if proc.returncode is not None:
                    raise Skipped(f"redis-server exited with {proc.returncode} at start-up")
                try:
                    await anyio.to_thread.run_sync(client.ping)
                    return
                except redis.ConnectionError:
                    await anyio.sleep(0.05)
    except TimeoutError:
        raise Skipped("redis-server did not answer within 10 s") from None
    finally:
        client.close()


async def dramatiq_peer(messages: int, persistence: str) -> dict[str, Any]:
    """dramatiq's worker (one process, 8 threads) on ``messages`` pre-enqueued no-ops."""
    version = _version("dramatiq")
    _version("redis")
    options = (
        ("--appendonly", "yes", "--appendfsync", "always") if persistence == REDIS_FSYNC else ()
    )
    with tempfile.TemporaryDirectory(prefix="bench-dramatiq-") as name:
        folder = Path(name)
        (folder / "dramatiq_noop.py").write_text(DRAMATIQ_MODULE)
        async with redis_server(folder, *options) as url:
            env = {**os.environ, "BENCH_REDIS_URL": url}
            await anyio.to_thread.run_sync(_enqueue, folder, env, messages)
            elapsed, cpu_s = await _drain(folder, env, url, messages)
    return {
        "system": f"dramatiq {version}",
        "jobs": messages,
        "jobs_per_s": round(messages / elapsed, 1),
        "worker_cpu_us_per_job": round(cpu_s / messages * 1e6, 1),
    }


def _enqueue(folder: Path, env: dict[str, str], messages: int) -> None:
    """Enqueue the messages from a child process (dramatiq's broker is process-global)."""
    code = f"import dramatiq_noop\nfor _ in range({messages}): dramatiq_noop.noop.send()\n"
    subprocess.run([sys.executable, "-c", code], cwd=folder, env=env, check=True)


async def _drain(folder: Path, env: dict[str, str], url: str, messages: int) -> tuple[float, float]:
    """Run the worker until every message is acknowledged: (seconds, worker CPU seconds),
    both from its ready line on."""
    import redis

    from sdk.bench import _procstat

    client = redis.Redis.from_url(url)
    command = [
        sys.executable,
        *("-m", "dramatiq", "dramatiq_noop"),
        *("--processes", "1", "--threads", str(DRAMATIQ_THREADS)),
    ]
    proc = await anyio.open_process(command, cwd=folder, env=env, stdout=subprocess.DEVNULL)
    try:
        assert proc.stderr is not None
        async with proc.stderr:
            started = await _ready(proc.stderr)
            children = _children(proc.pid)
            cpu0 = sum(_procstat.cpu_seconds(pid) or 0.0 for pid in children)
            with anyio.fail_after(max(600, messages / 10)):
                while True:  # acknowledged messages leave this hash (dispatch.lua "ack")
                    if not await anyio.to_thread.run_sync(client.hlen, "dramatiq:default.msgs"):
                        break
                    await anyio.sleep(0.02)
            elapsed = time.perf_counter() - started
            cpu_s = sum(_procstat.cpu_seconds(pid) or 0.0 for pid in children) - cpu0
    finally:
        client.close()
        proc.terminate()
        await proc.wait()
    return elapsed, cpu_s


async def _ready(stderr: Any) -> float:
    """The time the worker process logs that it is ready (its output is drained after)."""
    seen = b""
    with anyio.fail_after(60):
        async for chunk in stderr:
            seen += chunk
            if b"is ready for action" in seen:
                return time.perf_counter()
    raise Skipped(f"the dramatiq worker exited before it was ready: {seen.decode()[-500:]}")


def _children(pid: int) -> list[int]:
    """The worker processes dramatiq's launcher started."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


async def measured(setting: str, measure: Any) -> dict[str, Any]:
    """Run one peer; a peer that cannot run is a row with the reason."""
    print(f"{setting} ...", file=sys.stderr)
    try:
        row: dict[str, Any] = await measure()
    except Skipped as exc:
        return {"setting": setting, "skipped": str(exc)}
    return {"setting": setting, **row}


async def compare(args: argparse.Namespace) -> list[dict[str, Any]]:
    rows = []
    for mode in args.modes:
        row = await measured(f"mode={mode}", lambda mode=mode: ours(args.jobs, mode))
        rows.append({"system": "sdk (this project)", **row})
    for slots in (10, 1000):
        count = args.official_jobs if slots == 10 else args.official_jobs * 10
        row = await measured(
            f"max_concurrent_jobs={slots}", lambda n=count, s=slots: official(n, s)
        )
        rows.append({"system": "camunda-orchestration-sdk", **row})
    for persistence in (REDIS_DEFAULTS, REDIS_FSYNC):
        setting = f"1 process x {DRAMATIQ_THREADS} threads, {persistence}"
        row = await measured(setting, lambda p=persistence: dramatiq_peer(args.jobs, p))
        rows.append({"system": "dramatiq", **row})
    return _with_ratios(rows)


def _with_ratios(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each row's jobs/s over each of our modes' (``vs_mode=exact`` ...)."""
    ourselves = {r["mode"]: r["jobs_per_s"] for r in rows if "mode" in r and "jobs_per_s" in r}
    for row in rows:
        if "jobs_per_s" in row:
            for mode, ours_per_s in ourselves.items():
                row[f"vs_mode={mode}"] = round(row["jobs_per_s"] / ours_per_s, 3)
    return rows


def markdown(rows: list[dict[str, Any]]) -> str:
    modes = [r["mode"] for r in rows if "mode" in r]
    lines = [
        "| system | setting | jobs | jobs/s | " + " | ".join(f"x ours ({m})" for m in modes) + " |",
        "|---|---|---:|---:|" + "---:|" * len(modes),
    ]
    for r in rows:
        if "skipped" in r:
            cells = ["-", f"skipped: {r['skipped']}", *["-"] * len(modes)]
        else:
            ratios = [f"{r[f'vs_mode={m}']:.2f}" for m in modes]
            cells = [f"{r['jobs']:,}", f"{r['jobs_per_s']:,.0f}", *ratios]
        lines.append(f"| {r['system']} | {r['setting']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def plot(rows: list[dict[str, Any]], path: Path, note: str = "") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = {"sdk": "this project", "camunda-orchestration-sdk": "official SDK"}
    labels = [
        f"{names.get(r['system'].split()[0], r['system'])}\n{r['setting'].replace(', ', chr(10))}"
        for r in rows
    ]
    values = [r.get("jobs_per_s", 0) for r in rows]
    base = next((r["jobs_per_s"] for r in rows if r.get("mode") == "exact"), None)
    fig, ax = plt.subplots(figsize=(12, 5))
    bars = ax.bar(labels, values, color=["#3b6ea5" if "mode" in r else "#999999" for r in rows])
    ax.bar_label(
        bars,
        labels=[
            "skipped"
            if "skipped" in r
            else f"{r['jobs_per_s']:,.0f}"
            + ("" if base is None else f"\n{r['jobs_per_s'] / base:.2f}x")
            for r in rows
        ],
    )
    ax.set_ylim(top=max(values, default=1) * 1.18)  # room for the labels
    ax.set_ylabel("no-op jobs / s (higher is better)")
    ax.set_title(
        f"One worker process each, {os.cpu_count()} CPUs, Python {platform.python_version()}"
        + ("" if base is None else " (ratio to ours, exact mode)")
    )
    ax.tick_params(axis="x", labelsize=7)
    if note:
        fig.text(0.01, 0.01, note, fontsize=7, color="#555555")
    fig.tight_layout(rect=(0, 0.03 if note else 0, 1, 1))
    fig.savefig(path, dpi=120)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--jobs", type=int, default=20_000, help="jobs for ours and for dramatiq")
    p.add_argument(
        "--official-jobs",
        type=int,
        default=300,
        help="jobs for the official worker at its default (x10 at its best setting)",
    )
    p.add_argument("--modes", nargs="+", default=["exact", "batch"], choices=["exact", "batch"])
    p.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    p.add_argument("--note", default="", help="a line about the machine, kept with the figures")
    args = p.parse_args()
    rows = anyio.run(compare, args)
    args.out.mkdir(parents=True, exist_ok=True)
    meta = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "machine": f"{platform.system()} {platform.machine()}",
        "redis_server": _redis_version(),
        "note": args.note,
    }
    (args.out / "latest.json").write_text(json.dumps({**meta, "rows": rows}, indent=2) + "\n")
    (args.out / "latest.md").write_text(markdown(rows) + (f"\n{args.note}\n" if args.note else ""))
    plot(rows, args.out / "latest.png", args.note)
    print(markdown(rows))
    return 0


def _redis_version() -> str | None:
    binary = shutil.which("redis-server")
    if binary is None:
        return None
    out = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout
    return out.split()[2].removeprefix("v=") if len(out.split()) > 2 else out.strip()


if __name__ == "__main__":
    sys.exit(main())
