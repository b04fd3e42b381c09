"""Our worker against the fastest job-queue peers and the design's ceilings, in one run.

    pip install -e '.[bench]'      # also needs Debian's redis-server and postgresql
    python bench/compare.py [--jobs 20000] [--quick] [--out bench/results]

Ours (batch and exact mode) works no-op jobs pre-created on a fresh embedded broker (a
subprocess, SQLite, every commit fsynced), timed from its start to the last completion
durable in the store; the process scenario (``python -m sdk.bench --scenario process``)
does the same through BPMN processes. The official ``camunda-orchestration-sdk`` worker
works jobs on the same kind of broker. Each Redis-queue peer (``peers/``: dramatiq, taskiq,
arq, saq, Celery) works as many pre-enqueued no-ops on a private ``redis-server`` started
for it, under Redis's defaults and with every write fsynced; the PostgreSQL-queue peers
(procrastinate, PgQueuer) and our broker (``--database-url``) each get a database on one
private PostgreSQL server, every commit fsynced. Peers are timed from the first job their
worker takes to the last done. The ceilings (``ceilings.py``) are rows too. A peer that
cannot be installed or run is a row that says why. Writes ``latest.json``, ``latest.md``
(the table, the targets and the machine, see ``machine.py``) and ``latest.png``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
import ceilings
from machine import describe, line
from peers import Peer, Skipped, version
from peers.arq_peer import PEER as ARQ
from peers.celery_peer import PEER as CELERY
from peers.dramatiq_peer import PEER as DRAMATIQ
from peers.drive import drive
from peers.ours_postgres import ours_on_postgres
from peers.pgqueuer_peer import PEER as PGQUEUER
from peers.procrastinate_peer import PEER as PROCRASTINATE
from peers.saq_peer import PEER as SAQ
from peers.servers import POSTGRES_DURABLE, REDIS_OPTIONS, postgres_server, redis_server
from peers.taskiq_peer import PEER as TASKIQ
from plot import plot
from table import (
    CEILING,
    OFFICIAL,
    OURS,
    POSTGRES,
    PROCESS,
    REDIS,
    markdown,
    targets,
    targets_markdown,
    with_ratios,
)

from sdk._collector import settle_after_start_up
from sdk.bench import BenchConfig, _procstat, run
from sdk.bench._run import _broker, _client, _completed_counter, _create
from sdk.bench._scenarios import JOB_TYPE
from sdk.testing.postgres import fresh_database

REDIS_PEERS = (DRAMATIQ, TASKIQ, ARQ, SAQ, CELERY)
POSTGRES_PEERS = (PROCRASTINATE, PGQUEUER)
QUICK = {"jobs": 2_000, "official_jobs": 100, "process_jobs": 300, "http_requests": 5_000}
"""``--quick``: a smoke run, enough to see every row work (ratios are rougher)."""


async def official(jobs: int, max_concurrent_jobs: int) -> dict[str, Any]:
    """The official SDK's worker (async handler) on a fresh embedded broker."""
    installed = version("camunda-orchestration-sdk")
    from camunda_orchestration_sdk import CamundaAsyncClient, NullLogger, WorkerConfig

    async def handler(job: Any) -> dict[str, Any]:
        return {}

    async with _broker(BenchConfig()) as broker:
        async with _client(broker.url) as client:
            await _create(client, jobs)
        assert broker.db is not None  # the embedded broker
        done = _completed_counter(broker.db)
        config: Any = {"CAMUNDA_REST_ADDRESS": broker.url, "CAMUNDA_AUTH_STRATEGY": "NONE"}
        async with CamundaAsyncClient(configuration=config, logger=NullLogger()) as camunda:
            started, cpu0 = time.perf_counter(), _procstat.cpu_seconds() or 0.0
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
                cpu = (_procstat.cpu_seconds() or 0.0) - cpu0
            finally:
                await worker.aclose()
    return {
        "jobs": jobs,
        "jobs_per_s": round(jobs / elapsed, 1),
        "worker_cpu_us_per_job": round(cpu / jobs * 1e6, 1),
        "broker_cpu_us_per_job": None,
        "system": f"camunda-orchestration-sdk {installed}",
    }


