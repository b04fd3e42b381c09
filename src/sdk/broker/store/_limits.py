"""Limits the broker keeps per job type: most jobs ACTIVATED at once, most activations a second.

An operator's control over a downstream system that many workers share (an API with a quota):
whatever the workers ask for, the broker hands out no more than the limits allow. Workers do
not know about it; their long polls simply wait (see ``JobStore.activate``).

The rate is a token bucket whose state lives in the limits row, so it survives a restart and
would hold across brokers sharing one store. Its capacity is a tenth of a second of tokens
(at least one): activations are smoothed, never a second's worth in one burst.

Each backend keeps the limits in its own table and checks them in the activation's
transaction; the bucket's arithmetic, the same for both, is here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...models import JobTypeLimits
from ._keyed import KeyedLimit

BURST_S = 0.1
"""The bucket holds this many seconds of tokens (at least one token)."""


def capacity(rate: float) -> float:
    return max(1.0, rate * BURST_S)


@dataclass(frozen=True)
class Allowance:
    """How many jobs an activation may take now; when it may take none, when to look again
    (``None``: only a wake-up of the type, e.g. a completion, can change that)."""

    jobs: int
    retry_at: int | None = None
    keyed: KeyedLimit | None = None
    """The type's keyed limit, which the activation applies job by job (``_keyed``)."""


READ_LIMITS = (
    "SELECT max_active, rate, tokens, refilled_at, max_active_per_key, key_variable,"
    " key_header FROM job_type_limits WHERE type = {p}"
)
"""The limits row an activation reads (``{p}``: the backend's parameter mark)."""
COUNT_ACTIVE = (
    "SELECT COUNT(*) AS n, MIN(available_at) AS soonest FROM jobs"
    " WHERE type = {p} AND state = 'ACTIVATED' AND available_at > {p}"
)
"""A type's ACTIVATED jobs whose lease still runs, and the soonest of their deadlines."""


def allowed(wanted: int, now: int, row: Any, active: int, soonest: int | None) -> Allowance:
    """How many of ``wanted`` jobs the limits ``row`` (``READ_LIMITS``) allow at ``now``, with
    ``active`` jobs ACTIVATED, the soonest deadline among them ``soonest`` (``COUNT_ACTIVE``,
    read only when the row has a ``max_active``). Each backend reads both in the activation's
    transaction; the rule is the same for both."""
    keyed = KeyedLimit.of(row)
    jobs = wanted
    if row["max_active"] is not None:
        jobs = min(jobs, max(int(row["max_active"]) - active, 0))
        if jobs == 0:  # a completion wakes the type; a timed-out activation frees a slot too
            return Allowance(0, soonest, keyed)
    if row["rate"] is not None:
        rate = float(row["rate"])
        available = refilled(rate, float(row["tokens"]), int(row["refilled_at"]), now)
        jobs = min(jobs, int(available))
        if jobs == 0:
            return Allowance(0, next_token_at(rate, available, now), keyed)
    return Allowance(jobs, None, keyed)


def refilled(rate: float, tokens: float, refilled_at: int, now: int) -> float:
    """The bucket's tokens at ``now``: refilled at ``rate`` a second, up to its capacity."""
    elapsed_s = max(now - refilled_at, 0) / 1000
    return min(capacity(rate), tokens + elapsed_s * rate)


def next_token_at(rate: float, available: float, now: int) -> int:
    """When a bucket holding ``available`` (< 1) tokens next holds one."""
    return now + max(1, int((1.0 - available) / rate * 1000) + 1)


LIMIT_COLUMNS = "type, max_active, rate, updated_at, max_active_per_key, key_variable, key_header"
"""The columns ``limits_of`` reads, in its order."""
UPSERT = (
    "INSERT INTO job_type_limits (type, max_active, rate, tokens, refilled_at, updated_at,"
    " max_active_per_key, key_variable, key_header)"
    " VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}) ON CONFLICT (type) DO UPDATE SET"
    " max_active = excluded.max_active, rate = excluded.rate, tokens = excluded.tokens,"
    " refilled_at = excluded.refilled_at, updated_at = excluded.updated_at,"
    " max_active_per_key = excluded.max_active_per_key,"
    " key_variable = excluded.key_variable, key_header = excluded.key_header"
)
"""Sets a type's limits (``{p}``: the backend's placeholder) with ``replacement``'s values."""


def replacement(
    job_type: str,
    max_active: int | None,
    rate: float | None,
    now: int,
    keyed: KeyedLimit | None,
) -> tuple[tuple[Any, ...] | None, JobTypeLimits]:
    """What setting limits does: the ``UPSERT`` values (``None``: all limits ``None``, so the
    backend clears them instead) and the limits then kept. A new rate starts with a full
    bucket."""
    if max_active is None and rate is None and keyed is None:
        return None, JobTypeLimits(type=job_type, updated_at=now)
    tokens = 0.0 if rate is None else capacity(rate)
    per_key = None if keyed is None else keyed.per_key
    variable = None if keyed is None else keyed.variable
    header = None if keyed is None else keyed.header
    values = (job_type, max_active, rate, tokens, now, now, per_key, variable, header)
    return values, limits_of(job_type, max_active, rate, now, per_key, variable, header)


def limits_of(*values: Any) -> JobTypeLimits:
    """The limits of a row of ``LIMIT_COLUMNS`` (its values in that order)."""
    job_type, max_active, rate, updated_at, per_key, variable, header = values
    return JobTypeLimits(
        type=job_type,
        max_active=max_active,
        rate=rate,
        updated_at=int(updated_at),
        max_active_per_key=per_key,
        key_variable=variable,
        key_header=header,
    )
