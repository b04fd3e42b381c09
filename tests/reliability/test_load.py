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

    .venv/bin/pytest tests/reliability/test_load.py --run-slow -s -k 20000

(``-s`` shows the measured jobs/s.)
"""

from __future__ import annotations

import json
import signal
import sqlite3
import textwrap
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, closing
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from sdk.broker import RunningBroker
from sdk.client import AsyncClient
from sdk.models import MAX_CREATE_BATCH, JobSpec
from sdk.testing import wait_until

from _support.ports import free_port
from _support.processes import (
    START_TIMEOUT_S,
    Process,
    broker_process,
    client_config,
    wait_reachable,
    worker_process,
)

TYPES = ("load-async", "load-thread", "load-process")
"""Run by the async, thread and process strategy respectively (see ``HANDLERS``)."""
STALL_LEASE_MS = 4_000
"""Lease of the async type (extension off): a stalled first attempt is stopped after it."""
STALLED_JOBS = 5
INCIDENT_RETRIES = 2
WORKERS = 3
CREATE_BATCH = 2_500
"""Jobs per creation request: a body well under 1 MiB (see ``TestCreationBatches``)."""
STOP_TIMEOUT_S = 30.0

HANDLERS = textwrap.dedent(
    f"""
    import os

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

pytestmark = [pytest.mark.anyio, pytest.mark.project("load_handlers", HANDLERS, dirs=["marks"])]


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
    specs = []
    for i in range(total):
        job_type, n = TYPES[i % len(TYPES)], i // len(TYPES)
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
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        events: dict[int, Counter[str]] = {}
        for key, event, count in conn.execute(
            "SELECT job_key, event, COUNT(*) FROM job_events GROUP BY job_key, event"
        ):
            events.setdefault(key, Counter())[event] = count
        rows = conn.execute("SELECT key, type, state, variables FROM jobs").fetchall()
    return {
        str(key): Stored(job_type, state, json.loads(variables), events.get(key, Counter()))
        for key, job_type, state, variables in rows
    }


LIVE = ("activatable", "activated", "failed")
"""Stats categories of jobs not ended yet (``failed``: waiting out a back-off to run again)."""
STATS_NAME = {"COMPLETED": "completed", "ERROR_THROWN": "errorThrown", "INCIDENT": "incident"}


async def state_counts(http: httpx.AsyncClient) -> Counter[tuple[str, str]]:
    """The broker's count of jobs per (type, stats category), zeros left out."""
    response = await http.get("/ext/stats", params={"minutes": 1})
    response.raise_for_status()
    counts: Counter[tuple[str, str]] = Counter()
    for summary in response.json()["types"]:
        for state, count in summary["counts"].items():
            counts[summary["type"], state] += count
    return +counts


async def stopped(procs: dict[str, Process]) -> None:
    """SIGTERM to each; every one must exit 0 within the bound (nothing is left running)."""
    for proc in procs.values():
        proc.popen.send_signal(signal.SIGTERM)
    await wait_until(
        lambda: all(p.popen.poll() is not None for p in procs.values()),
        timeout_s=STOP_TIMEOUT_S,
        interval_s=0.05,
        message="processes exited",
    )
    for name, proc in procs.items():
        assert proc.popen.returncode == 0, (
            f"{name} exited {proc.popen.returncode}:\n{proc.output()}"
        )


def last_end_ms(db: Path) -> dict[str, int]:
    """Epoch ms of the last event that ended a job, per type (the broker's own clock)."""
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        rows = conn.execute(
            "SELECT job_type, MAX(at) FROM job_events"
            " WHERE event IN ('COMPLETED', 'ERROR_THROWN', 'INCIDENT') GROUP BY job_type"
        ).fetchall()
    return {job_type: at for job_type, at in rows}


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
            "result": 2 * n if completed else None,
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
            pytest.param(1_500, 60.0, id="1500-jobs", marks=pytest.mark.timeout(150)),
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
        with broker_process(db, port) as broker, ExitStack() as stack:
            async with AsyncClient(configuration=client_config(address)) as client:
                await wait_reachable(client, broker)
                workers = [
                    stack.enter_context(
                        worker_process(
                            project,
                            "load_handlers",
                            "--name",
                            f"load-{i}",
                            LOAD_MARKS=str(project / "marks"),
                            SDK_HTTP_PORT=str(http_port),
                            SDK_LOG_LEVEL="WARNING",
                            **client_config(address),
                        )
                    )
                    for i, http_port in enumerate(http_ports)
                ]
                await wait_ready(http_ports, workers)

                started_s, started_ms = time.perf_counter(), int(time.time() * 1000)
                keys: list[str] = []
                for first in range(0, total, CREATE_BATCH):
                    keys += await client.create_jobs(specs[first : first + CREATE_BATCH])

                async with httpx.AsyncClient(base_url=f"{address}/v2", timeout=10) as http:
                    counts: Counter[tuple[str, str]] = Counter()

                    async def ended() -> bool:
                        nonlocal counts
                        for proc in (broker, *workers):
                            alive(proc)
                        counts = await state_counts(http)
                        live = sum(n for (_, state), n in counts.items() if state in LIVE)
                        return live == 0 and counts.total() == total

                    try:
                        await wait_until(ended, timeout_s=wait_s, interval_s=0.25)
                    except TimeoutError:
                        raise AssertionError(
                            f"jobs still live after {wait_s} s: {counts}"
                        ) from None
                elapsed_s = time.perf_counter() - started_s

            await stopped({f"worker load-{i}": proc for i, proc in enumerate(workers)})
            await stopped({"broker": broker})

        assert counts == Counter({(t, STATS_NAME[s]): n for (t, s), n in expected.items()})
        stored = read_store(db)
        assert len(stored) == total
        wrong = list(mismatches(keys, specs, stored))
        assert not wrong, f"{len(wrong)} jobs differ, e.g.:\n" + "\n".join(wrong[:20])
        timeouts = sum(job.events["TIMED_OUT"] for job in stored.values())
        per_type = ", ".join(
            f"{job_type} {(at - started_ms) / 1000:.1f} s"
            for job_type, at in last_end_ms(db).items()
        )
        print(
            f"\nload: {total} jobs ({WORKERS} worker processes, 3 strategies) ended as"
            f" designed in {elapsed_s:.1f} s: {total / elapsed_s:.0f} jobs/s; last end per type:"
            f" {per_type}; {timeouts} lease timeouts ({STALLED_JOBS} designed)"
        )


class TestCreationBatches:
    async def test_a_full_creation_batch_goes_through_the_async_client(
        self, sdk_broker: RunningBroker
    ) -> None:
        pytest.importorskip("httpx_aiohttp")
        config = {
            "CAMUNDA_REST_ADDRESS": sdk_broker.url,
            "CAMUNDA_AUTH_STRATEGY": "NONE",
            "SDK_HTTP_TRANSPORT": "aiohttp",
        }
        specs = specs_for(MAX_CREATE_BATCH)
        async with AsyncClient(configuration=config) as client:
            keys = await client.create_jobs(specs)
        assert len(set(keys)) == MAX_CREATE_BATCH
