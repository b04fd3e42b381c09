"""arq: one worker process, its default ``max_jobs`` of asyncio jobs."""

from __future__ import annotations

from . import SERVER_REDIS, Peer

PEER = Peer(
    system="arq",
    server=SERVER_REDIS,
    setting="1 process, max_jobs=64 (the worker's slots), job left in the queue until done",
    module="""\
import os
from typing import Any

from arq.connections import RedisSettings


async def noop(ctx: Any) -> None:
    pass


class WorkerSettings:
    functions = [noop]
    redis_settings = RedisSettings.from_dsn(os.environ["BENCH_URL"])
    max_jobs = 64
""",
    enqueue="""\
import asyncio

from arq import create_pool

import peer_noop


async def main() -> None:
    pool = await create_pool(peer_noop.WorkerSettings.redis_settings)
    for _ in range({jobs}):
        await pool.enqueue_job("noop")
    await pool.aclose()


asyncio.run(main())
""",
    worker=("-m", "arq", "peer_noop.WorkerSettings"),
    # a job leaves the queue's sorted set when it has finished
    remaining="ZCARD arq:queue",
    needs=("redis",),
)
