"""Lease extension: while a handler runs, keep its job from being handed to another worker.

Once ``at_fraction`` of the lease has passed, the job's timeout is set again from now
(``PATCH /v2/jobs/{jobKey}``) and the handler's local deadline moves with it. A 404/409
answer means the job is no longer ours (cancelled, or timed out and handed on): the handler is
stopped and nothing is reported. A passing fault is retried with back-off until the lease
runs out, at which point the handler is stopped as if extension were off.

One ``LeaseKeeper`` task per job type watches all of that type's running jobs through a
heap of due times, so a job that ends before its first extension (most jobs) costs a heap
push and nothing else: no task, no timer of its own.
"""

from __future__ import annotations

import heapq
import itertools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import anyio

from .._logging import Log
from ..client import AsyncClient
from ..errors import ApiError, ConfigurationError, ConflictError, NotFoundError, SdkError
from ..models import ActivatedJob
from ._backoff import Backoff

DEFAULT_AT_FRACTION = 0.5
COMPACT_AFTER = 1024
"""Ended jobs wait in the heap until their due time unless this many pile up (then: rebuild)."""


@dataclass(frozen=True)
class LeaseExtension:
    """How a running job's lease is extended.

    Attributes:
        enabled: Extend leases at all (default ``True``). Off: a handler still running when
            its lease ends is stopped and the server hands the job out again.
        at_fraction: Extend once this fraction of the lease has passed (default 0.5), each
            time by the task's full ``timeout_ms``.
        max_run_time_ms: Stop a handler that has run this long even though its lease keeps
            being extended, and fail the job (retries - 1) saying so. ``None`` (default): no
            bound while the worker can extend; set it to catch handlers that hang.
    """

    enabled: bool = True
    at_fraction: float = DEFAULT_AT_FRACTION
    max_run_time_ms: int | None = None

    def __post_init__(self) -> None:
        if not 0 < self.at_fraction < 1:
            raise ConfigurationError(
                f"LeaseExtension.at_fraction must be between 0 and 1, not {self.at_fraction}"
            )
        if self.max_run_time_ms is not None and self.max_run_time_ms < 1:
            raise ConfigurationError("LeaseExtension.max_run_time_ms must be >= 1 or None")

    @classmethod
    def of(cls, value: LeaseExtension | bool) -> LeaseExtension:
        """``True``/``False`` as shorthands for the default policy and for no extension."""
        if isinstance(value, LeaseExtension):
            return value
        return cls(enabled=bool(value))


@dataclass(eq=False)
class Lease:
    """One running job as the keeper sees it.

    Attributes:
        scope: The handler's cancel scope; its deadline is the job's local deadline.
        deadline_ms: The server's deadline as far as we know (epoch ms), for report retries.
        lost: The server said the job is no longer ours; ``scope`` was cancelled for it.
        ended: The handler finished; nothing is extended any more.
    """

    job: ActivatedJob
    scope: anyio.CancelScope
    deadline_ms: int
    lost: bool = False
    ended: bool = False
    backoff: Backoff | None = None
    """Made at the first failed extension (a ``random.Random`` is not free)."""


class LeaseKeeper:
    """Extends the leases of one job type's running jobs; ``run`` is its one task."""

    def __init__(
        self,
        client: AsyncClient,
        timeout_ms: int,
        policy: LeaseExtension,
        log: Log,
        on_extended: Callable[[], None],
    ) -> None:
        self._client = client
        self._timeout_ms = timeout_ms
        self._lease_s = timeout_ms / 1000
        self._every_s = self._lease_s * policy.at_fraction
        self._log = log
        self._on_extended = on_extended
        self._due: list[tuple[float, int, Lease]] = []
        self._ended = 0
        self._order = itertools.count()
        self._wake = anyio.Event()

    def track(self, job: ActivatedJob, scope: anyio.CancelScope) -> Lease:
        """Extend ``job``'s lease while its handler runs in ``scope``, until ``lease.ended``."""
        lease = Lease(job, scope, job.deadline)
        self._schedule(lease, scope.deadline - self._lease_s + self._every_s)
        return lease

    def release(self, lease: Lease) -> None:
        """The handler ended: extend no more. Dropped from the heap lazily, or in bulk when
        many short jobs (ending long before their first extension) would pile up."""
        lease.ended = True
        self._ended += 1
        if self._ended > COMPACT_AFTER and 2 * self._ended > len(self._due):
            self._due = [entry for entry in self._due if not entry[2].ended]
            heapq.heapify(self._due)
            self._ended = 0

    async def run(self) -> None:
        """Extend leases as they fall due, until cancelled."""
        async with anyio.create_task_group() as tg:
            while True:
                while self._due and self._due[0][2].ended:
                    heapq.heappop(self._due)
                    self._ended = max(self._ended - 1, 0)
                wait_s = self._due[0][0] - anyio.current_time() if self._due else math.inf
                if wait_s > 0:
                    with anyio.move_on_after(wait_s):
                        await self._wake.wait()
                    self._wake = anyio.Event()
                    continue
                _, _, lease = heapq.heappop(self._due)
                tg.start_soon(self._extend, lease)

    def _schedule(self, lease: Lease, at: float) -> None:
        if not self._due or at < self._due[0][0]:
            self._wake.set()  # the keeper sleeps until a later time: make it look again
        heapq.heappush(self._due, (at, next(self._order), lease))

    async def _extend(self, lease: Lease) -> None:
        key = lease.job.job_key
        sent_at, sent_at_ms = anyio.current_time(), int(time.time() * 1000)
        try:
            await self._client.update_job(
                key, timeout_ms=self._timeout_ms, lease_token=lease.job.lease_token
            )
        except (NotFoundError, ConflictError) as exc:
            if not lease.ended:
                lease.lost = True
                lease.scope.cancel()
                self._log.bind(job_key=key).warning(
                    "job {} is no longer ours ({}); stopping its handler, nothing is reported",
                    key,
                    exc.detail or exc.title,
                )
            return
        except ApiError as exc:
            if exc.status >= 500 or exc.status == 429:
                self._retry(lease, exc)
            else:
                self._log.bind(job_key=key).error(
                    "job {}: the server refused to extend its lease ({}); it runs on until the"
                    " lease ends",
                    key,
                    exc,
                )
            return
        except SdkError as exc:
            self._retry(lease, exc)
            return
        except Exception as exc:  # a bug must not take the worker down with it
            self._log.bind(job_key=key).exception(
                "job {}: lease extension failed ({}); it runs on until the lease ends", key, exc
            )
            return
        self._on_extended()  # the server extended it, even if the handler ended meanwhile
        if lease.ended:
            return
        lease.backoff = None
        lease.scope.deadline = sent_at + self._lease_s
        lease.deadline_ms = sent_at_ms + self._timeout_ms
        self._schedule(lease, sent_at + self._every_s)
        self._log.bind(job_key=key).debug("job {}: lease extended by {} ms", key, self._timeout_ms)

    def _retry(self, lease: Lease, exc: SdkError) -> None:
        if lease.ended:
            return
        if lease.backoff is None:
            lease.backoff = Backoff(base_s=0.05, cap_s=2.0)
            self._log.bind(job_key=lease.job.job_key).warning(
                "job {}: could not extend its lease ({}); retrying", lease.job.job_key, exc
            )
        self._schedule(lease, anyio.current_time() + lease.backoff.next_delay_s())
