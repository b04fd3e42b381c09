"""``python -m sdk.bench``: measure a worker against a v2 endpoint (default: an embedded broker).

Prints a table and, with ``--json PATH``, writes the figures for later comparison.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import anyio

from .._collector import settle_after_start_up
from ._flows import TASKS
from ._run import BenchConfig, run
from ._scenarios import SCENARIOS

SHOWN = [
    "scenario",
    "mode",
    "strategy",
    "concurrency",
    "worker",
    "jobs",
    "jobs_per_s",
    "p50_ms",
    "p99_ms",
    "worker_cpu_us_per_job",
    "broker_cpu_us_per_job",
    "worker_rss_mb",
]


def parser() -> argparse.ArgumentParser:
    defaults = BenchConfig()
    p = argparse.ArgumentParser(prog="python -m sdk.bench", description=__doc__)
    p.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="jobs (default: the scenario's: "
        + ", ".join(f"{name} {s.jobs:,}" for name, s in sorted(SCENARIOS.items()))
        + "; hold's jobs all run at once)",
    )
    p.add_argument(
        "--instances",
        type=int,
        default=None,
        metavar="N",
        help="--scenario process: instances of each model (default: --jobs spread over"
        " their three tasks)",
    )
    p.add_argument(
        "--scenario",
        choices=sorted(SCENARIOS),
        default=defaults.scenario,
        help="noop, sleep (10 ms), cpu (5 ms): pre-created jobs; latency: jobs created at"
        " --rate by another process, timed from each creation's commit to its handler's"
        " start; idle, hold: memory of a `python -m sdk.worker` process, idle or holding"
        " --jobs sleeping jobs; process: instances of two BPMN models (three tasks in"
        " sequence, three in parallel), beside noop with as many jobs (default: %(default)s)",
    )
    p.add_argument(
        "--strategy",
        choices=["async", "thread", "process"],
        default=None,
        help="default: the scenario's own",
    )
    p.add_argument("--concurrency", type=int, default=None, help="slots (max_jobs)")
    p.add_argument(
        "--mode",
        choices=["exact", "batch"],
        default=defaults.mode,
        help="exact: one Camunda call per job; batch: broker extensions",
    )
    p.add_argument(
        "--address",
        default=None,
        help="a v2 REST address to measure against (default: embedded broker)",
    )
    p.add_argument(
        "--rate",
        type=float,
        default=defaults.rate_per_s,
        help="jobs offered per second in the latency scenario (default: %(default)s)",
    )
    p.add_argument(
        "--broker-synchronous",
        choices=["FULL", "NORMAL"],
        default="FULL",
        help="the embedded broker's SQLite synchronous mode (default FULL: every commit"
        " fsynced; NORMAL shows what the fsync costs)",
    )
    p.add_argument(
        "--processes",
        type=int,
        default=None,
        metavar="N",
        help="run the worker as `python -m sdk.worker --processes N` (batch mode, embedded"
        " broker; default: in the bench's own process)",
    )
    p.add_argument("--json", type=Path, default=None, help="write the figures here")
    p.add_argument("--no-progress", action="store_true")
    return p


def table(rows: list[dict[str, Any]]) -> str:
    shown = list(SHOWN)
    if any("instances" in row for row in rows):
        at = shown.index("jobs")
        shown[at:at] = ["instances", "instances_per_s"]
    cells = [[str(row.get(k, "")) for k in shown] for row in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(shown)]

    def line(values: list[str]) -> str:
        return "  ".join(v.rjust(w) for v, w in zip(values, widths, strict=True))

    return "\n".join([line(shown), line(["-" * w for w in widths]), *map(line, cells)])


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    jobs = args.jobs
    if args.instances is not None:
        if args.scenario != "process":
            print("error: --instances is for --scenario process", file=sys.stderr)
            return 2
        jobs = args.instances * TASKS
    config = BenchConfig(
        jobs=jobs,
        scenario=args.scenario,
        strategy=args.strategy,
        concurrency=args.concurrency,
        mode=args.mode,
        address=args.address,
        rate_per_s=args.rate,
        processes=args.processes,
        broker_args=("--synchronous", args.broker_synchronous),
        progress=not args.no_progress and sys.stderr.isatty(),
    )
    settle_after_start_up()  # the worker runs in this process, set as ``python -m sdk.worker``
    try:
        result = anyio.run(run, config)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(table(result.get("rows", [result])))
    ratios = {k.removeprefix("ratio_"): v for k, v in result.items() if k.startswith("ratio_")}
    if ratios:
        print(
            "process jobs/s ÷ plain jobs/s: "
            + ", ".join(f"{name} {ratio:.2f}" for name, ratio in ratios.items())
            + f" (target ≥ {result['target_ratio']})"
        )
    print(f"python {result['python']}, {result['cpus']} cpus, {result['machine']}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0
