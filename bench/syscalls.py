"""Syscalls and wake-ups per job, of the broker and of the worker, batch and exact mode.

    python bench/syscalls.py [--jobs 5000] [--out bench/results/syscalls.md]

Starts the embedded broker (SQLite, as the bench does) and pre-creates no-op jobs, starts a
worker process and lets it get ready, then attaches ``strace -c -f`` to every thread of
both and lets the worker work the jobs. Only the timed part is traced: start-up and
creation are left out. Wake-ups are context switches, voluntary (a thread waited: a poll, a
lock, a hand-off) and involuntary, read from ``/proc`` for the broker's threads and from
``getrusage`` in the worker. strace slows every syscall, so only the counts mean anything.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sdk.testing.postgres import free_port

JOB_TYPE = "bench"
WORKER = """\
import json, resource, sys, time

import anyio
from loguru import logger

from sdk.client import AsyncClient
from sdk.worker import JobContext, Worker

url, jobs, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
done = [0]
logger.disable("sdk")  # as the bench: no job log line per job


async def main() -> None:
    worker = Worker("syscalls", timeout_ms=120_000, report_batching=mode == "batch")

    @worker.task("bench", max_jobs=64)
    async def noop(job: JobContext) -> None:
        done[0] += 1

    config = {"CAMUNDA_REST_ADDRESS": url, "CAMUNDA_AUTH_STRATEGY": "NONE"}
    async with AsyncClient(configuration=config) as client:
        await client.topology()
        print("ready", flush=True)
        sys.stdin.readline()  # the tracer is attached
        before = resource.getrusage(resource.RUSAGE_SELF)
        async with anyio.create_task_group() as tg:
            tg.start_soon(worker.run, client)
            with anyio.fail_after(600):
                while done[0] < jobs or worker.in_flight:
                    await anyio.sleep(0.01)
            worker.stop()
        after = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({
        "voluntary": after.ru_nvcsw - before.ru_nvcsw,
        "involuntary": after.ru_nivcsw - before.ru_nivcsw,
    }), flush=True)