async def measured(setting: str, measure: Any) -> dict[str, Any]:
    """Run one peer; a peer that cannot run is a row with the reason."""
    print(f"{setting} ...", file=sys.stderr)
    try:
        row: dict[str, Any] = await measure()
    except Skipped as exc:
        return {"setting": setting, "skipped": str(exc)}
    except Exception as exc:  # one peer's failure is its row, never the whole run's end
        return {"setting": setting, "skipped": f"failed: {exc!r}"[:300]}
    return {"setting": setting, **row}


async def compare(args: argparse.Namespace) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for mode in args.modes:
        rows.append(await _ours(args.jobs, mode, "ours"))
    for mode in args.modes:
        rows += await _processes(args.process_jobs, mode)
    for slots in (10, 1000):
        count = args.official_jobs if slots == 10 else args.official_jobs * 10
        row = await measured(
            f"max_concurrent_jobs={slots}", lambda n=count, s=slots: official(n, s)
        )
        rows.append({"system": "camunda-orchestration-sdk", "group": OFFICIAL, **row})
    for peer in REDIS_PEERS:
        for persistence in args.redis:
            rows.append(await _redis_peer(peer, persistence, args.jobs))
    rows += await _postgres_rows(args)
    row = await measured(
        f"HTTP: uvicorn + httptools, 204 to a JSON POST, {ceilings.CONCURRENCY} in flight",
        lambda: ceilings.http_ceiling(args.http_requests),
    )
    rows.append({"system": "ceiling", "group": CEILING, "kind": "http", **row})
    for kind, row in zip(("sqlite", "sqlite-timed"), _sqlite_rows(args.jobs), strict=True):
        rows.append({"system": "ceiling", "group": CEILING, "kind": kind, **row})
    for mode in args.modes:  # again: the ratios use the mean of both (table.ours_mean)
        rows.append(await _ours(args.jobs, mode, "ours-again", ", again at the end"))
    return with_ratios(rows)


async def _ours(jobs: int, mode: str, group: str, when: str = "") -> dict[str, Any]:
    setting = f"mode={mode}, SQLite synchronous=FULL (every commit fsynced){when}"
    row = await measured(setting, lambda: run(BenchConfig(jobs=jobs, mode=mode, progress=False)))
    return {"system": OURS, **row, "group": group, "mode": mode}


async def _processes(jobs: int, mode: str) -> list[dict[str, Any]]:
    """The process scenario: its plain run and each model, as rows."""
    setting = f"mode={mode}, BPMN process scenario"
    row = await measured(
        setting,
        lambda: run(BenchConfig(scenario="process", jobs=jobs, mode=mode, progress=False)),
    )
    if "skipped" in row:
        return [{"system": OURS, "group": PROCESS, **row}]
    return [
        {
            "system": OURS,
            "group": PROCESS,
            "setting": f"mode={mode}, {_model_name(each.get('model', 'plain'))}",
            **{
                k: each.get(k)
                for k in ("jobs", "jobs_per_s", "worker_cpu_us_per_job", "broker_cpu_us_per_job")
            },
        }
        for each in row["rows"]
    ]


def _model_name(model: str) -> str:
    return "plain jobs, as many" if model == "plain" else f"{model} model (3 service tasks)"


async def _redis_peer(peer: Peer, persistence: str, jobs: int) -> dict[str, Any]:
    async def measure() -> dict[str, Any]:
        system = f"{peer.system} {version(peer.system)}"
        for package in peer.needs:
            version(package)
        with tempfile.TemporaryDirectory(prefix=f"bench-{peer.system}-") as name:
            async with redis_server(Path(name), persistence) as url:
                return {"system": system, **await drive(peer, url, Path(name), jobs)}

    row = await measured(f"{peer.setting}, {persistence}", measure)
    return {"system": peer.system, "group": REDIS, **row}


