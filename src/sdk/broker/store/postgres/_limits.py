"""Job-type limits in PostgreSQL (what they mean, and the bucket's arithmetic:
``store/_limits.py``), shared by every replica on the database.

An activation of a limited type locks the type's limits row ``FOR UPDATE`` before counting its
ACTIVATED jobs, so two replicas never both see the same free slot, and the rate bucket in that
row is spent in the same transaction. Plain functions over one of the store's transactions
(``_tx.Tx``).
"""

from __future__ import annotations

from typing import Any

from psycopg.rows import DictRow

from ....models import JobTypeLimits
from .._keyed import ACTIVE_BY_KEY, COLUMNS, JOB_COLUMN, KeyedLimit, pick
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
KEYED_COLUMNS = (
    *(f"ALTER TABLE job_type_limits ADD COLUMN {name} {kind}" for name, kind in COLUMNS.items()),
    f"ALTER TABLE jobs ADD COLUMN {JOB_COLUMN} TEXT",
)
"""The columns of keyed limits (``_keyed``), added by a later schema version."""
_PAGE = 500
"""Candidates read at a time while looking for jobs whose key has a free slot."""


async def allowance(
    tx: Tx, job_type: str, wanted: int, now: int
) -> tuple[Allowance, DictRow | None]:
    """How many of ``wanted`` jobs may be activated now, and the type's rate bucket if it has
    one (for ``consume``); locks the limits row till commit."""
    row = await tx.one(READ_LIMITS.format(p="%s") + " FOR UPDATE", (job_type,))
    if row is None:
        return Allowance(wanted), None
    bucket = None if row["rate"] is None else row
    active, soonest = 0, None
    if row["max_active"] is not None:
        # a fresh snapshot, taken after the lock: other replicas' commits count
        counted = await tx.one(COUNT_ACTIVE.format(p="%s"), (job_type, now))
        assert counted is not None
        active = int(counted["n"])
        soonest = None if counted["soonest"] is None else int(counted["soonest"])
    return allowed(wanted, now, row, active, soonest), bucket


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
    tx: Tx,
    job_type: str,
    max_active: int | None,
    rate: float | None,
    now: int,
    keyed: KeyedLimit | None = None,
) -> JobTypeLimits:
    """As on SQLite (``replacement``): all ``None`` clears."""
    values, limits = replacement(job_type, max_active, rate, now, keyed)
    if values is None:
        await clear_limits(tx, job_type)
    else:
        await tx.execute(_UPSERT, values)
    return limits


async def keyed_picks(
    tx: Tx,
    job_type: str,
    keyed: KeyedLimit,
    wanted: int,
    select: str,
    args: tuple[Any, ...],
    now: int,
) -> tuple[list[int], list[str | None]]:
    """Keys of up to ``wanted`` candidates of ``select`` (in activation order, paged with
    ``LIMIT``/``OFFSET`` marks at its end) whose key has a free slot, and those keys. The
    caller holds the limits row, so no other activation of the type counts meanwhile."""
    counted = await tx.all(ACTIVE_BY_KEY.format(p="%s"), (job_type, now))
    active: dict[str | None, int] = {r["limit_key"]: int(r["n"]) for r in counted}
    picked: list[tuple[Any, str | None]] = []
    offset = 0
    while len(picked) < wanted:
        page = await tx.all(select, (*args, _PAGE, offset))
        picked += pick(keyed, page, wanted - len(picked), active)
        if len(page) < _PAGE:
            break
        offset += _PAGE
    return [int(row["key"]) for row, _ in picked], [key for _, key in picked]


async def clear_limits(tx: Tx, job_type: str) -> bool:
    gone = await tx.all("DELETE FROM job_type_limits WHERE type = %s RETURNING type", (job_type,))
    return bool(gone)


_UPSERT = UPSERT.format(p="%s")


async def get_limits(tx: Tx, job_type: str) -> JobTypeLimits | None:
    row = await tx.one(f"SELECT {LIMIT_COLUMNS} FROM job_type_limits WHERE type = %s", (job_type,))
    return None if row is None else limits_of(*row.values())


async def all_limits(tx: Tx) -> list[JobTypeLimits]:
    rows = await tx.all(f"SELECT {LIMIT_COLUMNS} FROM job_type_limits ORDER BY type")
    return [limits_of(*row.values()) for row in rows]
