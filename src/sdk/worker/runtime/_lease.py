"""The clock of running jobs: lease extension, lease end and ``max_run_time_ms``, per job type.

While a handler runs, its job's timeout is set again from now (``PATCH /v2/jobs/{jobKey}``)
each time ``at_fraction`` of the lease has passed, and the job's local deadline moves with it.
A 404/409 answer means the job is no longer ours (cancelled, or timed out and handed on): the
handler is stopped and nothing is reported. A passing fault is retried with back-off until the
lease runs out; then (or at once, with extension off) the handler is stopped as timed out.
``max_run_time_ms`` stops a handler however often its lease was extended.

Cancellation reaches a worker the same way Camunda's API lets it: the extension of a job that
was cancelled (by an operator, its process instance, an interrupting event) answers 404. So a
job that has run ``cancel_check_ms`` is extended at least that often, which bounds how long a
cancelled handler runs on; jobs that end sooner are never asked about. Stopping a job also
sets its ``JobContext.cancelled`` flag, which is all a thread handler can be told.

One ``LeaseKeeper`` task per job type keeps every running job's next due time in one heap, so
a job that ends before anything falls due (most jobs) costs a heap push and nothing else: no
task, no timer, no deadline of its own. The keeper stops a handler by cancelling the job's
cancel scope after saying why (``Lease.stopped``).
"""

from __future__ import annotations

import heapq
import itertools
import math
import threading
import time
from collections.abc import Callable
from enum import Enum

import anyio

from ..._logging import Log
from ...client import AsyncClient
from ...errors import ApiError, ConflictError, NotFoundError, SdkError
from ...models import ActivatedJob
from .._options import LeaseExtension
from ._backoff import Backoff
from ._clock import LoopClock

COMPACT_AFTER = 1024
"""Ended jobs wait in the heap until their due time unless this many pile up (then: rebuild)."""


class Stop(str, Enum):
    """Why the keeper stopped a handler."""

    TIMEOUT = "timeout"
    """The lease ended (extension off or failing): the server hands the job out again."""
    LOST = "lost"
    """The server said the job is no longer ours."""
    MAX_RUN = "max_run"
    """``max_run_time_ms`` passed: the job fails saying so."""


class Lease:
    """One running job as the keeper sees it (times on anyio's clock unless ``_ms``)."""

    __slots__ = (
        "backoff",
        "deadline",
        "deadline_ms",
        "due",
        "ended",
        "extend_at",
        "flag",
        "job",
        "scope",
        "stop_at",
        "stopped",
    )

    def __init__(
        self,
        job: ActivatedJob,
        scope: anyio.CancelScope,
        deadline: float,
        extend_at: float,
        stop_at: float,
        flag: threading.Event | None = None,
    ) -> None:
        self.job = job
        self.scope = scope
        """The handler's cancel scope: cancelled to stop it."""
        self.flag = flag
        """The handler's ``JobContext.cancelled``: set when it is stopped (thread handlers)."""
        self.deadline = deadline
        """When the lease ends locally (moved by each extension)."""
        self.deadline_ms = job.deadline
        """The server's deadline as far as we know (epoch ms), for report retries."""
        self.extend_at = extend_at
        """When to extend next (``inf``: not, or an extension is in flight)."""
        self.stop_at = stop_at
        """When ``max_run_time_ms`` stops the handler (``inf``: never)."""
        self.due = math.inf
        """The time of this lease's live heap entry (older entries are skipped)."""
        self.stopped: Stop | None = None
        self.ended = False
        """The handler finished: nothing is extended or stopped any more."""
        self.backoff: Backoff | None = None
        """Made at the first failed extension (a ``random.Random`` is not free)."""

    def next_due(self) -> float:
        return min(self.extend_at, self.deadline, self.stop_at)


