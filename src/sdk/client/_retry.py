"""When a failed request is sent again: the client's transient-failure policy.

A request is repeated only when repeating it cannot do a thing twice:

- nothing reached the server (the connection could not be opened): every call;
- the server refused it before doing anything (429, 503 ``RESOURCE_EXHAUSTED``): every call;
- the answer was lost or ambiguous (a broken connection mid-request, 502, 504): idempotent
  calls only (reads: topology, get, search, event polls; job creation, which carries an
  ``Idempotency-Key`` so the broker answers a repeat with the jobs it created the first time;
  setting job-type limits). A completion whose answer was lost may have completed the job;
  sending it again is the worker's decision, not the client's.

Delays grow exponentially from ``base_delay_s`` up to ``max_delay_s`` with jitter (half fixed,
half random, so retries of many clients spread out but never fire at once). A ``Retry-After``
from the server is a floor; one longer than ``max_delay_s`` is not waited for: the error is
raised at once with ``retry_after_s`` set, so the caller can schedule its own retry.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

import anyio
import httpx

REFUSED_STATUSES = frozenset({429, 503})
"""The server turned the request away unprocessed: safe to send any call again."""
AMBIGUOUS_STATUSES = frozenset({502, 504})
"""A proxy lost the answer (the server may have acted): only idempotent calls are repeated."""
NOTHING_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
"""Transport errors raised before a byte of the request left this process."""


@dataclass(frozen=True)
class HttpRetryPolicy:
    """How the client repeats requests that failed for a passing reason.

    Args:
        max_retries: Repeats after the first attempt; 0 turns retrying off. Default 3.
        base_delay_s: Delay before the first repeat, doubled for each further one. Default 0.1.
        max_delay_s: Cap of one delay, and the longest ``Retry-After`` waited for. Default 5.
        jitter: Source of randomness in [0, 1); tests inject a fixed one.
    """

    max_retries: int = 3
    base_delay_s: float = 0.1
    max_delay_s: float = 5.0
    jitter: Callable[[], float] = field(default=random.random, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.max_retries < 0 or self.base_delay_s < 0 or self.max_delay_s < 0:
            raise ValueError("HttpRetryPolicy values must not be negative")

    @classmethod
    def off(cls) -> HttpRetryPolicy:
        """A policy that never repeats a request."""
        return cls(max_retries=0)

    def backoff_s(self, attempt: int) -> float:
        """The delay before repeat number ``attempt + 1``: capped, half of it random."""
        ceiling = min(self.max_delay_s, self.base_delay_s * 2.0 ** min(attempt, 30))
        return ceiling / 2 + self.jitter() * ceiling / 2

    def after_error(
        self, attempt: int, error: httpx.TransportError, idempotent: bool
    ) -> float | None:
        """Seconds to wait before repeating after ``error``, or ``None``: do not repeat."""
        if attempt >= self.max_retries:
            return None
        if isinstance(error, NOTHING_SENT) or idempotent:
            return self.backoff_s(attempt)
        return None

    def after_response(
        self, attempt: int, response: httpx.Response, idempotent: bool
    ) -> float | None:
        """Seconds to wait before repeating after ``response``, or ``None``: do not repeat."""
        status = response.status_code
        if attempt >= self.max_retries:
            return None
        if status not in REFUSED_STATUSES and not (idempotent and status in AMBIGUOUS_STATUSES):
            return None
        retry_after_s = parse_retry_after(response.headers.get("retry-after"))
        if retry_after_s is not None and retry_after_s > self.max_delay_s:
            return None
        return max(self.backoff_s(attempt), retry_after_s or 0.0)

    def reconnect_s(self, failures: int) -> float:
        """Delay before reconnecting a stream after ``failures`` failures in a row (unbounded)."""
        return self.backoff_s(max(failures - 1, 0))


def parse_retry_after(value: str | None, *, now_s: float | None = None) -> float | None:
    """``Retry-After`` in seconds: delta-seconds or an HTTP date; ``None`` when absent or bad."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - (time.time() if now_s is None else now_s)
    if seconds != seconds or seconds in (float("inf"), float("-inf")):  # NaN / inf
        return None
    return max(seconds, 0.0)


async def async_sleep(delay_s: float) -> None:
    """The async client's pause between attempts (cancellable)."""
    await anyio.sleep(delay_s)


def sync_sleep(delay_s: float) -> None:
    """The blocking client's pause between attempts."""
    time.sleep(delay_s)
