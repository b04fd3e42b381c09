"""Idempotency keys of job creation in PostgreSQL (the rules: ``store/_idempotency.py``),
shared by every replica on the database.

A key is claimed with ``INSERT ... ON CONFLICT DO NOTHING``: a second replica's claim waits for
the first's commit, then replays it. A plain function over one of the store's transactions
(``_tx.Tx``).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence

from ....models import JobKey
from .._idempotency import IdempotencyKeyReused
from ._tx import Tx

TABLES = (
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
)
"""Schema version 3 adds these (``_schema.py``)."""


async def create_once(
    tx: Tx,
    *,
    scope: str,
    key: str,
    digest: str,
    now: int,
    retention_ms: int,
    create: Callable[[], Awaitable[Sequence[JobKey]]],
) -> tuple[list[JobKey], bool]:
    """The jobs of ``(scope, key)``: created now by ``create``, or those created before."""
    await tx.execute("DELETE FROM idempotency_keys WHERE expires_at <= %s", (now,))
    claimed = await tx.one(
        "INSERT INTO idempotency_keys (scope, key, body_hash, job_keys, created_at, expires_at)"
        " VALUES (%s, %s, %s, '[]', %s, %s) ON CONFLICT DO NOTHING RETURNING key",
        (scope, key, digest, now, now + retention_ms),
    )
    if claimed is None:
        row = await tx.one(
            "SELECT body_hash, job_keys FROM idempotency_keys WHERE scope = %s AND key = %s",
            (scope, key),
        )
        assert row is not None  # the conflicting claim committed (else ours would have won)
        if row["body_hash"] != digest:
            raise IdempotencyKeyReused.of(key)
        return [JobKey(k) for k in json.loads(row["job_keys"])], True
    keys = list(await create())
    await tx.execute(
        "UPDATE idempotency_keys SET job_keys = %s WHERE scope = %s AND key = %s",
        (json.dumps([str(k) for k in keys]), scope, key),
    )
    return keys, False
