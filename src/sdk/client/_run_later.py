"""When a created job may first run: a client's ``run_at`` or ``delay``, as the wire's ``runAt``.

A delay is turned into a time here, once, so a creation repeated after a lost answer (same
idempotency key, same body) still names the same moment.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

from ..models import JobSpec


def run_time(run_at: datetime | None, delay: timedelta | None) -> datetime | None:
    """The moment of ``run_at`` (aware) or ``delay`` from now; ``None``: at once.

    Raises:
        ValueError: both are given, ``run_at`` is naive, or ``delay`` is negative.
    """
    if run_at is not None and delay is not None:
        raise ValueError("give run_at or delay, not both")
    if run_at is not None:
        if run_at.tzinfo is None or run_at.utcoffset() is None:
            raise ValueError(
                f"run_at {run_at.isoformat()} is naive; give an aware datetime"
                " (e.g. datetime.now(timezone.utc) + timedelta(minutes=5))"
            )
        return run_at
    if delay is not None:
        if delay < timedelta(0):
            raise ValueError(f"delay must not be negative, got {delay}")
        return datetime.now(timezone.utc) + delay
    return None


def scheduled(
    jobs: Sequence[JobSpec], run_at: datetime | None, delay: timedelta | None
) -> list[JobSpec]:
    """``jobs``, each without its own ``run_at`` given the call's (``run_time``)."""
    at = run_time(run_at, delay)
    if at is None:
        return list(jobs)
    return [job.model_copy(update={"run_at": job.run_at or at}) for job in jobs]
