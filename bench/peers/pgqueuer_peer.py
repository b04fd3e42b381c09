"""PgQueuer: one worker process (its defaults: batches of 10), schema installed ``durable``."""

from __future__ import annotations

from . import SERVER_POSTGRES, Peer

PEER = Peer(
    system="pgqueuer",
    server=SERVER_POSTGRES,
    setting="1 process, batch size 10 (default), tables durable (logged)",
    module="""\
import os

import asyncpg
from pgqueuer import PgQueuer
from pgqueuer.db import AsyncpgDriver
from pgqueuer.models import Job


async def main() -> PgQueuer:
    connection = await asyncpg.connect(os.environ["BENCH_URL"])
    pgq = PgQueuer(AsyncpgDriver(connection))

    @pgq.entrypoint("noop")
    async def noop(job: Job) -> None:
        pass

    return pgq


async def serve() -> None:
    await (await main()).run()
""",
    setup=(("-m", "pgqueuer", "install", "--durability", "durable"),),
    enqueue="""\
import asyncio
import os

import asyncpg
from pgqueuer.db import AsyncpgDriver
from pgqueuer.queries import Queries


async def main() -> None:
    connection = await asyncpg.connect(os.environ["BENCH_URL"])
    queries = Queries(AsyncpgDriver(connection))
    for start in range(0, {jobs}, 1000):
        count = min(1000, {jobs} - start)
        await queries.enqueue(["noop"] * count, [None] * count, [0] * count)
    await connection.close()


asyncio.run(main())
""",
    # its own start rather than `pgq run`, whose 1.6.0 log set-up fails at start
    worker=("-c", "import asyncio, peer_noop\nasyncio.run(peer_noop.serve())\n"),
    remaining="SELECT COUNT(*) FROM pgqueuer WHERE status IN ('queued', 'picked')",
    needs=("asyncpg",),
)
