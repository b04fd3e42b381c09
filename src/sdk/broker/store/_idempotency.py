"""Idempotency keys of job creation (``Idempotency-Key`` on ``POST /v2/ext/jobs``).

A client whose answer was lost sends the same request again with the same key; the store
answers the job keys it created the first time instead of creating the jobs twice. A key is
remembered with a hash of the request body (the same key with another body is a client bug:
422) for a retention window, per caller (``scope``: the authenticated principal, or ``""``).
Each backend keeps the keys in its own table, in the creation's transaction, so the lookup, the
creation and the remembering are one atomic step; what they share is here.
"""

from __future__ import annotations

import hashlib
import json

from ...models import JobCreationRequest
from .._problems import BrokerError

IDEMPOTENCY_HEADER = "Idempotency-Key"
DEFAULT_RETENTION_MS = 24 * 3600 * 1000
"""How long a key is remembered (the IETF draft and Stripe both keep keys for about a day)."""


class IdempotencyKeyReused(BrokerError):
    """The key was used before with a different body: the caller mixed up two requests."""

    status = 422
    title = "IDEMPOTENCY_KEY_REUSED"

    @classmethod
    def of(cls, key: str) -> IdempotencyKeyReused:
        return cls(
            f"{IDEMPOTENCY_HEADER} {key!r} was already used with a different request body; send a"
            " new key for a new request"
        )


def body_hash(body: JobCreationRequest) -> str:
    """SHA-256 of the canonical JSON of the parsed body (defaults filled, keys sorted), so
    two spellings of the same request are the same request."""
    dumped = body.model_dump(mode="json", by_alias=True)
    for job in dumped["jobs"]:  # fields added later hash as before while unused
        if job.get("runAt") is None:
            job.pop("runAt", None)
        if job.get("priority") == 0:
            job.pop("priority", None)
    canonical = json.dumps(
        dumped,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
