"""Job-type limits in PostgreSQL (what they mean, and the bucket's arithmetic:
``store/_limits.py``), shared by every replica on the database.

An activation of a limited type locks the type's limits row ``FOR UPDATE`` before counting its
ACTIVATED jobs, so two replicas never both see the same free slot, and the rate bucket in that
row is spent in the same transaction. Plain functions over one of the store's transactions
(``_tx.Tx``).
"""

from __future__ import annotations

from psycopg.rows import DictRow

from ....models import JobTypeLimits
from .._limits import Allowance, capacity, next_token_at, refilled
from ._tx import Tx

TABLES = (
    """CREATE TABLE job_type_limits (
        type TEXT PRIMARY KEY,
        max_active INTEGER,
        rate DOUBLE PRECISION,
        tokens DOUBLE PRECISION NOT NULL DEFAULT 0,
        refilled_at BIGINT NOT NULL DEFAULT 0,
        updated_at BIGINT NOT NULL
    )""",
)
"""Schema version 3 adds this (``_schema.py``)."""


async def allowance(
    tx: Tx, job_type: str, wanted: int, now: int
) -> tuple[Allowance, DictRow | None]:
    """How many of ``wanted`` jobs may be activated now, and the type's rate bucket if it has
    one (for ``consume``); locks the limits row till commit."""
    row = await tx.one(
        "SELECT max_active, rate, tokens, refilled_at FROM job_type_limits"
        " WHERE type = %s FOR UPDATE",
        (job_type,),
    )
    if row is None:
        return Allowance(wanted), None
    bucket = None if row["rate"] is None else row
    jobs = wanted
    if row["max_active"] is not None:
        counted = await tx.one(  # a fresh snapshot, taken after the lock: other replicas' commits
            "SELECT COUNT(*) AS n, MIN(available_at) AS soonest FROM jobs"
            " WHERE type = %s AND state = 'ACTIVATED' AND available_at > %s",
            (job_type, now),
        )
        assert counted is not None
        jobs = min(jobs, max(int(row["max_active"]) - int(counted["n"]), 0))
        if jobs == 0:
            soonest = counted["soonest"]
            return Allowance(0, None if soonest is None else int(soonest)), bucket
    if row["rate"] is not None:
        rate = float(row["rate"])
        available = refilled(rate, float(row["tokens"]), int(row["refilled_at"]), now)
        jobs = min(jobs, int(available))
        if jobs == 0:
            return Allowance(0, next_token_at(rate, available, now)), bucket
    return Allowance(jobs), bucket


async def consume(tx: Tx, job_type: str, bucket: DictRow, taken: int, now: int) -> None:
    """Spend ``taken`` tokens of the type's ``bucket`` (its row, locked by ``allowance``)."""
    row = bucket
    rate = float(row["rate"])
    left = max(refilled(rate, float(row["tokens"]), int(row["refilled_at"]), now) - taken, 0.0)
    await tx.execute(
        "UPDATE job_type_limits SET tokens = %s, refilled_at = %s WHERE type = %s",
        (left, now, job_type),
    )


async def set_limits(
    tx: Tx, job_type: str, max_active: int | None, rate: float | None, now: int
) -> JobTypeLimits:
    """As on SQLite: both ``None`` clears; a new rate starts with a full bucket."""
    if max_active is None and rate is None:
        await clear_limits(tx, job_type)
        return JobTypeLimits(type=job_type, updated_at=now)
    tokens = 0.0 if rate is None else capacity(rate)
    await tx.execute(
        "INSERT INTO job_type_limits (type, max_active, rate, tokens, refilled_at, updated_at)"
        " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (type) DO UPDATE SET"
        " max_active = excluded.max_active, rate = excluded.rate, tokens = excluded.tokens,"
        " refilled_at = excluded.refilled_at, updated_at = excluded.updated_at",
        (job_type, max_active, rate, tokens, now, now),
    )
    return JobTypeLimits(type=job_type, max_active=max_active, rate=rate, updated_at=now)


async def clear_limits(tx: Tx, job_type: str) -> bool:
    gone = await tx.all("DELETE FROM job_type_limits WHERE type = %s RETURNING type", (job_type,))
    return bool(gone)


_COLUMNS = "type, max_active, rate, updated_at"


async def get_limits(tx: Tx, job_type: str) -> JobTypeLimits | None:
    row = await tx.one(f"SELECT {_COLUMNS} FROM job_type_limits WHERE type = %s", (job_type,))
    return None if row is None else _limits(row)


async def all_limits(tx: Tx) -> list[JobTypeLimits]:
    rows = await tx.all(f"SELECT {_COLUMNS} FROM job_type_limits ORDER BY type")
    return [_limits(row) for row in rows]


def _limits(row: DictRow) -> JobTypeLimits:
    return JobTypeLimits(
        type=row["type"],
        max_active=row["max_active"],
        rate=row["rate"],
        updated_at=int(row["updated_at"]),
    )
