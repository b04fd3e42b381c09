"""The limits the design can approach, measured in the same run as the queues.

HTTP: a minimal ASGI app (204 to a small JSON POST) on the broker's server stack (uvicorn
with httptools, uvloop when installed) in a subprocess, driven by the worker's client stack
(the aiohttp transport's plain-JSON path) at the worker's concurrency. SQLite: the store's
own create, activate and complete calls in one process, with the worker's activation size,
one group commit per reported batch, and ``synchronous=FULL``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

import anyio
import httpx

from sdk.bench._procstat import cpu_seconds
from sdk.bench._scenarios import SCENARIOS
from sdk.broker.store import Activation, wall_clock_ms
from sdk.broker.store.sqlite import SqliteJobs
from sdk.models import JobSpec
from sdk.testing.postgres import free_port

CONCURRENCY = SCENARIOS["noop"].concurrency or 64
"""The bench worker's slots: its requests in flight at most."""
BODY = b'{"variables":{},"result":null}'
CREATE_BATCH = 5_000
"""Jobs per creation request in the bench (``sdk.bench._run.CREATE_BATCH``)."""

APP = """\
import sys

import uvicorn


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


uvicorn.run(
    app, host="127.0.0.1", port=int(sys.argv[1]), http="httptools", loop="auto",
    log_level="warning", access_log=False, lifespan="off",
)
"""


async def http_ceiling(requests: int) -> dict[str, Any]:
    """Requests/s, and client and server CPU µs per request."""
    from sdk.client._async_client import _LIMITS
    from sdk.client._transport import HttpTransport, JsonTransport, default_transport

    transport = default_transport(HttpTransport.AUTO, _LIMITS)
    if not isinstance(transport, JsonTransport):
        return {"skipped": "httpx-aiohttp is not installed (pip install -e '.[fast]')"}
    with tempfile.TemporaryDirectory(prefix="bench-ceiling-") as name:
        (Path(name) / "app.py").write_text(APP)
        port = free_port()
        proc = await anyio.open_process([sys.executable, "app.py", str(port)], cwd=name)
        url = f"http://127.0.0.1:{port}/v2/jobs/1/completion"
        try:
            await _wait_serving(url)
            post = partial(
                transport.send_json,
                "POST",
                url,
                {"content-type": "application/json", "accept": "application/json"},
                BODY,
                {"connect": 5.0, "read": 5.0, "write": 5.0, "pool": 5.0},
            )
            client0, server0 = cpu_seconds() or 0.0, cpu_seconds(proc.pid) or 0.0
            started = time.perf_counter()
            async with anyio.create_task_group() as tg:
                for share in _shares(requests, CONCURRENCY):
                    tg.start_soon(_loop, post, share)
            elapsed = time.perf_counter() - started
            client_cpu = (cpu_seconds() or 0.0) - client0
            server_cpu = (cpu_seconds(proc.pid) or 0.0) - server0
        finally:
            if isinstance(transport, httpx.AsyncBaseTransport):
                await transport.aclose()
            proc.terminate()
            await proc.wait()
    return {
        "jobs": requests,
        "jobs_per_s": round(requests / elapsed, 1),
        "worker_cpu_us_per_job": round(client_cpu / requests * 1e6, 1),
        "broker_cpu_us_per_job": round(server_cpu / requests * 1e6, 1),
    }


def _shares(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


async def _loop(post: Any, count: int) -> None:
    for _ in range(count):
        response = await post()
        if response.status_code != 204:
            raise RuntimeError(f"the ceiling app answered {response.status_code}")


async def _wait_serving(url: str) -> None:
    async with httpx.AsyncClient() as client:
        with anyio.fail_after(30):
            while True:
                try:
                    await client.post(url, content=BODY)
                    return
                except httpx.TransportError:
                    await anyio.sleep(0.05)


def sqlite_ceiling(jobs: int, activation: int = CONCURRENCY) -> list[dict[str, Any]]:
    """Two rows: create → activate → complete, and activate → complete alone (the part the
    bench times, as it pre-creates its jobs)."""
    with tempfile.TemporaryDirectory(prefix="bench-sqlite-") as name:
        store = SqliteJobs(Path(name) / "ceiling.db", synchronous="FULL")
        try:
            started = time.perf_counter()
            cpu0 = cpu_seconds() or 0.0
            for start in range(0, jobs, CREATE_BATCH):
                count = min(CREATE_BATCH, jobs - start)
                store.create([JobSpec(type="ceiling")] * count, wall_clock_ms())
            created = time.perf_counter()
            query = Activation(
                job_type="ceiling", worker="ceiling", timeout_ms=120_000, max_jobs=activation
            )
            done = 0
            while done < jobs:
                taken, _ = store.activate(query, wall_clock_ms())
                if not taken:
                    raise RuntimeError(f"no job left to activate after {done} of {jobs}")
                now = wall_clock_ms()
                store.run_group(
                    [partial(store.complete, int(job.job_key), None, None, now) for job in taken]
                )
                done += len(taken)
            finished = time.perf_counter()
            cpu = (cpu_seconds() or 0.0) - cpu0
        finally:
            store.close()
    group = f"{activation} jobs per activation and per group commit, synchronous=FULL, WAL"
    return [
        {
            "setting": f"create → activate → complete, {group}",
            "jobs": jobs,
            "jobs_per_s": round(jobs / (finished - started), 1),
            "broker_cpu_us_per_job": round(cpu / jobs * 1e6, 1),
        },
        {
            "setting": f"activate → complete (the bench's timed part), {group}",
            "jobs": jobs,
            "jobs_per_s": round(jobs / (finished - created), 1),
        },
    ]
