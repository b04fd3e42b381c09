"""Load: thousands of jobs, three job types, three worker processes, one broker process.

Each worker process runs all three types, one per strategy (async, thread, process), against
one ``python -m sdk.broker`` over a SQLite file. The jobs are made to misbehave by design,
decided by a ``mode`` variable so the expected end state is known exactly:

- ``ok``: completes;
- ``fail_first``: the first attempt raises (``JobContext.retries`` still 3), the retry
  completes;
- ``throw``: a ``JobError``, so the job ends ERROR_THROWN;
- ``incident``: created with 2 retries and always raising, so it ends in an INCIDENT;
- ``stall`` (async type only): the first attempt outlives its lease (extension off), the
  broker hands the job out again, and that attempt completes.

Once the broker says every job has ended, the workers and the broker are stopped and the
durable history is read straight from the SQLite file: every job is there in its designed
end state, and each completed job has exactly one COMPLETED event.

The CI version runs 1,500 jobs; the full one (20,000) is ``slow``::

    .venv/bin/pytest tests/reliability/test_load.py --run-slow -s
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import textwrap
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from sdk.client import AsyncClient
from sdk.models import MAX_CREATE_BATCH, JobSpec
from sdk.testing import wait_until

from ._processes import (
    START_TIMEOUT_S,
    Process,
    broker_process,
    client_config,
    free_port,
    wait_reachable,
    worker_process,
)

pytestmark = pytest.mark.anyio

TYPES = {"load-async": "async", "load-thread": "thread", "load-process": "process"}
STALL_LEASE_MS = 4_000
"""Lease of the async type (extension off): a stalled first attempt is stopped after it."""
STALLED_JOBS = 5
INCIDENT_RETRIES = 2
WORKERS = 3
CREATE_BATCH = 2_500
"""Jobs per creation request: a body well under 1 MiB (see ``test_a_full_creation_batch``)."""
STOP_TIMEOUT_S = 30.0

HANDLERS = textwrap.dedent(
    f"""
    import os
    from pathlib import Path

    import anyio

    from sdk.worker import JobContext, JobError, RetryPolicy, Worker

    MARKS = anyio.Path(os.environ["LOAD_MARKS"])
    worker = Worker(retry=RetryPolicy(initial_ms=100, max_ms=500))


    def outcome(mode: str, n: int, retries: int) -> dict[str, int]:
        if mode == "fail_first" and retries == 3:  # failing leaves retries - 1: a retry
            raise RuntimeError("designed failure of the first attempt")
        if mode == "throw":
            raise JobError("DESIGNED", "designed business error")
        if mode == "incident":
            raise RuntimeError("designed failure of every attempt")
        return {{"out": 2 * n}}


    @worker.task(
        "load-async", strategy="async", timeout_ms={STALL_LEASE_MS}, lease_extension=False
    )
    async def load_async(job: JobContext, mode: str, n: int) -> dict[str, int]:
        if mode == "stall":
            try:  # the first attempt (in any worker process) creates the mark
                await (MARKS / job.job_key).touch(exist_ok=False)
            except FileExistsError:
                pass
            else:
                await anyio.sleep_forever()  # stopped when the lease ends
        return outcome(mode, n, job.retries)


    @worker.task("load-thread", strategy="thread")
    def load_thread(job: JobContext, mode: str, n: int) -> dict[str, int]:
        return outcome(mode, n, job.retries)


    @worker.task("load-process", strategy="process")
    def load_process(job: JobContext, mode: str, n: int) -> dict[str, int]:
        return outcome(mode, n, job.retries)
    """
)


def mode_of(job_type: str, n: int) -> str:
    """The designed behaviour of job ``n`` of a type: ~5 % fail once, 1 % throw, 0.5 %
    end in an incident, and a handful of async jobs stall past their lease."""
    if job_type == "load-async" and n < STALLED_JOBS:
        return "stall"
    if n % 20 == 10:
        return "fail_first"
    if n % 100 == 7:
        return "throw"
    if n % 200 == 3:
        return "incident"
    return "ok"


END_STATE = {
    "ok": "COMPLETED",
    "fail_first": "COMPLETED",
    "stall": "COMPLETED",
    "throw": "ERROR_THROWN",
    "incident": "INCIDENT",
}


def specs_for(total: int) -> list[JobSpec]:
    """``total`` jobs spread over the three types, interleaved as they would arrive."""
    types = list(TYPES)
    specs = []
    for i in range(total):
        job_type, n = types[i % len(types)], i // len(types)
        mode = mode_of(job_type, n)
        retries = INCIDENT_RETRIES if mode == "incident" else 3
        specs.append(JobSpec(type=job_type, variables={"mode": mode, "n": n}, retries=retries))
    return specs


@dataclass(frozen=True)
class Stored:
    """What the SQLite file holds about one job after the run."""

    job_type: str
    state: str
    variables: dict[str, object]
    events: Counter[str]


def read_store(db: Path) -> dict[str, Stored]:
    """Every job and its event counts, from the file itself (the broker has stopped)."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        events: dict[int, Counter[str]] = {}
        for key, event, count in conn.execute(
            "SELECT job_key, event, COUNT(*) FROM job_events GROUP BY job_key, event"
        ):
            events.setdefault(key, Counter())[event] = count
        rows = conn.execute("SELECT key, type, state, variables FROM jobs").fetchall()
    conn.close()
    return {
        str(key): Stored(job_type, state, json.loads(variables), events.get(key, Counter()))
        for key, job_type, state, variables in rows
    }


