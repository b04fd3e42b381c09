"""Celery on its Redis transport: one process of 8 threads, messages acknowledged late."""

from __future__ import annotations

from . import SERVER_REDIS, Peer

THREADS = 8

PEER = Peer(
    system="celery",
    server=SERVER_REDIS,
    setting=f"1 process x {THREADS} threads, acks_late (ack after the task), no result backend",
    module="""\
import os

from celery import Celery

app = Celery("peer_noop", broker=os.environ["BENCH_URL"])
app.conf.task_acks_late = True
app.conf.broker_connection_retry_on_startup = True


@app.task(name="noop", ignore_result=True)
def noop() -> None:
    pass
""",
    enqueue="import peer_noop\nfor _ in range({jobs}):\n    peer_noop.noop.delay()\n",
    worker=(
        *("-m", "celery", "-A", "peer_noop", "worker", "--pool", "threads"),
        *("--concurrency", str(THREADS), "--loglevel", "warning"),
        *("--without-heartbeat", "--without-gossip", "--without-mingle"),
    ),
    # waiting messages, and those delivered but not yet acknowledged
    remaining="LLEN celery;HLEN unacked",
    needs=("redis", "kombu"),
)
