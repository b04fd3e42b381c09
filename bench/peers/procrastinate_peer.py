"""procrastinate: one worker process, 64 concurrent async jobs, on PostgreSQL."""

from __future__ import annotations

from . import SERVER_POSTGRES, Peer

CONCURRENCY = 64

PEER = Peer(
    system="procrastinate",
    server=SERVER_POSTGRES,
    setting=f"1 process, concurrency={CONCURRENCY} (the worker's slots), job row kept as succeeded",
    module="""\
import os

from procrastinate import App, PsycopgConnector

app = App(connector=PsycopgConnector(conninfo=os.environ["BENCH_URL"]))


@app.task(name="noop")
async def noop() -> None:
    pass
""",
    setup=(("-m", "procrastinate", "--app", "peer_noop.app", "schema", "--apply"),),
    enqueue="""\
import asyncio

import peer_noop


async def main() -> None:
    async with peer_noop.app.open_async():
        for _ in range({jobs}):
            await peer_noop.noop.defer_async()


asyncio.run(main())
""",
    worker=(
        *("-m", "procrastinate", "--app", "peer_noop.app", "--log-level", "warning"),
        *("worker", "--concurrency", str(CONCURRENCY)),
    ),
    remaining="SELECT COUNT(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')",
    needs=("psycopg",),
)
