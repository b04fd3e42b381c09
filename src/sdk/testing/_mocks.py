"""Stand-ins for what a process test does not test: workers of other job types (complete or
throw for them, as camunda-process-test's job mocks do) and the passing of time."""

from __future__ import annotations

import time
import weakref
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

import anyio

from ..client import AsyncClient
from ..models import ActivatedJob

DEFAULT_MOCK_TIMEOUT_S = 10.0
_LEASE_MS = 60_000
_WORKER = "sdk-testing-mock"


async def _activate(
    client: AsyncClient, job_type: str, count: int, timeout_s: float
) -> list[ActivatedJob]:
    """Activate ``count`` jobs of ``job_type``, waiting up to ``timeout_s`` for them."""
    jobs: list[ActivatedJob] = []
    deadline = time.monotonic() + timeout_s
    with anyio.move_on_after(timeout_s):
        while len(jobs) < count:
            wait_ms = max(int((deadline - time.monotonic()) * 1000), 1)
            jobs += await client.activate_jobs(
                job_type,
                max_jobs=count - len(jobs),
                timeout_ms=_LEASE_MS,
                worker=_WORKER,
                request_timeout_ms=min(wait_ms, 1_000),
            )
    if len(jobs) < count:
        raise AssertionError(
            f"expected {count} job(s) of type {job_type!r} within {timeout_s:g}s,"
            f" but {len(jobs)} came"
        )
    return jobs


async def complete_jobs(
    client: AsyncClient,
    job_type: str,
    variables: Mapping[str, Any] | None = None,
    *,
    count: int = 1,
    timeout_s: float = DEFAULT_MOCK_TIMEOUT_S,
) -> list[ActivatedJob]:
    """Activate the next ``count`` jobs of ``job_type`` and complete them with ``variables``,
    in place of their worker; return the jobs.

    Raises:
        AssertionError: fewer than ``count`` jobs came within ``timeout_s``.
    """
    jobs = await _activate(client, job_type, count, timeout_s)
    for job in jobs:
        await client.complete_job(job.job_key, variables)
    return jobs


async def throw_error(
    client: AsyncClient,
    job_type: str,
    code: str,
    message: str = "",
    variables: Mapping[str, Any] | None = None,
    *,
    timeout_s: float = DEFAULT_MOCK_TIMEOUT_S,
) -> ActivatedJob:
    """Activate the next job of ``job_type`` and throw the BPMN error ``code`` for it, in
    place of its worker; return the job.

    Raises:
        AssertionError: no job came within ``timeout_s``.
    """
    (job,) = await _activate(client, job_type, 1, timeout_s)
    await client.throw_job_error(
        job.job_key, code, error_message=message or None, variables=variables
    )
    return job


_pinned: weakref.WeakKeyDictionary[AsyncClient, datetime] = weakref.WeakKeyDictionary()
"""The time each client last pinned the broker's clock to through ``increase_time``."""


async def increase_time(client: AsyncClient, delta: timedelta) -> None:
    """Move the broker's clock forward by ``delta``: timers that fall due fire.

    The clock is pinned (``client.pin_clock``) at the broker's time plus ``delta`` and stands
    still there until pinned again or ``client.reset_clock()``; the broker must run with its
    clock controllable (``sdk_broker`` does). The broker's time is taken as the later of the
    wall clock and the last pin made through this helper with the same client: Camunda's API
    has no route that reads it.
    """
    if delta < timedelta(0):
        raise ValueError(f"time only moves forward (delta {delta})")
    now = datetime.now(timezone.utc)
    at = max(_pinned.get(client, now), now) + delta
    await client.pin_clock(at)
    _pinned[client] = at
