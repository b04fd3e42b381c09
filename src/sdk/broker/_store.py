"""The asynchronous face of the job store: owns the backend's connection and the wake-ups.

The backend is SQLite or PostgreSQL (``_backends.py``; both keep ``_contract.Jobs``). Every
operation runs in a worker thread, one at a time (a capacity limiter of one), so the event
loop never waits on disk or the network and the connection is never shared by two threads at
once. Writes are group-committed (see ``JobStore._write``).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import anyio
import anyio.lowlevel
import anyio.to_thread

from ..models import (
    ActivatedJob,
    Job,
    JobCreationRequest,
    JobEventRecord,
    JobKey,
    JobSpec,
    JobState,
    JobTypeLimits,
)
from ._backends import open_jobs
from ._contract import Activation, Failure, Jobs
from ._idempotency import DEFAULT_RETENTION_MS
from ._notifier import Notifier
from ._problems import StoreUnavailable

T = TypeVar("T")

Clock = Callable[[], int]
"""Returns the current time in epoch milliseconds; tests inject a controllable one."""


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


GROUP_LIMIT = 512
"""Most writes committed in one transaction."""
SHARED_POLL_MS = 1_000
"""Longest long-poll wait between looks at a database other brokers share: bounds the delay
should another replica's notification be lost."""


class _PendingWrite:
    """A write waiting for its group's commit."""

    __slots__ = ("call", "outcome")

    def __init__(self, call: Callable[[], Any]) -> None:
        self.call = call
        self.outcome: tuple[bool, Any] | None = None

    def result(self) -> Any:
        assert self.outcome is not None
        ok, value = self.outcome
        if not ok:
            raise value
        return value


