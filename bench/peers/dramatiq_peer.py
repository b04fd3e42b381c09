"""dramatiq: one worker process of 8 threads, messages acknowledged after the task ran."""

from __future__ import annotations

from . import SERVER_REDIS, Peer

THREADS = 8

PEER = Peer(
    system="dramatiq",
    server=SERVER_REDIS,
    setting=f"1 process x {THREADS} threads, ack after the task",
    module="""\
import os

import dramatiq
from dramatiq.brokers.redis import RedisBroker

dramatiq.set_broker(RedisBroker(url=os.environ["BENCH_URL"]))


@dramatiq.actor
def noop() -> None:
    pass
""",
    enqueue="import peer_noop\nfor _ in range({jobs}):\n    peer_noop.noop.send()\n",
    worker=("-m", "dramatiq", "peer_noop", "--processes", "1", "--threads", str(THREADS)),
    # acknowledged messages leave this hash (dispatch.lua "ack")
    remaining="HLEN dramatiq:default.msgs",
    needs=("redis",),
)