class LeaseKeeper:
    """Watches one job type's running jobs; ``run`` is its one task."""

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
        check_ms = policy.cancel_check_ms
        every_s = self._lease_s * policy.at_fraction
        if check_ms is not None:
            every_s = min(every_s, check_ms / 1000)
        self._every_s = every_s if policy.enabled else math.inf
        max_run_ms = policy.max_run_time_ms
        self._max_run_s = math.inf if max_run_ms is None else max_run_ms / 1000
        self._log = log
        self._on_extended = on_extended
        self._due: list[tuple[float, int, Lease]] = []
        self._ended = 0
        self._order = itertools.count()
        self._wake = anyio.Event()
        self._now = LoopClock()

    def track(
        self, job: ActivatedJob, scope: anyio.CancelScope, flag: threading.Event | None = None
    ) -> Lease:
        """Watch ``job``, whose handler runs in ``scope``, until ``release``; ``flag`` is set
        when the keeper stops it."""
        now = self._now()
        lease = Lease(
            job, scope, now + self._lease_s, now + self._every_s, now + self._max_run_s, flag
        )
        self._schedule(lease)
        return lease

    def release(self, lease: Lease) -> None:
        """The handler ended: extend and stop no more. Dropped from the heap lazily, or in
        bulk when many short jobs (ending long before anything fell due) would pile up."""
        lease.ended = True
        self._ended += 1
        if self._ended > COMPACT_AFTER and 2 * self._ended > len(self._due):
            self._due = [entry for entry in self._due if not entry[2].ended]
            heapq.heapify(self._due)
            self._ended = 0

    async def run(self) -> None:
        """Act on leases as they fall due, until cancelled."""
        async with anyio.create_task_group() as tg:
            while True:
                lease = self._pop_due()
                if lease is None:
                    await self._sleep()
                elif lease.next_due() <= self._now():
                    self._act(lease, tg)
                else:
                    self._schedule(lease)

    def _pop_due(self) -> Lease | None:
        """The first lease due by now whose heap entry is its live one, else ``None``."""
        due, now = self._due, self._now()
        while due and due[0][0] <= now:
            at, _, lease = heapq.heappop(due)
            if lease.ended:
                self._ended = max(self._ended - 1, 0)
            elif at == lease.due:
                lease.due = math.inf
                return lease
        return None

    async def _sleep(self) -> None:
        wait_s = self._due[0][0] - self._now() if self._due else math.inf
        self._wake = anyio.Event()
        with anyio.move_on_after(wait_s):
            await self._wake.wait()

    def _act(self, lease: Lease, tg: anyio.abc.TaskGroup) -> None:
        now = self._now()
        if now >= lease.stop_at:
            self._stop(lease, Stop.MAX_RUN)
        elif now >= lease.deadline:
            self._stop(lease, Stop.TIMEOUT)
        else:  # an extension is due; the lease's end stays watched while it is in flight
            lease.extend_at = math.inf
            self._schedule(lease)
            tg.start_soon(self._extend, lease)

    def _schedule(self, lease: Lease) -> None:
        at = lease.next_due()
        if at == math.inf or at == lease.due:
            return
        if not self._due or at < self._due[0][0]:
            self._wake.set()  # the keeper sleeps until a later time: make it look again
        lease.due = at
        heapq.heappush(self._due, (at, next(self._order), lease))

    def _stop(self, lease: Lease, why: Stop) -> None:
        lease.stopped = why
        if lease.flag is not None:
            lease.flag.set()
        lease.scope.cancel()

    async def _extend(self, lease: Lease) -> None:
        key = lease.job.job_key
        sent_at, sent_at_ms = self._now(), int(time.time() * 1000)
        try:
            await self._client.update_job(
                key, timeout_ms=self._timeout_ms, lease_token=lease.job.lease_token
            )
        except (NotFoundError, ConflictError) as exc:
            if not lease.ended:
                self._stop(lease, Stop.LOST)
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
        self._extended(lease, sent_at, sent_at_ms)

    def _extended(self, lease: Lease, sent_at: float, sent_at_ms: int) -> None:
        self._on_extended()  # the server extended it, even if the handler ended meanwhile
        if lease.ended:
            return
        lease.backoff = None
        lease.deadline = sent_at + self._lease_s
        lease.deadline_ms = sent_at_ms + self._timeout_ms
        lease.extend_at = sent_at + self._every_s
        self._schedule(lease)
        key = lease.job.job_key
        self._log.bind(job_key=key).debug("job {}: lease extended by {} ms", key, self._timeout_ms)

    def _retry(self, lease: Lease, exc: SdkError) -> None:
        if lease.ended:
            return
        if lease.backoff is None:
            lease.backoff = Backoff(base_s=0.05, cap_s=2.0)
            self._log.bind(job_key=lease.job.job_key).warning(
                "job {}: could not extend its lease ({}); retrying", lease.job.job_key, exc
            )
        lease.extend_at = self._now() + lease.backoff.next_delay_s()
        self._schedule(lease)