class JobStore:
    """Durable job storage with long-poll support.

    Args:
        path: SQLite database file, ``":memory:"`` for a throwaway store, or a PostgreSQL
            URL (``postgresql://user:password@host/db``; replicas may share it).
        clock: Source of the current time in epoch ms (default: the wall clock).
        synchronous: SQLite ``synchronous`` pragma; ``FULL`` (default) fsyncs every commit.
        idempotency_retention_ms: How long an ``Idempotency-Key`` of job creation is
            remembered (default 24 h).
    """

    def __init__(
        self,
        path: str | Path = ":memory:",
        *,
        clock: Clock = wall_clock_ms,
        synchronous: str = "FULL",
        idempotency_retention_ms: int = DEFAULT_RETENTION_MS,
    ) -> None:
        if idempotency_retention_ms <= 0:
            raise ValueError("idempotency_retention_ms must be positive")
        self._jobs, self._follower = open_jobs(path, synchronous=synchronous)
        self._clock = clock
        self.idempotency_retention_ms = idempotency_retention_ms
        self._slot_limited = self._jobs.slot_limited_types()
        """Types with a ``max_active`` limit: an activation ending frees a slot, so it wakes
        their long polls (other types' polls have no reason to look again)."""
        self._limiter = anyio.CapacityLimiter(1)
        self.notifier = Notifier()
        self._changed = anyio.Event()
        self._closing = False
        self._queue: list[_PendingWrite] = []
        self._writing = False
        self._led = anyio.Event()
        """Set (and replaced) when a leader is done with its group."""

    @property
    def path(self) -> str:
        """Where the jobs live, safe to log (a URL's password is hidden)."""
        return self._jobs.path

    async def follow_other_replicas(self) -> None:
        """Until cancelled, wake waiters for other brokers' commits on a shared database;
        returns at once for a store of its own (SQLite)."""
        if self._follower is not None:
            await self._follower(self.notifier, self._signal_change)

    def now(self) -> int:
        return self._clock()

    async def _run(self, func: Callable[..., T], *args: Any) -> T:
        return await anyio.to_thread.run_sync(func, *args, limiter=self._limiter)

    async def _write(self, func: Callable[..., T], *args: Any) -> T:
        """Run a write with group commit, then wake whoever follows the event stream.

        Writes that arrive while a transaction is being committed queue up and are committed
        together by one of them (the leader): under load, one fsync serves many requests,
        and each is still answered only after its write is durable.
        """
        op = _PendingWrite(partial(func, *args))
        self._queue.append(op)
        try:
            while op.outcome is None:
                if self._writing:
                    await self._led.wait()  # the leader is done: settled, or lead the next
                else:
                    await self._lead()
        finally:
            if op.outcome is None:  # cancelled while queued: leave (a waiter leads next)
                with contextlib.suppress(ValueError):
                    self._queue.remove(op)
        result: T = op.result()
        return result

    async def write_group(
        self, operations: Sequence[Callable[[Jobs, int], Any]]
    ) -> list[tuple[bool, Any]]:
        """Run one request's writes as one transaction; ``(ok, result or error)`` each."""
        now = self.now()
        calls = [partial(op, self._jobs, now) for op in operations]
        try:
            with anyio.CancelScope(shield=True):
                results = await self._run(self._jobs.run_group, calls)
        finally:
            self._signal_change()
        if results and all(not ok and isinstance(v, StoreUnavailable) for ok, v in results):
            raise results[0][1]  # the database was away: the whole request is retried (503)
        return results

    def _signal_change(self) -> None:
        self._changed.set()
        self._changed = anyio.Event()

    async def _lead(self) -> None:
        self._writing = True
        try:
            # One turn of the event loop first: writes that tasks ready to run are about to
            # queue (e.g. the activation of a long poll this creation woke, see ``_announce``)
            # join this commit instead of waiting for the next fsync.
            await anyio.lowlevel.checkpoint()
            batch, self._queue = self._queue[:GROUP_LIMIT], self._queue[GROUP_LIMIT:]
            with anyio.CancelScope(shield=True):  # others wait on this batch's outcome
                results = await self._run(self._jobs.run_group, [op.call for op in batch])
            for op, result in zip(batch, results, strict=True):
                op.outcome = result
        finally:
            self._writing = False
            self._signal_change()
            self._led.set()  # one event per group, not one per write
            self._led = anyio.Event()

    async def wait_for_change(self, timeout_s: float) -> None:
        """Return after the next write (or after ``timeout_s``, or at shutdown)."""
        changed = self._changed
        if self._closing:
            return
        with anyio.move_on_after(timeout_s):
            await changed.wait()

    @property
    def closing(self) -> bool:
        return self._closing

    async def events_after(self, after_id: int, limit: int = 1000) -> list[JobEventRecord]:
        return await self._run(self._jobs.events_after, after_id, limit)

    async def last_event_id(self) -> int:
        return await self._run(self._jobs.last_event_id)

    def release_waiters(self) -> None:
        """Answer every long poll now (with what it has) and take no new waits: shutting down."""
        self._closing = True
        self.notifier.notify_all()
        self._changed.set()

    def close(self) -> None:
        self.release_waiters()
        self._jobs.close()

    async def create(self, specs: Sequence[JobSpec]) -> list[JobKey]:
        self._announce({spec.type for spec in specs})
        return await self._write(self._jobs.create, specs, self.now())

    async def create_once(
        self, body: JobCreationRequest, *, scope: str, key: str
    ) -> tuple[list[JobKey], bool]:
        """Create ``body``'s jobs unless ``(scope, key)`` did already: ``(keys, replayed)``."""
        self._announce({spec.type for spec in body.jobs})
        keys, replayed = await self._write(
            partial(
                self._jobs.create_once,
                scope=scope,
                key=key,
                retention_ms=self.idempotency_retention_ms,
            ),
            body,
            self.now(),
        )
        return keys, replayed

    def _announce(self, job_types: set[str]) -> None:
        """Wake the long polls of jobs about to be created, just before their write queues:
        a woken poll's activation queues behind the creation and shares its commit (see
        ``_lead``), so the job goes out without a second fsync. Should nothing be created
        (a replayed idempotency key, an error), the polls look once more and wait again."""
        for job_type in job_types:
            self.notifier.notify(job_type)

    def slot_freed(self, job_type: str) -> None:
        """An activation of ``job_type`` ended: wake its polls if a max-active limit held them."""
        if job_type in self._slot_limited or self._jobs.shared:  # another replica may
            self.notifier.notify(job_type)  # have set a limit this one has not heard of

    async def activate(
        self,
        query: Activation,
        request_timeout_ms: int,
        *,
        client_gone: anyio.Event | None = None,
    ) -> list[ActivatedJob]:
        """Activate jobs, waiting up to ``request_timeout_ms`` for one to become available.

        Once ``client_gone`` is set (its setter also notifies the job type), the wait ends
        and nothing more is activated.
        """
        give_up_at = self.now() + request_timeout_ms
        while True:
            if client_gone is not None and client_gone.is_set():
                return []
            woken = self.notifier.event_for(query.job_type)
            jobs, next_at = await self._write(self._jobs.activate, query, self.now())
            now = self.now()
            if jobs or now >= give_up_at or self._closing:
                return jobs
            if woken.is_set():  # told of a job while looking: look again before yielding,
                continue  # so this activation joins the commit that creates it
            wake_at = give_up_at if next_at is None else min(give_up_at, max(next_at, now + 1))
            if self._jobs.shared:
                wake_at = min(wake_at, now + SHARED_POLL_MS)
            with anyio.move_on_after((wake_at - now) / 1000):
                await woken.wait()

    async def complete(self, key: int, variables: dict[str, Any] | None, lease: str | None) -> None:
        self.slot_freed(await self._write(self._jobs.complete, key, variables, lease, self.now()))

    async def fail(self, key: int, failure: Failure, lease: str | None) -> None:
        job_type = await self._write(self._jobs.fail, key, failure, lease, self.now())
        if failure.retries > 0:
            self.notifier.notify(job_type)  # waiters recompute when the job comes back
        else:
            self.slot_freed(job_type)

    async def throw_error(
        self,
        key: int,
        code: str,
        message: str | None,
        variables: dict[str, Any] | None,
        lease: str | None,
    ) -> None:
        self.slot_freed(
            await self._write(
                self._jobs.throw_error, key, code, message, variables, lease, self.now()
            )
        )

    async def update(
        self, key: int, retries: int | None, timeout_ms: int | None, lease: str | None = None
    ) -> None:
        job_type = await self._write(self._jobs.update, key, retries, timeout_ms, self.now(), lease)
        self.notifier.notify(job_type)

    async def cancel(self, key: int) -> None:
        self.slot_freed(await self._write(self._jobs.cancel, key, self.now()))

    async def get(self, key: int) -> Job:
        return await self._run(self._jobs.get, key, self.now())

    async def search(
        self, job_type: str | None, state: JobState | None, limit: int, after: int | None
    ) -> tuple[list[Job], int | None]:
        return await self._run(self._jobs.search, job_type, state, limit, after, self.now())

    # -- job-type limits (``_limits.py``) -----------------------------------------------------

    async def set_limits(
        self, job_type: str, max_active: int | None, rate: float | None
    ) -> JobTypeLimits:
        """Set (replace) a type's limits; waiting polls look again at once."""
        limits = await self._write(self._jobs.set_limits, job_type, max_active, rate, self.now())
        self._limits_changed(job_type, limits.max_active is not None)
        return limits

    async def clear_limits(self, job_type: str) -> bool:
        cleared = await self._write(self._jobs.clear_limits, job_type, self.now())
        self._limits_changed(job_type, False)
        return cleared

    def _limits_changed(self, job_type: str, slot_limited: bool) -> None:
        if slot_limited:
            self._slot_limited.add(job_type)
        else:
            self._slot_limited.discard(job_type)
        self.notifier.notify(job_type)

    async def get_limits(self, job_type: str) -> JobTypeLimits | None:
        return await self._run(self._jobs.get_limits, job_type)

    async def all_limits(self) -> list[JobTypeLimits]:
        return await self._run(self._jobs.all_limits)

    # -- statistics (read by ``_stats.StatsCollector``) ---------------------------------------

    async def stats_baseline(self) -> tuple[int, list[tuple[str, str, int]]]:
        return await self._run(self._jobs.stats_baseline)

    async def live_counts(
        self, job_types: Sequence[str], now: int
    ) -> tuple[int, list[tuple[str, str, int]]]:
        return await self._run(self._jobs.live_counts, job_types, now)

    async def jobs_in_flight(self, job_types: Sequence[str], now: int) -> dict[str, int]:
        return await self._run(self._jobs.jobs_in_flight, job_types, now)

    async def first_event_id_at_or_after(self, at: int) -> int:
        return await self._run(self._jobs.first_event_id_at_or_after, at)

    async def event_aggregates(
        self, after_id: int, until_id: int
    ) -> tuple[list[tuple[int, str, str, int]], list[tuple[str, int]]]:
        return await self._run(self._jobs.event_aggregates, after_id, until_id)

    async def retry_at(self, key: int) -> int | None:
        """When a job waiting out a failure's back-off may run again (``None``: not waiting)."""
        return await self._run(self._jobs.retry_at, key, self.now())
