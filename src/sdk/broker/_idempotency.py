"""Idempotency keys of job creation (``Idempotency-Key`` on ``POST /v2/ext/jobs``), in SQLite.

A client whose answer was lost sends the same request again with the same key; the store
answers the job keys it created the first time instead of creating the jobs twice. A key is
remembered with a hash of the request body (the same key with another body is a client bug:
422) for a retention window, per caller (``scope``: the authenticated principal, or ``""``).

Plain functions over a connection, called inside the store's transaction, so the lookup, the
creation and the remembering are one atomic step; another store implements the same three.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Sequence

from ..models import JobCreationRequest, JobKey
from ._problems import BrokerError, InvalidRequest

HEADER = "Idempotency-Key"
DEFAULT_RETENTION_MS = 24 * 3600 * 1000
"""How long a key is remembered (the IETF draft and Stripe both keep keys for about a day)."""
MAX_KEY_LENGTH = 255

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


class IdempotencyKeyReused(BrokerError):
    """The key was used before with a different body: the caller mixed up two requests."""

    status = 422
    title = "IDEMPOTENCY_KEY_REUSED"


def parse_key(raw: str | None) -> str | None:
    """The header's key (quotes of the draft's sf-string form removed), or a 400 saying why."""
    if raw is None:
        return None
    key = raw.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise InvalidRequest(
            f"{HEADER}: must be 1 to {MAX_KEY_LENGTH} printable ASCII characters, e.g. a UUID"
        )
    return key


def body_hash(body: JobCreationRequest) -> str:
    """SHA-256 of the canonical JSON of the parsed body (defaults filled, keys sorted), so
    two spellings of the same request are the same request."""
    canonical = json.dumps(
        body.model_dump(mode="json", by_alias=True),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


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
            raise IdempotencyKeyReused(
                f"{HEADER} {key!r} was already used with a different request body; send a"
                " new key for a new request"
            )
        return [JobKey(k) for k in json.loads(row[1])], True
    keys = list(create())
    db.execute(
        "INSERT INTO idempotency_keys (scope, key, body_hash, job_keys, created_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (scope, key, digest, json.dumps([str(k) for k in keys]), now, now + retention_ms),
    )
    return keys, False