async def all_ended(http: httpx.AsyncClient, expected: Counter[tuple[str, str]]) -> bool:
    """Whether the broker's counts per type and state are the designed end state."""
    response = await http.get("/ext/stats", params={"minutes": 1})
    response.raise_for_status()
    counts: Counter[tuple[str, str]] = Counter()
    for summary in response.json()["types"]:
        for state, count in summary["counts"].items():
            counts[summary["type"], state] += count
    wanted = {(t, _STATS_NAME[s]): c for (t, s), c in expected.items()}
    return +counts == Counter(wanted)


_STATS_NAME = {"COMPLETED": "completed", "ERROR_THROWN": "errorThrown", "INCIDENT": "incident"}


def stop(proc: Process, name: str) -> None:
    """SIGTERM, and the process must exit 0 within the bound (nothing is running)."""
    proc.popen.send_signal(signal.SIGTERM)
    try:
        code: int | None = proc.popen.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        code = None
    assert code == 0, f"{name} exited with {code}:\n{proc.output()}"


def expected_counts(specs: list[JobSpec]) -> Counter[tuple[str, str]]:
    return Counter((spec.type, END_STATE[str(spec.variables["mode"])]) for spec in specs)


def mismatches(keys: list[str], specs: list[JobSpec], stored: dict[str, Stored]) -> Iterator[str]:
    """What differs from the designed end state, job by job (nothing, when all is well)."""
    for key, spec in zip(keys, specs, strict=True):
        mode, n = str(spec.variables["mode"]), spec.variables["n"]
        job = stored.get(key)
        if job is None:
            yield f"{key} ({spec.type}, {mode}): lost"
            continue
        events = job.events
        completed = END_STATE[mode] == "COMPLETED"
        wanted = {
            "type": spec.type,
            "state": END_STATE[mode],
            "COMPLETED events": int(completed),
            "ERROR_THROWN events": int(mode == "throw"),
            "INCIDENT events": int(mode == "incident"),
            "FAILED events": {"fail_first": 1, "incident": INCIDENT_RETRIES - 1}.get(mode, 0),
            "result": 2 * int(str(n)) if completed else None,
        }
        found = {
            "type": job.job_type,
            "state": job.state,
            "COMPLETED events": events["COMPLETED"],
            "ERROR_THROWN events": events["ERROR_THROWN"],
            "INCIDENT events": events["INCIDENT"],
            "FAILED events": events["FAILED"],
            "result": job.variables.get("out"),
        }
        if found != wanted:
            yield f"{key} ({spec.type}, {mode}): {found} != {wanted}"
        if mode == "stall" and events["TIMED_OUT"] < 1:
            yield f"{key} ({spec.type}, stall): never timed out: {dict(events)}"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "load_handlers.py").write_text(HANDLERS)
    (tmp_path / "marks").mkdir()
    return tmp_path