async def _postgres_rows(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Ours and the PostgreSQL peers, each in its own database on one private server."""
    names = [f"mode={m}" for m in args.modes] + [p.system for p in POSTGRES_PEERS]
    try:
        cluster_context = postgres_server()
        cluster = cluster_context.__enter__()
    except (Skipped, OSError, subprocess.CalledProcessError) as exc:
        why = str(exc) if isinstance(exc, Skipped) else f"PostgreSQL did not start: {exc}"
        return [{"system": n, "setting": POSTGRES_DURABLE, "skipped": why} for n in names]
    rows: list[dict[str, Any]] = []
    try:
        for mode in args.modes:
            url = fresh_database(cluster.url)
            row = await measured(
                f"mode={mode}, {POSTGRES_DURABLE}",
                lambda u=url, m=mode: ours_on_postgres(u, args.jobs, m),
            )
            rows.append({"system": OURS, "group": "ours-postgres", "mode_pg": mode, **row})
        for peer in POSTGRES_PEERS:
            rows.append(await _postgres_peer(peer, cluster.url, args.jobs))
    finally:
        cluster_context.__exit__(None, None, None)
    return rows


async def _postgres_peer(peer: Peer, server_url: str, jobs: int) -> dict[str, Any]:
    async def measure() -> dict[str, Any]:
        system = f"{peer.system} {version(peer.system)}"
        for package in peer.needs:
            version(package)
        url = fresh_database(server_url)
        with tempfile.TemporaryDirectory(prefix=f"bench-{peer.system}-") as name:
            return {"system": system, **await drive(peer, url, Path(name), jobs)}

    row = await measured(f"{peer.setting}, {POSTGRES_DURABLE}", measure)
    return {"system": peer.system, "group": POSTGRES, **row}


def _sqlite_rows(jobs: int) -> list[dict[str, Any]]:
    print("SQLite ceiling ...", file=sys.stderr)
    try:
        return ceilings.sqlite_ceiling(jobs)
    except Exception as exc:  # a ceiling that cannot run is a row, as a peer is
        return [{"setting": "SQLite", "skipped": repr(exc)}] * 2


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--jobs", type=int, default=20_000, help="jobs for ours and for each peer")
    p.add_argument(
        "--official-jobs",
        type=int,
        default=300,
        help="jobs for the official worker at its default (x10 at its best setting)",
    )
    p.add_argument("--process-jobs", type=int, default=3_000, help="jobs per process model")
    p.add_argument("--http-requests", type=int, default=50_000, help="for the HTTP ceiling")
    p.add_argument("--quick", action="store_true", help=f"a smoke run: {QUICK}")
    p.add_argument("--modes", nargs="+", default=["exact", "batch"], choices=["exact", "batch"])
    p.add_argument(
        "--redis",
        nargs="+",
        default=list(REDIS_OPTIONS),
        choices=list(REDIS_OPTIONS),
        help="the Redis persistence settings each Redis peer runs under",
    )
    p.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    p.add_argument("--note", default="", help="a line about the run, kept with the figures")
    args = p.parse_args()
    if args.quick:
        for key, value in QUICK.items():
            setattr(args, key, value)
    machine = describe()
    settle_after_start_up()  # ours runs in this process: set as `python -m sdk.worker` sets it
    rows = anyio.run(compare, args)
    found = targets(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    meta = {"machine": machine, "redis_server": _redis_version(), "quick": args.quick}
    document = {**meta, "note": args.note, "targets": found, "rows": rows}
    (args.out / "latest.json").write_text(json.dumps(document, indent=2) + "\n")
    caption = line(machine) + (f". {args.note}" if args.note else "")
    text = f"{markdown(rows)}\n{targets_markdown(found)}\n{caption}\n"
    (args.out / "latest.md").write_text(text)
    plot(rows, args.out / "latest.png", caption)
    print(text)
    return 0


def _redis_version() -> str | None:
    binary = shutil.which("redis-server")
    if binary is None:
        return None
    out = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout
    return out.split()[2].removeprefix("v=") if len(out.split()) > 2 else out.strip()


if __name__ == "__main__":
    sys.exit(main())