anyio.run(main)
"""


def context_switches(pid: int) -> tuple[int, int]:
    """(voluntary, involuntary) context switches summed over the threads of ``pid``."""
    voluntary = involuntary = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            text = (task / "status").read_text()
        except OSError:
            continue
        voluntary += int(re.search(r"^voluntary_ctxt_switches:\s+(\d+)", text, re.M)[1])  # type: ignore[index]
        involuntary += int(re.search(r"^nonvoluntary_ctxt_switches:\s+(\d+)", text, re.M)[1])  # type: ignore[index]
    return voluntary, involuntary


def threads(pid: int) -> list[str]:
    return [task.name for task in Path(f"/proc/{pid}/task").iterdir()]


def parse_summary(text: str) -> dict[str, int]:
    """``strace -c`` table → calls per syscall (the ``total`` row excluded)."""
    calls: dict[str, int] = {}
    for row in text.splitlines():
        fields = row.split()
        if len(fields) >= 5 and fields[0].replace(".", "").isdigit() and fields[-1] != "total":
            calls[fields[-1]] = int(fields[3])
    return calls


def _trace(pid: int, out: Path) -> subprocess.Popen[bytes]:
    command = ["strace", "-c", "-f", "-o", str(out)]
    for tid in threads(pid):
        command += ["-p", tid]
    tracer = subprocess.Popen(command, stderr=subprocess.PIPE)
    assert tracer.stderr is not None
    for _ in threads(pid):  # one "attached" line per thread
        tracer.stderr.readline()
    return tracer


def _stop(tracer: subprocess.Popen[bytes]) -> None:
    tracer.send_signal(signal.SIGINT)  # detaches and writes the summary
    tracer.wait(30)


def _create(url: str, jobs: int) -> None:
    from sdk.client import Client
    from sdk.models import JobSpec

    config = {"CAMUNDA_REST_ADDRESS": url, "CAMUNDA_AUTH_STRATEGY": "NONE"}
    with Client(configuration=config) as client:
        for start in range(0, jobs, 5_000):
            client.create_jobs([JobSpec(type=JOB_TYPE)] * min(5_000, jobs - start))


def _wait_reachable(url: str, broker: subprocess.Popen[bytes]) -> None:
    import httpx

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if broker.poll() is not None:
            raise RuntimeError(f"the broker exited with {broker.returncode}")
        try:
            httpx.get(f"{url}/topology", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError("the broker did not answer within 30 s")


def _run(jobs: int, mode: str, folder: Path, traced: bool) -> dict[str, Any]:
    """One run; traced: ``strace`` summaries in ``folder``, else context switches."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/v2"
    database = str(folder / f"{mode}-{traced}.db")
    broker = subprocess.Popen(
        [sys.executable, "-m", "sdk.broker", "--db", database, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_reachable(url, broker)
        _create(url, jobs)
        worker = subprocess.Popen(
            [sys.executable, "-c", WORKER, url, str(jobs), mode],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert worker.stdin is not None and worker.stdout is not None
        if worker.stdout.readline().strip() != b"ready":
            raise RuntimeError("the worker did not start")
        before = context_switches(broker.pid)
        tracers = (
            (
                _trace(broker.pid, folder / f"broker-{mode}.txt"),
                _trace(worker.pid, folder / f"worker-{mode}.txt"),
            )
            if traced
            else ()
        )
        worker.stdin.write(b"go\n")
        worker.stdin.flush()
        worker_switches = json.loads(worker.stdout.readline())
        worker.wait(60)
        after = context_switches(broker.pid)
        for tracer in tracers:
            _stop(tracer)
    finally:
        broker.terminate()
        broker.wait(30)
    return {
        "broker": {"voluntary": after[0] - before[0], "involuntary": after[1] - before[1]},
        "worker": worker_switches,
    }


def measure(jobs: int, mode: str, folder: Path) -> dict[str, Any]:
    """Syscalls per job (a traced run) and wake-ups per job (an untraced one: a tracer's
    stops would add their own) of the broker and of the worker."""
    switches = _run(jobs, mode, folder, traced=False)
    _run(jobs, mode, folder, traced=True)
    result: dict[str, Any] = {"mode": mode, "jobs": jobs}
    for side in ("broker", "worker"):
        calls = parse_summary((folder / f"{side}-{mode}.txt").read_text())
        result[side] = {
            "syscalls_per_job": round(sum(calls.values()) / jobs, 1),
            "voluntary_wakeups_per_job": round(switches[side]["voluntary"] / jobs, 2),
            "involuntary_per_job": round(switches[side]["involuntary"] / jobs, 2),
            "top": {
                name: round(count / jobs, 2)
                for name, count in sorted(calls.items(), key=lambda kv: -kv[1])[:8]
            },
        }
    return result


def markdown(results: list[dict[str, Any]], machine: str) -> str:
    lines = [
        "# Syscalls and wake-ups per job",
        "",
        "`python bench/syscalls.py`: `strace -c -f` attached to every thread of the broker"
        " (SQLite) and of the worker while the worker works pre-created no-op jobs. Wake-ups"
        " are voluntary context switches (a thread waited: a poll, a lock, a hand-off),"
        " counted in a second run without the tracer; preemptions (involuntary switches)"
        " depend mostly on what else the machine runs.",
        "",
        "| mode | process | syscalls/job | wake-ups/job (voluntary) | preempted/job | most"
        " frequent syscalls (per job) |",
        "|---|---|---:|---:|---:|---|",
    ]
    for result in results:
        for side in ("broker", "worker"):
            figures = result[side]
            top = ", ".join(f"{name} {count}" for name, count in figures["top"].items())
            lines.append(
                f"| {result['mode']} | {side} | {figures['syscalls_per_job']}"
                f" | {figures['voluntary_wakeups_per_job']} | {figures['involuntary_per_job']}"
                f" | {top} |"
            )
    return "\n".join([*lines, "", f"{machine}, {results[0]['jobs']:,} jobs per run.", ""])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--jobs", type=int, default=5_000)
    p.add_argument("--modes", nargs="+", default=["batch", "exact"], choices=["batch", "exact"])
    p.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "syscalls.md")
    args = p.parse_args()
    if shutil.which("strace") is None:
        print("strace is not installed (apt-get install strace)", file=sys.stderr)
        return 1
    from machine import describe, line

    with tempfile.TemporaryDirectory(prefix="bench-syscalls-") as name:
        results = [measure(args.jobs, mode, Path(name)) for mode in args.modes]
    text = markdown(results, line(describe()))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    args.out.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    os.environ.pop("SDK_BROKER_DATABASE_URL", None)
    sys.exit(main())