async def wait_ready(http_ports: list[int], workers: list[Process]) -> None:
    """Until every worker's ``/readyz`` answers 200 (it reached the broker)."""

    async def ready() -> bool:
        async with httpx.AsyncClient(timeout=5) as http:
            for port, proc in zip(http_ports, workers, strict=True):
                alive(proc)
                try:
                    response = await http.get(f"http://127.0.0.1:{port}/readyz")
                except httpx.TransportError:
                    return False
                if response.status_code != 200:
                    return False
        return True

    await wait_until(ready, timeout_s=START_TIMEOUT_S, interval_s=0.1, message="workers ready")


def alive(proc: Process) -> None:
    if proc.popen.poll() is not None:
        raise AssertionError(f"process exited with {proc.popen.returncode}:\n{proc.output()}")


class TestLoad:
    @pytest.mark.parametrize(
        ("total", "wait_s"),
        [
            pytest.param(1_500, 40.0, id="1500-jobs"),
            pytest.param(
                20_000, 600.0, id="20000-jobs", marks=[pytest.mark.slow, pytest.mark.timeout(900)]
            ),
        ],
    )
    async def test_every_job_ends_as_designed_and_completes_exactly_once(
        self, project: Path, total: int, wait_s: float
    ) -> None:
        db, port = project / "load.sqlite3", free_port()
        address = f"http://127.0.0.1:{port}"
        specs = specs_for(total)
        expected = expected_counts(specs)
        http_ports = [free_port() for _ in range(WORKERS)]
        with broker_process(db, port, project / "broker.log") as broker, ExitStack() as stack:
            async with AsyncClient(configuration=client_config(address)) as client:
                await wait_reachable(client, broker)
                workers = [
                    stack.enter_context(
                        worker_process(
                            "load_handlers",
                            f"load-{i}",
                            address,
                            project,
                            LOAD_MARKS=str(project / "marks"),
                            SDK_HTTP_PORT=str(http_port),
                            SDK_LOG_LEVEL="WARNING",
                        )
                    )
                    for i, http_port in enumerate(http_ports)
                ]
                await wait_ready(http_ports, workers)

                started = time.perf_counter()
                keys: list[str] = []
                for first in range(0, total, CREATE_BATCH):
                    keys += await client.create_jobs(specs[first : first + CREATE_BATCH])

                async with httpx.AsyncClient(base_url=f"{address}/v2", timeout=10) as http:

                    async def ended() -> bool:
                        for proc in (broker, *workers):
                            alive(proc)
                        return await all_ended(http, expected)

                    await wait_until(ended, timeout_s=wait_s, interval_s=0.25, message="all ended")
                elapsed_s = time.perf_counter() - started

            for i, proc in enumerate(workers):
                stop(proc, f"worker load-{i}")
            stop(broker, "broker")

        stored = read_store(db)
        assert len(stored) == total
        wrong = list(mismatches(keys, specs, stored))
        assert not wrong, f"{len(wrong)} jobs differ, e.g.:\n" + "\n".join(wrong[:20])
        timeouts = sum(job.events["TIMED_OUT"] for job in stored.values())
        print(
            f"\nload: {total} jobs ({WORKERS} worker processes, 3 strategies) ended as"
            f" designed in {elapsed_s:.1f} s: {total / elapsed_s:.0f} jobs/s;"
            f" {timeouts} lease timeouts ({STALLED_JOBS} designed)"
        )
