"""Idempotency keys and job-type limits in PostgreSQL (``_idempotency.py``, ``_limits.py``
on SQLite), shared by every replica on the database.

Plain functions over the store's ``execute``, called inside its transactions. What replicas
need: a key is claimed with ``INSERT ... ON CONFLICT DO NOTHING`` (a second replica's claim
waits for the first's commit, then replays it); an activation of a limited type locks the
type's limits row ``FOR UPDATE`` before counting its ACTIVATED jobs, so two replicas never both
see the same free slot, and the rate bucket in that row is spent in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import psycopg
from psycopg.rows import DictRow

from ..models import JobKey, JobTypeLimits
from ._idempotency import HEADER, IdempotencyKeyReused
from ._limits import Allowance, _refilled, capacity

Execute = Callable[[str, Sequence[Any]], psycopg.Cursor[DictRow]]

MIGRATION = (
    """CREATE TABLE idempotency_keys (
        scope TEXT NOT NULL,
        key TEXT NOT NULL,
        body_hash TEXT NOT NULL,
        job_keys TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        PRIMARY KEY (scope, key)
    )""",
    "CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at)",
    """CREATE TABLE job_type_limits (
        type TEXT PRIMARY KEY,
        max_active INTEGER,
        rate DOUBLE PRECISION,
        tokens DOUBLE PRECISION NOT NULL DEFAULT 0,
        refilled_at BIGINT NOT NULL DEFAULT 0,
        updated_at BIGINT NOT NULL
    )""",
)
"""Schema version 3: the statements ``_pg_schema`` runs to add these tables."""


def create_once(
    execute: Execute,
    *,
    scope: str,
    key: str,
    digest: str,
    now: int,
    retention_ms: int,
    create: Callable[[], Sequence[JobKey]],
) -> tuple[list[JobKey], bool]:
    """The jobs of ``(scope, key)``: created now by ``create``, or those created before."""
    execute("DELETE FROM idempotency_keys WHERE expires_at <= %s", (now,))
    claimed = execute(
        "INSERT INTO idempotency_keys (scope, key, body_hash, job_keys, created_at, expires_at)"
        " VALUES (%s, %s, %s, '[]', %s, %s) ON CONFLICT DO NOTHING RETURNING key",
        (scope, key, digest, now, now + retention_ms),
    ).fetchone()
    if claimed is None:
        row = execute(
            "SELECT body_hash, job_keys FROM idempotency_keys WHERE scope = %s AND key = %s",
            (scope, key),
        ).fetchone()
        assert row is not None  # the conflicting claim committed (else ours would have won)
        if row["body_hash"] != digest:
            raise IdempotencyKeyReused(
                f"{HEADER} {key!r} was already used with a different request body; send a"
                " new key for a new request"
            )
        return [JobKey(k) for k in json.loads(row["job_keys"])], True
    keys = list(create())
    execute(
        "UPDATE idempotency_keys SET job_keys = %s WHERE scope = %s AND key = %s",
        (json.dumps([str(k) for k in keys]), scope, key),
    )
    return keys, False


def allowance(execute: Execute, job_type: str, wanted: int, now: int) -> Allowance:
    """How many of ``wanted`` jobs may be activated now; locks the limits row till commit."""
    row = execute(
        "SELECT max_active, rate, tokens, refilled_at FROM job_type_limits"
        " WHERE type = %s FOR UPDATE",
        (job_type,),
    ).fetchone()
    if row is None:
        return Allowance(wanted)
    jobs = wanted
    if row["max_active"] is not None:
        counted = execute(  # a fresh snapshot, taken after the lock: other replicas' commits
            "SELECT COUNT(*) AS n, MIN(available_at) AS soonest FROM jobs"
            " WHERE type = %s AND state = 'ACTIVATED' AND available_at > %s",
            (job_type, now),
        ).fetchone()
        assert counted is not None
        jobs = min(jobs, max(int(row["max_active"]) - int(counted["n"]), 0))
        if jobs == 0:
            soonest = counted["soonest"]
            return Allowance(0, None if soonest is None else int(soonest))
    if row["rate"] is not None:
        rate = float(row["rate"])
        available = _refilled(rate, float(row["tokens"]), int(row["refilled_at"]), now)
        jobs = min(jobs, int(available))
        if jobs == 0:
            return Allowance(0, now + max(1, int((1.0 - available) / rate * 1000) + 1))
    return Allowance(jobs)


def consume(execute: Execute, job_type: str, taken: int, now: int) -> None:
    """Spend ``taken`` tokens of the type's bucket (its row is locked by ``allowance``)."""
    row = execute(
        "SELECT rate, tokens, refilled_at FROM job_type_limits"
        " WHERE type = %s AND rate IS NOT NULL",
        (job_type,),
    ).fetchone()
    if row is None:
        return
    rate = float(row["rate"])
    left = max(_refilled(rate, float(row["tokens"]), int(row["refilled_at"]), now) - taken, 0.0)
    execute(
        "UPDATE job_type_limits SET tokens = %s, refilled_at = %s WHERE type = %s",
        (left, now, job_type),
    )


def slot_limited(execute: Execute, job_type: str) -> bool:
    """Whether an ended activation of ``job_type`` frees a slot others may be waiting for."""
    row = execute(
        "SELECT 1 AS one FROM job_type_limits WHERE type = %s AND max_active IS NOT NULL",
        (job_type,),
    ).fetchone()
    return row is not None


def set_limits(
    execute: Execute, job_type: str, max_active: int | None, rate: float | None, now: int
) -> JobTypeLimits:
    """As ``_limits.set_limits``: both ``None`` clears; a new rate starts with a full bucket."""
    if max_active is None and rate is None:
        clear_limits(execute, job_type)
        return JobTypeLimits(type=job_type, updated_at=now)
    tokens = 0.0 if rate is None else capacity(rate)
    execute(
        "INSERT INTO job_type_limits (type, max_active, rate, tokens, refilled_at, updated_at)"
        " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (type) DO UPDATE SET"
        " max_active = excluded.max_active, rate = excluded.rate, tokens = excluded.tokens,"
        " refilled_at = excluded.refilled_at, updated_at = excluded.updated_at",
        (job_type, max_active, rate, tokens, now, now),
    )
    return JobTypeLimits(type=job_type, max_active=max_active, rate=rate, updated_at=now)


def clear_limits(execute: Execute, job_type: str) -> bool:
    return execute("DELETE FROM job_type_limits WHERE type = %s", (job_type,)).rowcount > 0


_COLUMNS = "type, max_active, rate, updated_at"


def get_limits(execute: Execute, job_type: str) -> JobTypeLimits | None:
    row = execute(f"SELECT {_COLUMNS} FROM job_type_limits WHERE type = %s", (job_type,)).fetchone()
    return None if row is None else _limits(row)


def all_limits(execute: Execute) -> list[JobTypeLimits]:
    rows = execute(f"SELECT {_COLUMNS} FROM job_type_limits ORDER BY type", ()).fetchall()
    return [_limits(row) for row in rows]


def slot_limited_types(execute: Execute) -> set[str]:
    rows = execute("SELECT type FROM job_type_limits WHERE max_active IS NOT NULL", ()).fetchall()
    return {str(row["type"]) for row in rows}


def _limits(row: DictRow) -> JobTypeLimits:
    return JobTypeLimits(
        type=row["type"],
        max_active=row["max_active"],
        rate=row["rate"],
        updated_at=int(row["updated_at"]),
    )
