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


def refilled(rate: float, tokens: float, refilled_at: int, now: int) -> float:
    """The bucket's tokens at ``now``: refilled at ``rate`` a second, up to its capacity."""
    elapsed_s = max(now - refilled_at, 0) / 1000
    return min(capacity(rate), tokens + elapsed_s * rate)


def next_token_at(rate: float, available: float, now: int) -> int:
    """When a bucket holding ``available`` (< 1) tokens next holds one."""
    return now + max(1, int((1.0 - available) / rate * 1000) + 1)
