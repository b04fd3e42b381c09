"""saq: one worker process, its default concurrency of asyncio jobs."""

from __future__ import annotations

from . import SERVER_REDIS, Peer

PEER = Peer(
    system="saq",
    server=SERVER_REDIS,
    setting="1 process, concurrency=64 (the worker's slots), job incomplete until done",
    module="""\
import os
from typing import Any

from saq import Queue

queue = Queue.from_url(os.environ["BENCH_URL"])


async def noop(ctx: Any) -> None:
    pass


settings = {"queue": queue, "functions": [noop], "concurrency": 64}
""",
    enqueue="""\
import asyncio

import peer_noop


async def main() -> None:
    await peer_noop.queue.connect()
    for _ in range({jobs}):
        await peer_noop.queue.enqueue("noop")
    await peer_noop.queue.disconnect()


asyncio.run(main())
""",
    worker=("-m", "saq", "peer_noop.settings", "--workers", "1"),
    # a job stays in this sorted set until it is complete
    remaining="ZCARD saq:default:incomplete",
    needs=("redis",),
)
