"""Job-type limits in SQLite (what they mean, and the bucket's arithmetic: ``store/_limits.py``).

Plain functions over a connection, called inside the store's transactions.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from ....models import JobTypeLimits
from .._keyed import ACTIVE_BY_KEY, COLUMNS, KeyedLimit, pick
from .._limits import Allowance, capacity, next_token_at, refilled

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
    """Set (replace) the limits of ``job_type``; all ``None`` clears them. A new rate
    starts with a full bucket."""
    if max_active is None and rate is None and keyed is None:
        clear_limits(db, job_type)
        return JobTypeLimits(type=job_type, updated_at=now)
    tokens = 0.0 if rate is None else capacity(rate)
    per_key = None if keyed is None else keyed.per_key
    variable = None if keyed is None else keyed.variable
    header = None if keyed is None else keyed.header
    db.execute(
        "INSERT INTO job_type_limits (type, max_active, rate, tokens, refilled_at, updated_at,"
        " max_active_per_key, key_variable, key_header)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (type) DO UPDATE SET"
        " max_active = excluded.max_active, rate = excluded.rate, tokens = excluded.tokens,"
        " refilled_at = excluded.refilled_at, updated_at = excluded.updated_at,"
        " max_active_per_key = excluded.max_active_per_key,"
        " key_variable = excluded.key_variable, key_header = excluded.key_header",
        (job_type, max_active, rate, tokens, now, now, per_key, variable, header),
    )
    return JobTypeLimits(
        type=job_type,
        max_active=max_active,
        rate=rate,
        updated_at=now,
        max_active_per_key=per_key,
        key_variable=variable,
        key_header=header,
    )


def clear_limits(db: sqlite3.Connection, job_type: str) -> bool:
    """Remove the limits of ``job_type``; whether it had any."""
    return db.execute("DELETE FROM job_type_limits WHERE type = ?", (job_type,)).rowcount > 0


_COLUMNS = "type, max_active, rate, updated_at, max_active_per_key, key_variable, key_header"


def get_limits(db: sqlite3.Connection, job_type: str) -> JobTypeLimits | None:
    row = db.execute(
        f"SELECT {_COLUMNS} FROM job_type_limits WHERE type = ?",
        (job_type,),
    ).fetchone()
    return None if row is None else _limits(row)


def all_limits(db: sqlite3.Connection) -> list[JobTypeLimits]:
    rows = db.execute(f"SELECT {_COLUMNS} FROM job_type_limits ORDER BY type").fetchall()
    return [_limits(row) for row in rows]


def slot_limited_types(db: sqlite3.Connection) -> set[str]:
    """Types with a ``max_active``: their completions free a slot, so they wake pollers."""
    rows = db.execute(
        "SELECT type FROM job_type_limits"
        " WHERE max_active IS NOT NULL OR max_active_per_key IS NOT NULL"
    )
    return {str(row[0]) for row in rows}


def allowance(db: sqlite3.Connection, job_type: str, wanted: int, now: int) -> Allowance:
    """How many of ``wanted`` jobs of ``job_type`` may be activated at ``now``."""
    row = db.execute(
        "SELECT max_active, rate, tokens, refilled_at, max_active_per_key, key_variable,"
        " key_header FROM job_type_limits WHERE type = ?",
        (job_type,),
    ).fetchone()
    if row is None:
        return Allowance(wanted)
    max_active, rate, tokens, refilled_at = row[:4]
    keyed = KeyedLimit.of(row)
    jobs = wanted
    if max_active is not None:
        active, soonest_deadline = db.execute(
            "SELECT COUNT(*), MIN(available_at) FROM jobs"
            " WHERE type = ? AND state = 'ACTIVATED' AND available_at > ?",
            (job_type, now),
        ).fetchone()
        jobs = min(jobs, max(max_active - active, 0))
        if jobs == 0:  # a completion wakes the type; a timed-out activation frees a slot too
            return Allowance(0, soonest_deadline, keyed)
    if rate is not None:
        available = refilled(rate, tokens, refilled_at, now)
        jobs = min(jobs, int(available))
        if jobs == 0:
            return Allowance(0, next_token_at(rate, available, now), keyed)
    return Allowance(jobs, None, keyed)


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


def _limits(row: sqlite3.Row) -> JobTypeLimits:
    return JobTypeLimits(
        type=row[0],
        max_active=row[1],
        rate=row[2],
        updated_at=row[3],
        max_active_per_key=row[4],
        key_variable=row[5],
        key_header=row[6],
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
