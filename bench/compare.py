"""Our worker and the official ``camunda-orchestration-sdk`` worker, side by side, in one run.

    pip install -e '.[bench]'
    python bench/compare.py [--jobs 20000] [--official-jobs 300] [--out bench/results]

Each system works no-op jobs pre-created on its own fresh embedded broker (a subprocess,
SQLite file), and is timed from its start to the last completion durable in the store. Writes
``latest.json``, ``latest.md`` (a table) and ``latest.png`` (jobs/s per system and setting).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import anyio

from sdk.bench import BenchConfig, run
from sdk.bench._run import _broker, _client, _completed_counter, _create
from sdk.bench._scenarios import JOB_TYPE


async def official(jobs: int, max_concurrent_jobs: int) -> dict[str, Any]:
    """The official SDK's worker (async handler) on a fresh embedded broker."""
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
        "system": "camunda-orchestration-sdk 10.0.1",
        "setting": f"max_concurrent_jobs={max_concurrent_jobs}",
        "jobs": jobs,
        "jobs_per_s": round(jobs / elapsed, 1),
    }


async def ours(jobs: int, mode: str) -> dict[str, Any]:
    result = await run(BenchConfig(jobs=jobs, mode=mode, progress=False))
    return {"system": "sdk (this project)", "setting": f"mode={mode}", **result}


async def compare(args: argparse.Namespace) -> list[dict[str, Any]]:
    rows = []
    for mode in args.modes:
        print(f"ours, mode={mode} ...", file=sys.stderr)
        rows.append(await ours(args.jobs, mode))
    for setting in (10, 1000):
        print(f"official, max_concurrent_jobs={setting} ...", file=sys.stderr)
        count = args.official_jobs if setting == 10 else args.official_jobs * 10
        rows.append(await official(count, setting))
    return rows


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = ["| system | setting | jobs | jobs/s |", "|---|---|---:|---:|"]
    lines += [f"| {r['system']} | {r['setting']} | {r['jobs']} | {r['jobs_per_s']} |" for r in rows]
    return "\n".join(lines) + "\n"


def plot(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = {"sdk": "this project", "camunda-orchestration-sdk": "official SDK"}
    labels = [f"{names.get(r['system'].split()[0], r['system'])}\n{r['setting']}" for r in rows]
    fig, ax = plt.subplots(figsize=(9, 4.5))
    bars = ax.bar(labels, [r["jobs_per_s"] for r in rows], color="#3b6ea5")
    ax.bar_label(bars, fmt="%.0f")
    ax.set_ylabel("no-op jobs / s (higher is better)")
    ax.set_title(f"One worker process, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--jobs", type=int, default=20_000, help="jobs for our worker")
    p.add_argument(
        "--official-jobs",
        type=int,
        default=300,
        help="jobs for the official worker at its default (x10 at its best setting)",
    )
    p.add_argument("--modes", nargs="+", default=["exact"], choices=["exact", "batch"])
    p.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = p.parse_args()
    rows = anyio.run(compare, args)
    args.out.mkdir(parents=True, exist_ok=True)
    meta = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "machine": f"{platform.system()} {platform.machine()}",
    }
    (args.out / "latest.json").write_text(json.dumps({**meta, "rows": rows}, indent=2) + "\n")
    (args.out / "latest.md").write_text(markdown(rows))
    plot(rows, args.out / "latest.png")
    print(markdown(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
