"""How long a cancelled job's handler runs on: cancellation to the handler's stop.

    python bench/cancel_latency.py [--jobs 20] [--check-ms 1000] [--store sqlite|URL]

An in-process broker (a SQLite file in a temporary folder, or the PostgreSQL database named
by URL) and a real worker with one async handler that waits forever; each job is cancelled
through the API at a random moment after its first cancellation check is due, and the time
until the handler sees its cancellation is taken. Prints the minimum, median and maximum.
The worker learns of the cancellation only from the 404 of its lease extension, as it would
from a Camunda cluster, so the figures follow ``--check-ms``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
from pathlib import Path

import anyio

from sdk.broker import RunningBroker, serve
from sdk.testing import client_for, running
from sdk.worker import LeaseExtension, Worker

JOB_TYPE = "bench-cancel"


async def measure(store: str, jobs: int, check_ms: int) -> list[float]:
    started, stopped = anyio.Event(), anyio.Event()
    delays: list[float] = []
    worker = Worker(
        "bench",
        request_timeout_ms=1_000,
        timeout_ms=600_000,
        lease_extension=LeaseExtension(cancel_check_ms=check_ms),
    )

    @worker.task(JOB_TYPE)
    async def waits() -> None:
        started.set()
        try:
            await anyio.sleep_forever()
        finally:
            stopped.set()

    async with anyio.create_task_group() as tg:
        broker: RunningBroker = await tg.start(
            lambda task_status: serve(store, "127.0.0.1", 0, task_status=task_status)
        )
        async with client_for(broker) as client, running(worker, client):
            for _ in range(jobs):
                started, stopped = anyio.Event(), anyio.Event()
                key = await client.create_job(JOB_TYPE)
                with anyio.fail_after(30):
                    await started.wait()
                await anyio.sleep(check_ms / 1000 * (1 + random.random()))
                cancelled_at = anyio.current_time()
                await client.cancel_job(key)
                with anyio.fail_after(30):
                    await stopped.wait()
                delays.append(anyio.current_time() - cancelled_at)
        tg.cancel_scope.cancel()
    return delays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--check-ms", type=int, default=1_000)
    parser.add_argument("--store", default="sqlite", help="sqlite, or a postgresql:// URL")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store = str(Path(folder) / "jobs.sqlite3") if args.store == "sqlite" else args.store
        delays = anyio.run(measure, store, args.jobs, args.check_ms)
    print(
        f"{len(delays)} cancellations, check every {args.check_ms} ms: cancellation to stop"
        f" min {min(delays):.3f} s, median {statistics.median(delays):.3f} s,"
        f" max {max(delays):.3f} s"
    )


if __name__ == "__main__":
    main()
