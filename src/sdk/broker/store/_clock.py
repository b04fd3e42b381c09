"""The broker's clock: the wall clock, or a time pinned through ``PUT /v2/clock``.

Camunda lets a cluster started with its clock controllable (``zeebe.clock.controlled``) pin the
engine's time: it stands still at the pinned instant until pinned again or reset. Everything the
engine times reads it: timers, job deadlines, the ``now()`` of FEEL. Waits of requests (a long
poll's request timeout, ``awaitCompletion``) keep the real clock, or a pinned clock would hold
them forever.

The pinned time is stored in the database (one row of ``broker_clock``), so a restart keeps it
and replicas sharing a PostgreSQL database share it: the replica that pins it fires the timers
due at once; another one reads it before each look at its timers (at least every second).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Clock = Callable[[], int]

TABLES = """
CREATE TABLE IF NOT EXISTS broker_clock (
    id INTEGER PRIMARY KEY,
    pinned {int}
);
"""
"""The pinned time (epoch ms) in its one row (``id`` 1); no row or ``NULL``: the wall clock."""

READ = "SELECT pinned FROM broker_clock WHERE id = 1"
WRITE = (
    "INSERT INTO broker_clock (id, pinned) VALUES (1, ?)"
    " ON CONFLICT (id) DO UPDATE SET pinned = excluded.pinned"
)


def sqlite_tables() -> str:
    return TABLES.format(int="INTEGER")


def postgres_tables() -> tuple[str, ...]:
    return (TABLES.format(int="BIGINT").strip().rstrip(";"),)


class ClockDisabled(Exception):
    """The clock routes of a broker started without clock control."""


class BrokerClock:
    """The time the engine reads: ``base`` (the wall clock, or a test's), or the pinned one.

    ``controllable`` says whether ``PUT /v2/clock`` and ``POST /v2/clock/reset`` are answered;
    a time pinned earlier (found in the database) holds either way, as in Camunda, where the
    pinned clock is part of the engine's state.
    """

    def __init__(self, base: Clock, *, controllable: bool = False) -> None:
        self.base = base
        self.controllable = controllable
        self.pinned: int | None = None

    def now(self) -> int:
        pinned = self.pinned
        return self.base() if pinned is None else pinned

    def loaded(self, pinned: Any) -> None:
        """Take the pinned time read from the database (``None``: none, or no row)."""
        self.pinned = None if pinned is None else int(pinned)
