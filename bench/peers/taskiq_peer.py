"""taskiq with taskiq-redis's stream broker (consumer group, acknowledged messages)."""

from __future__ import annotations

from . import SERVER_REDIS, Peer

MAX_ASYNC_TASKS = 64

PEER = Peer(
    system="taskiq",
    server=SERVER_REDIS,
    setting=f"1 process, {MAX_ASYNC_TASKS} async tasks, Redis stream, ack after the task",
    module="""\
import os

from taskiq_redis import RedisStreamBroker

broker = RedisStreamBroker(url=os.environ["BENCH_URL"])


@broker.task
async def noop() -> None:
    pass
""",
    # the enqueuer's start-up creates the consumer group before the first message
    enqueue="""\
import asyncio

import peer_noop


async def main() -> None:
    await peer_noop.broker.startup()
    for _ in range({jobs}):
        await peer_noop.noop.kiq()
    await peer_noop.broker.shutdown()


asyncio.run(main())
""",
    worker=(
        *("-m", "taskiq", "worker", "peer_noop:broker", "--workers", "1"),
        *("--max-async-tasks", str(MAX_ASYNC_TASKS), "--ack-type", "when_executed"),
    ),
    remaining="XGROUP_LEFT taskiq taskiq",
    needs=("taskiq-redis", "redis"),
)
