"""The asynchronous face of the job store: opens the backend and owns the wake-ups.

The backend keeps one protocol (``_backend.Backend``): SQLite in its owner thread
with group commit (``sqlite/``), or PostgreSQL on a connection pool (``postgres/``), chosen by
``_open.py``. Either way, once open, the event loop never waits on disk or the
network. This face adds what is the same for both: the clock, long polls and their wake-ups,
and the signal that event streams wait on.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import anyio
import anyio.to_thread

from ... import bpmn
from ...bpmn import Definitions
from ...models import (
    ActivatedJob,
    Job,
    JobCreationRequest,
    JobEventRecord,
    JobKey,
    JobSpec,
    JobState,
    JobTypeLimits,
)
from .._defaults import DEFAULT_POOL_SIZE
from .._problems import InvalidRequest, NotFound, StoreUnavailable
from . import _clock, _start_timers
from ._backend import Activation, Failure, JobOutcome
from ._clock import BrokerClock, ClockDisabled
from ._deployments import (
    DeployedModel,
    DeploymentRecord,
    ProcessDefinitionRecord,
    ResourceRefused,
    ResourceToDeploy,
    describe_refusals,
    duplicate_process_ids,
    model_of,
    read_resource,
)
from ._idempotency import DEFAULT_RETENTION_MS
from ._instances import NeedDefinition
from ._keyed import KeyedLimit
from ._message_face import Messages
from ._notifier import Notifier
from ._open import open_backend
from ._processes import Processes
from ._progress import JobProgress
from ._results import JobResults
from ._schedules import Schedules
from ._start_timers import StartTimers
from ._tasks import UserTasks

Clock = Callable[[], int]
"""Returns the current time in epoch milliseconds; tests inject a controllable one."""

T = TypeVar("T")


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


SHARED_POLL_MS = 1_000
"""Longest long-poll wait between looks at a database other brokers share: bounds the delay
should another replica's notification be lost."""


