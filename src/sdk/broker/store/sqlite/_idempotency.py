"""Idempotency keys of job creation in SQLite (the rules: ``store/_idempotency.py``).

Plain functions over a connection, called inside the store's transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence

from ....models import JobKey
from .._idempotency import IdempotencyKeyReused

SCHEMA = """
CREATE TABLE IF NOT EXISTS idempotency_keys (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    body_hash TEXT NOT NULL,
    job_keys TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX IF NOT EXISTS idempotency_keys_expiry ON idempotency_keys (expires_at);
"""


def create_once(
    db: sqlite3.Connection,
    *,
    scope: str,
    key: str,
    digest: str,
    now: int,
    retention_ms: int,
    create: Callable[[], Sequence[JobKey]],
) -> tuple[list[JobKey], bool]:
    """The jobs of ``(scope, key)``: created now by ``create``, or the ones created before.

    Returns ``(job keys, replayed)``. Expired keys are forgotten first (an index range scan,
    nearly always empty), so a key can be reused after the retention window.
    """
    db.execute("DELETE FROM idempotency_keys WHERE expires_at <= ?", (now,))
    row = db.execute(
        "SELECT body_hash, job_keys FROM idempotency_keys WHERE scope = ? AND key = ?",
        (scope, key),
    ).fetchone()
    if row is not None:
        if row[0] != digest:
            raise IdempotencyKeyReused.of(key)
        return [JobKey(k) for k in json.loads(row[1])], True
    keys = list(create())
    db.execute(
        "INSERT INTO idempotency_keys (scope, key, body_hash, job_keys, created_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (scope, key, digest, json.dumps([str(k) for k in keys]), now, now + retention_ms),
    )
    return keys, False
