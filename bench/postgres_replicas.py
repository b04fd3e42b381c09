"""The broker on PostgreSQL against SQLite, and one replica against two, in one run.

    pip install -e '.[bench,postgres]'
    python bench/postgres_replicas.py [--jobs 2000]

Starts a private PostgreSQL cluster (``sdk.testing.postgres``; needs initdb/pg_ctl) and
broker subprocesses; per setting, pre-creates no-op jobs, then times two workers (one per
replica when there are two) from their start until no job is left, in ``batch`` (report
extension) and ``exact`` (one Camunda call per job) mode. Broker CPU is read from
``/proc`` over the timed part, summed over the replicas (PostgreSQL's own CPU shown apart).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import anyio
from loguru import logger

from sdk.bench._procstat import cpu_seconds
from sdk.client import AsyncClient
from sdk.models import Capabilities, JobSpec, JobState
from sdk.testing.postgres import PostgresCluster, free_port, fresh_database, server_binaries
from sdk.worker import JobContext, Worker

JOB_TYPE = "pgbench"


class ExactClient(AsyncClient):
    """Sees no extensions, as against Camunda: the worker reports each job on its own."""

    async def capabilities(self) -> Capabilities | None:
        return None


def client(url: str, exact: bool = False) -> AsyncClient:
    config = {"CAMUNDA_REST_ADDRESS": url, "CAMUNDA_AUTH_STRATEGY": "NONE"}
    return (ExactClient if exact else AsyncClient)(configuration=config)


@contextmanager
def broker(where: list[str], folder: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAMUNDA_", "SDK_"))}
    with (folder / f"broker-{port}.log").open("ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sdk.broker", *where, "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield f"http://127.0.0.1:{port}/v2", proc
    finally:
        proc.kill()
        proc.wait()


async def reachable(url: str) -> None:
    async with client(url) as c:
        with anyio.fail_after(30):
            while True:
                try:
                    await c.topology()
                    return
                except Exception:
                    await anyio.sleep(0.1)


async def none_left(c: AsyncClient) -> bool:
    for state in (JobState.ACTIVATABLE, JobState.ACTIVATED):
        if (await c.search_jobs(job_type=JOB_TYPE, state=state, limit=1)).items:
            return False
    return True


def postgres_cpu(cluster: PostgresCluster | None) -> float:
    """CPU seconds of every process of the cluster (its postmaster and their children)."""
    if cluster is None:
        return 0.0
    out = subprocess.run(["pgrep", "-f", str(cluster.data)], capture_output=True, text=True)
    parents = [int(p) for p in out.stdout.split()]
    pids = set(parents)
    for parent in parents:
        children = subprocess.run(["pgrep", "-P", str(parent)], capture_output=True, text=True)
        pids.update(int(p) for p in children.stdout.split())
    return sum(cpu_seconds(pid) or 0.0 for pid in pids)


async def measure(
    urls: list[str], pids: list[int], jobs: int, exact: bool, cluster: PostgresCluster | None
) -> dict[str, float]:
    async with client(urls[0]) as creator:
        for start in range(0, jobs, 500):
            await creator.create_jobs([JobSpec(type=JOB_TYPE)] * min(500, jobs - start))
    workers = []
    for i in range(2):
        worker = Worker(f"bench-{i}", timeout_ms=60_000, request_timeout_ms=1_000)

        @worker.task(JOB_TYPE, max_jobs=32)
        async def noop(job: JobContext) -> None:
            return None

        workers.append(worker)
    clients = [client(urls[i % len(urls)], exact) for i in range(2)]
    broker0 = sum(cpu_seconds(p) or 0.0 for p in pids)
    pg0 = postgres_cpu(cluster)
    started = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for worker, c in zip(workers, clients, strict=True):
            await c.__aenter__()
            tg.start_soon(worker.run, c)
        async with client(urls[-1]) as watcher:
            while not await none_left(watcher):  # noqa: ASYNC110 (a state in another process)
                await anyio.sleep(0.05)
        elapsed = time.perf_counter() - started
        broker1 = sum(cpu_seconds(p) or 0.0 for p in pids)
        pg1 = postgres_cpu(cluster)
        for worker in workers:
            worker.stop()
    for c in clients:
        await c.__aexit__(None, None, None)
    return {
        "jobs_per_s": round(jobs / elapsed),
        "broker_cpu_us_per_job": round((broker1 - broker0) / jobs * 1e6),
        "postgres_cpu_us_per_job": round((pg1 - pg0) / jobs * 1e6),
    }


async def main(jobs: int) -> None:
    logger.disable("sdk")
    binaries = server_binaries()
    if binaries is None:
        raise SystemExit("needs PostgreSQL's initdb and pg_ctl")
    folder = Path(tempfile.mkdtemp(prefix="sdk-pgbench-"))
    cluster = PostgresCluster(binaries)
    cluster.start()
    rows = []
    try:
        for mode in ("batch", "exact"):
            for name, replicas in (("sqlite", 1), ("postgres", 1), ("postgres", 2)):
                with ExitStack() as stack:
                    if name == "sqlite":
                        wheres = [["--db", str(folder / f"{mode}.sqlite3")]]
                    else:
                        url = fresh_database(cluster.url)
                        wheres = [["--database-url", url]] * replicas
                    started = [stack.enter_context(broker(w, folder)) for w in wheres]
                    for url_, _ in started:
                        await reachable(url_)
                    figures = await measure(
                        [u for u, _ in started],
                        [p.pid for _, p in started],
                        jobs,
                        mode == "exact",
                        cluster if name == "postgres" else None,
                    )
                rows.append((mode, name, replicas, figures))
                print(mode, name, replicas, figures, flush=True)
    finally:
        cluster.remove()
    print("| mode | store | replicas | jobs/s | broker CPU µs/job | PostgreSQL CPU µs/job |")
    print("|---|---|---|---|---|---|")
    for mode, name, replicas, f in rows:
        print(
            f"| {mode} | {name} | {replicas} | {f['jobs_per_s']} | {f['broker_cpu_us_per_job']}"
            f" | {f['postgres_cpu_us_per_job'] if name == 'postgres' else '-'} |"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=2000)
    anyio.run(main, parser.parse_args().jobs)