class JobStore:
    """Durable job storage with long-poll support.

    Args:
        path: SQLite database file, ``":memory:"`` for a throwaway store, or a PostgreSQL
            URL (``postgresql://user:password@host/db``; replicas may share it).
        clock: Source of the current time in epoch ms (default: the wall clock).
        synchronous: SQLite ``synchronous`` pragma; ``FULL`` (default) fsyncs every commit.
        idempotency_retention_ms: How long an ``Idempotency-Key`` of job creation is
            remembered (default 24 h).
        pool_size: Connections to PostgreSQL: how many transactions run at once (default 10;
            unused by SQLite).
    """

    def __init__(
        self,
        path: str | Path = ":memory:",
        *,
        clock: Clock = wall_clock_ms,
        synchronous: str = "FULL",
        idempotency_retention_ms: int = DEFAULT_RETENTION_MS,
        pool_size: int = DEFAULT_POOL_SIZE,
    ) -> None:
        if idempotency_retention_ms <= 0:
            raise ValueError("idempotency_retention_ms must be positive")
        self._changed = anyio.Event()
        self._backend = open_backend(
            path, synchronous=synchronous, pool_size=pool_size, on_change=self._signal_change
        )
        self.clock = BrokerClock(clock)
        """The engine's time: ``clock``, or the time pinned through ``pin_clock``."""
        self.idempotency_retention_ms = idempotency_retention_ms
        self._slot_limited = self._backend.slot_limited_types()
        """Types with a ``max_active`` limit: an activation ending frees a slot, so it wakes
        their long polls (other types' polls have no reason to look again)."""
        self.notifier = Notifier()
        self._closing = False
        self.processes = Processes(self)
        """Process instances, their elements, variables and incidents."""
        self.messages = Messages(self)
        """Messages and signals: publication, correlation, buffering, start events."""
        self.user_tasks = UserTasks(self)
        """Camunda user tasks, and variables set on element instances."""
        self.start_timers = StartTimers(self)
        """The timer start events of the processes' latest versions."""
        self.schedules = Schedules(self)
        """Jobs created on a cron expression or an interval, and their ticker."""
        self._models: dict[int, DeployedModel] = {}
        """Parsed models by definition key (immutable once deployed): parsed once."""
        self.results = JobResults(self)
        """How jobs ended (their result variables), and waits for them to end."""
        self.progress = JobProgress(self)
        """What running jobs' handlers reported of their progress."""

    @property
    def path(self) -> str:
        """Where the jobs live, safe to log (a URL's password is hidden)."""
        return self._backend.path

    async def follow_other_replicas(self) -> None:
        """Until cancelled, wake waiters for other brokers' commits on a shared database;
        returns at once for a store of its own (SQLite)."""
        await self._backend.follow(self.notifier)

    def now(self) -> int:
        return self.clock.now()

    # -- the broker's clock (``_clock.py``) -------------------------------------------------------

    async def load_clock(self) -> None:
        """Read the pinned time from the database (at start; replicas before each timer look)."""
        pins = self.clock.pins
        rows = await self._backend.query(_clock.READ)
        if pins == self.clock.pins:  # else this broker pinned it meanwhile: the read is stale
            self.clock.loaded(rows[0]["pinned"] if rows else None)

    async def pin_clock(self, at: int | None) -> None:
        """Pin the engine's time at ``at`` (epoch ms; ``None``: back to the wall clock), then
        fire every timer due by then and let long polls look again (deadlines moved)."""
        if not self.clock.controllable:
            raise ClockDisabled()
        await self._backend.execute([(_clock.WRITE, (at,))])
        self.clock.pinned = at
        self.clock.pins += 1
        self.processes.wake_timers()
        self.schedules.wake()
        self.notifier.notify_all()

    async def write_group(self, reports: Sequence[JobOutcome]) -> list[tuple[bool, Any]]:
        """Apply one request's reports as one transaction; ``(ok, job type or error)`` each."""
        results = await self._reporting(lambda: self._backend.write_group(reports, self.now()))
        needs = [i for i, (ok, v) in enumerate(results) if not ok and isinstance(v, NeedDefinition)]
        if needs:  # a process job of a definition not read yet: read it, report those again
            for i in needs:
                await self.processes.engine(results[i][1].definition_key)
            again = await self.write_group([reports[i] for i in needs])
            for i, result in zip(needs, again, strict=True):
                results[i] = result
        if results and all(not ok and isinstance(v, StoreUnavailable) for ok, v in results):
            raise results[0][1]  # the database was away: the whole request is retried (503)
        return results

    def _signal_change(self) -> None:
        self._changed.set()
        self._changed = anyio.Event()

    def changed_event(self) -> anyio.Event:
        """Set at the next write (taken before looking, so no write in between is missed)."""
        return self._changed

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
        return await self._backend.events_after(after_id, limit)

    async def last_event_id(self) -> int:
        return await self._backend.last_event_id()

    def release_waiters(self) -> None:
        """Answer every long poll now (with what it has) and take no new waits: shutting down."""
        self._closing = True
        self.notifier.notify_all()
        self._changed.set()

    async def aclose(self) -> None:
        """Release the waiters, then the database (its connections, or the file)."""
        self.release_waiters()
        await self._backend.aclose()

    async def create(self, specs: Sequence[JobSpec]) -> list[JobKey]:
        job_types = {spec.type for spec in specs}
        return await self._creating(job_types, self._backend.create(specs, self.now()))

    async def create_once(
        self, body: JobCreationRequest, *, scope: str, key: str
    ) -> tuple[list[JobKey], bool]:
        """Create ``body``'s jobs unless ``(scope, key)`` did already: ``(keys, replayed)``."""
        write = self._backend.create_once(
            body, self.now(), scope=scope, key=key, retention_ms=self.idempotency_retention_ms
        )
        job_types = {spec.type for spec in body.jobs}
        return await self._creating(job_types, write, created=lambda result: not result[1])

    async def _creating(
        self,
        job_types: set[str],
        write: Awaitable[T],
        created: Callable[[T], bool] = lambda _: True,
    ) -> T:
        """Await a creation's ``write``, announcing its jobs before it (group commit, see
        ``_announce``) or once it is committed and ``created`` them."""
        early = self._backend.wakes_before_commit
        if early:
            self._announce(job_types)
        result = await write
        if not early and created(result):
            self._announce(job_types)
        return result

    def _announce(self, job_types: set[str]) -> None:
        """Wake the long polls of ``job_types``. With group commit (``wakes_before_commit``)
        this runs just before the creation's write queues: a woken poll's activation queues
        behind it and shares its commit, so the job goes out without a second fsync; should
        nothing be created (a replayed idempotency key, an error), the polls look once more
        and wait again. Otherwise it runs after the commit, when the jobs are visible."""
        for job_type in job_types:
            self.notifier.notify(job_type)

    def slot_freed(self, job_type: str) -> None:
        """An activation of ``job_type`` ended: wake its polls if a max-active limit held them."""
        if job_type in self._slot_limited or self._backend.shared:  # another replica may
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
        real = self.clock.base  # the request's wait runs on, even when the clock is pinned
        give_up_at = real() + request_timeout_ms
        while True:
            if client_gone is not None and client_gone.is_set():
                return []
            woken = self.notifier.event_for(query.job_type)
            jobs, next_at = await self._backend.activate(query, self.now())
            now = real()
            if jobs or now >= give_up_at or self._closing:
                return jobs
            if woken.is_set():  # told of a job while looking: look again before yielding,
                continue  # so this activation joins the commit that creates it
            wait_ms = give_up_at - now
            if next_at is not None:  # the broker's time to the next job (a pin wakes us)
                wait_ms = min(wait_ms, max(next_at - self.now(), 1))
            if self._backend.shared:
                wait_ms = min(wait_ms, SHARED_POLL_MS)
            with anyio.move_on_after(wait_ms / 1000):
                await woken.wait()

    async def _reporting(self, call: Callable[[], Awaitable[T]]) -> T:
        """A job report or update: a process job's definition is read first if needed, and
        the polls of the jobs its instance step created are woken."""
        try:
            result: T = await self.processes.loading(call)
        finally:
            self.processes.woke()
        return result

    async def complete(self, key: int, variables: dict[str, Any] | None, lease: str | None) -> None:
        self.slot_freed(
            await self._reporting(lambda: self._backend.complete(key, variables, lease, self.now()))
        )

    async def fail(self, key: int, failure: Failure, lease: str | None) -> None:
        job_type = await self._reporting(
            lambda: self._backend.fail(key, failure, lease, self.now())
        )
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
            await self._reporting(
                lambda: self._backend.throw_error(key, code, message, variables, lease, self.now())
            )
        )

    async def update(
        self, key: int, retries: int | None, timeout_ms: int | None, lease: str | None = None
    ) -> None:
        job_type = await self._reporting(
            lambda: self._backend.update(key, retries, timeout_ms, self.now(), lease)
        )
        self.notifier.notify(job_type)

    async def cancel(self, key: int) -> None:
        self.slot_freed(await self._backend.cancel(key, self.now()))

    async def get(self, key: int, *, with_progress: bool = True) -> Job:
        job = await self._backend.get(key, self.now())
        return await self.progress.attach(job) if with_progress else job

    async def search(
        self, job_type: str | None, state: JobState | None, limit: int, after: int | None
    ) -> tuple[list[Job], int | None]:
        return await self._backend.search(job_type, state, limit, after, self.now())

    # -- job-type limits (``_limits.py``) -------------------------------------------------------

    async def set_limits(
        self,
        job_type: str,
        max_active: int | None,
        rate: float | None,
        keyed: KeyedLimit | None = None,
    ) -> JobTypeLimits:
        """Set (replace) a type's limits; waiting polls look again at once."""
        limits = await self._backend.set_limits(job_type, max_active, rate, self.now(), keyed)
        slots = limits.max_active is not None or limits.max_active_per_key is not None
        self._limits_changed(job_type, slots)
        return limits

    async def clear_limits(self, job_type: str) -> bool:
        cleared = await self._backend.clear_limits(job_type, self.now())
        self._limits_changed(job_type, False)
        return cleared

    def _limits_changed(self, job_type: str, slot_limited: bool) -> None:
        if slot_limited:
            self._slot_limited.add(job_type)
        else:
            self._slot_limited.discard(job_type)
        self.notifier.notify(job_type)

    async def get_limits(self, job_type: str) -> JobTypeLimits | None:
        return await self._backend.get_limits(job_type)

    async def all_limits(self) -> list[JobTypeLimits]:
        return await self._backend.all_limits()

    # -- statistics (read by ``_stats.StatsCollector``) ---------------------------------------

    async def stats_baseline(self) -> tuple[int, list[tuple[str, str, int]]]:
        return await self._backend.stats_baseline()

    async def live_counts(
        self, job_types: Sequence[str], now: int
    ) -> tuple[int, list[tuple[str, str, int]]]:
        return await self._backend.live_counts(job_types, now)

    async def jobs_in_flight(self, job_types: Sequence[str], now: int) -> dict[str, int]:
        return await self._backend.jobs_in_flight(job_types, now)

    async def first_event_id_at_or_after(self, at: int) -> int:
        return await self._backend.first_event_id_at_or_after(at)

    async def event_aggregates(
        self, after_id: int, until_id: int
    ) -> tuple[list[tuple[int, str, str, int]], list[tuple[str, int]]]:
        return await self._backend.event_aggregates(after_id, until_id)

    async def retry_at(self, key: int) -> int | None:
        """When a job waiting out a failure's back-off may run again (``None``: not waiting)."""
        return await self._backend.retry_at(key, self.now())

    # -- deployments and process definitions (``_deployments.py``) ------------------------------

    async def deploy(
        self, resources: Sequence[tuple[str, bytes]], tenant_id: str
    ) -> DeploymentRecord:
        """Check, version and store ``(name, content)`` resources as one deployment.

        Raises ``InvalidRequest`` naming every refused resource and each of its problems
        (nothing is deployed then)."""
        if not resources:
            raise InvalidRequest(describe_refusals([]) + "\nno resources were given")
        refused: list[ResourceRefused] = []
        checked: list[tuple[ResourceToDeploy, Definitions]] = []
        for name, content in resources:
            try:
                checked.append(await anyio.to_thread.run_sync(read_resource, name, content))
            except ResourceRefused as exc:
                refused.append(exc)
        if refused:
            raise InvalidRequest(describe_refusals(refused))
        duplicates = duplicate_process_ids([r for r, _ in checked])
        if duplicates:
            raise InvalidRequest("\n".join(duplicates))
        by_id = {p.bpmn_process_id: d for r, d in checked for p in r.processes}
        processes = {p.id: p for _, d in checked for p in d.executable_processes}
        now = self.now()
        timers = _start_timers.for_deployment(processes, now)
        record = await self._backend.deploy(tenant_id, [r for r, _ in checked], now, timers)
        for definition in record.processes:
            if definition.key not in self._models:
                self._models[definition.key] = model_of(
                    definition, by_id[definition.bpmn_process_id]
                )
        new = [d for d in record.processes if d.deployment_key == record.key]
        if any(_start_timers.timer_starts(processes[d.bpmn_process_id]) for d in new):
            self.processes.wake_timers()
        await self.messages.refresh_quietly()
        return record

    async def process_definitions(self) -> list[ProcessDefinitionRecord]:
        """Every process definition, deleted ones too, by key (a few per process: searched
        in memory)."""
        return await self._backend.process_definitions()

    async def process_definition(self, key: int) -> ProcessDefinitionRecord:
        record = await self._backend.process_definition(key)
        if record is None:
            raise NotFound(f"Process definition with key '{key}' not found")
        return record

    async def resource_content(self, key: int) -> bytes:
        """The bytes of the resource (file) the definition ``key`` was deployed from."""
        content = await self._backend.resource_content(key)
        if content is None:
            raise NotFound(f"Resource with key '{key}' not found")
        return content

    async def delete_process_definition(self, key: int) -> ProcessDefinitionRecord:
        """Delete a definition's resource: it is no longer startable nor anyone's latest
        version (the one before it is again); its record and XML stay readable."""
        record = await self._backend.delete_process_definition(key, self.now())
        if record is None:
            raise NotFound(f"Expected to delete resource but no resource found with key '{key}'")
        self._models.pop(key, None)
        await self.start_timers.deleted(record)
        await self.messages.refresh_quietly()
        return record

    async def definition_model(self, key: int) -> DeployedModel:
        """The parsed model of a definition (cached; parsed from the stored XML on first use
        after a restart, or when another replica deployed it). ``NotFound`` for an unknown
        key; a deleted definition's model is still given (its instances may drain)."""
        model = self._models.get(key)
        if model is not None:
            return model
        record = await self.process_definition(key)
        content = await self.resource_content(key)
        definitions = await anyio.to_thread.run_sync(bpmn.parse, content)
        model = model_of(record, definitions)
        self._models[key] = model
        return model
