"""The queue peers ``bench/compare.py`` measures, one module each, and what they share.

Every peer works the same way: its no-op task's module is written to a temporary folder,
jobs are enqueued from a child process, then its worker runs in a child process of its own
until the peer's own bookkeeping (a Redis key, a table) shows no job left. The clock and the
worker's CPU are read from the first job the worker takes to the last, so start-up is left
out for every peer alike.
"""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass, field

SERVER_REDIS = "redis"
SERVER_POSTGRES = "postgres"


class Skipped(Exception):
    """A peer that cannot be installed or run here; the message says why."""


def version(package: str) -> str:
    """The installed version of ``package``, or ``Skipped`` naming the install command."""
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        raise Skipped(f"{package} is not installed (pip install -e '.[bench]')") from None


@dataclass(frozen=True)
class Peer:
    """One queue library and how to drive it; ``{jobs}`` in ``enqueue`` is the job count.

    The child processes get the server's URL in ``BENCH_URL`` and import the task module
    as ``peer_noop``.
    """

    system: str
    """The distribution whose version names the row."""
    server: str
    setting: str
    """Concurrency and delivery, as configured here (the server's durability is added)."""
    module: str
    enqueue: str
    worker: tuple[str, ...]
    """Arguments after ``python``."""
    remaining: str
    """A Redis command (``HLEN key``...) or a SQL query whose sum is the jobs left."""
    setup: tuple[tuple[str, ...], ...] = field(default_factory=tuple)
    """Commands (arguments after ``python``) run once before the jobs are enqueued."""
    needs: tuple[str, ...] = field(default_factory=tuple)
    """Other distributions the peer needs (its driver)."""
