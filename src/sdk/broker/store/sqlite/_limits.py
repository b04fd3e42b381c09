"""Job-type limits in SQLite (what they mean, and the bucket's arithmetic: ``store/_limits.py``).

Plain functions over a connection, called inside the store's transactions.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from ....models import JobTypeLimits
from .._keyed import ACTIVE_BY_KEY, COLUMNS, KeyedLimit, pick
from .._limits import (
    COUNT_ACTIVE,
    LIMIT_COLUMNS,
    READ_LIMITS,
    UPSERT,
    Allowance,
    allowed,
    limits_of,
    refilled,
    replacement,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS job_type_limits (
    type TEXT PRIMARY KEY,
    max_active INTEGER,
    rate REAL,
    tokens REAL NOT NULL DEFAULT 0,
    refilled_at INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL,
    max_active_per_key INTEGER,
    key_variable TEXT,
    key_header TEXT
);
"""


def keyed_columns(have: set[str]) -> str:
    """The ``ALTER TABLE`` of each keyed-limit column (``_keyed``) a file's table lacks."""
    return "".join(
        f"ALTER TABLE job_type_limits ADD COLUMN {name} {kind};"
        for name, kind in COLUMNS.items()
        if name not in have
    )


def set_limits(
    db: sqlite3.Connection,
    job_type: str,
    max_active: int | None,
    rate: float | None,
    now: int,
    keyed: KeyedLimit | None = None,
) -> JobTypeLimits:
    """Set (replace) the limits of ``job_type`` (``replacement``); all ``None`` clears them."""
    values, limits = replacement(job_type, max_active, rate, now, keyed)
    if values is None:
        clear_limits(db, job_type)
    else:
        db.execute(_UPSERT, values)
    return limits


def clear_limits(db: sqlite3.Connection, job_type: str) -> bool:
    """Remove the limits of ``job_type``; whether it had any."""
    return db.execute("DELETE FROM job_type_limits WHERE type = ?", (job_type,)).rowcount > 0


_UPSERT = UPSERT.format(p="?")


def get_limits(db: sqlite3.Connection, job_type: str) -> JobTypeLimits | None:
    row = db.execute(
        f"SELECT {LIMIT_COLUMNS} FROM job_type_limits WHERE type = ?",
        (job_type,),
    ).fetchone()
    return None if row is None else limits_of(*row)


def all_limits(db: sqlite3.Connection) -> list[JobTypeLimits]:
    rows = db.execute(f"SELECT {LIMIT_COLUMNS} FROM job_type_limits ORDER BY type").fetchall()
    return [limits_of(*row) for row in rows]


def slot_limited_types(db: sqlite3.Connection) -> set[str]:
    """Types with a ``max_active``: their completions free a slot, so they wake pollers."""
    rows = db.execute(
        "SELECT type FROM job_type_limits"
        " WHERE max_active IS NOT NULL OR max_active_per_key IS NOT NULL"
    )
    return {str(row[0]) for row in rows}


def allowance(db: sqlite3.Connection, job_type: str, wanted: int, now: int) -> Allowance:
    """How many of ``wanted`` jobs of ``job_type`` may be activated at ``now``."""
    row = db.execute(READ_LIMITS.format(p="?"), (job_type,)).fetchone()
    if row is None:
        return Allowance(wanted)
    active, soonest = 0, None
    if row["max_active"] is not None:
        active, soonest = db.execute(COUNT_ACTIVE.format(p="?"), (job_type, now)).fetchone()
    return allowed(wanted, now, row, active, soonest)


def consume(db: sqlite3.Connection, job_type: str, taken: int, now: int) -> None:
    """Take ``taken`` tokens of the type's bucket (after an activation handed out jobs)."""
    row = db.execute(
        "SELECT rate, tokens, refilled_at FROM job_type_limits WHERE type = ? AND rate IS NOT NULL",
        (job_type,),
    ).fetchone()
    if row is None:
        return
    rate, tokens, refilled_at = row
    left = max(refilled(rate, tokens, refilled_at, now) - taken, 0.0)
    db.execute(
        "UPDATE job_type_limits SET tokens = ?, refilled_at = ? WHERE type = ?",
        (left, now, job_type),
    )


def keyed_rows(
    db: sqlite3.Connection,
    job_type: str,
    keyed: KeyedLimit,
    wanted: int,
    select: str,
    args: tuple[Any, ...],
    now: int,
) -> list[tuple[sqlite3.Row, str | None]]:
    """Up to ``wanted`` rows of ``select`` (the candidates in activation order) whose key has
    a free slot, with their keys; read lazily, so it stops once it has enough."""
    active = dict(db.execute(ACTIVE_BY_KEY.format(p="?"), (job_type, now)).fetchall())
    cursor = db.execute(select, args)
    try:
        return pick(keyed, cursor, wanted, active)
    finally:
        cursor.close()
