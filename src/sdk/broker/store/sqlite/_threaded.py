"""The SQLite backend behind the asynchronous protocol: its owner thread and group commit.

Every call of ``SqliteJobs`` runs in the connection's owner thread, one at a time, so the
event loop never waits on disk and the connection is never shared by two threads at once.
Writes are group-committed (see ``ThreadedStore._write``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, TypeVar

import anyio
import anyio.lowlevel

from ....models import (
    ActivatedJob,
    Job,
    JobCreationRequest,
    JobEventRecord,
    JobKey,
    JobSpec,
    JobState,
    JobTypeLimits,
)
from ...engine import Command, CreateInstance, Engine, InstanceState, SignalThrown
from .. import _messages
from .._backend import Activation, Failure, JobOutcome
from .._deployments import (
    DeploymentRecord,
    NewVersionStatements,
    ProcessDefinitionRecord,
    ResourceToDeploy,
)
from .._instances import Engines, NewInstance, Persisted, Rows
from .._keyed import KeyedLimit
from .._messages import Publication
from .._notifier import Notifier
from .._prefilter import Where
from .._start_timers import DueStart
from ._jobs import SqliteJobs
from ._owner import OwnerThread

T = TypeVar("T")

GROUP_LIMIT = 512
"""Most writes committed in one transaction."""


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


def _reported(jobs: SqliteJobs, report: JobOutcome, now: int) -> str:
    """The single command a batch's report stands for."""
    if report.failure is not None:
        return jobs.fail(report.key, report.failure, report.lease, now)
    if report.error_code is not None:
        return jobs.throw_error(
            report.key, report.error_code, report.message, report.variables, report.lease, now
        )
    return jobs.complete(report.key, report.variables, report.lease, now)


class ThreadedStore:
    """``jobs`` in its owner thread; ``on_change`` is called after each commit."""

    shared = False
    wakes_before_commit = True
    """A long poll woken as a creation queues its write takes the job in the same commit."""

    def __init__(self, jobs: SqliteJobs, on_change: Callable[[], None]) -> None:
        self._jobs = jobs
        self.path = jobs.path
        self._signal_change = on_change
        self._owner = OwnerThread(f"sqlite {jobs.path}")
        self._queue: list[_PendingWrite] = []
        self._writing = False
        self._loop: asyncio.AbstractEventLoop | None = None
        """The leader's loop, looked up once per group rather than once per waiting write."""
        self._waiters: list[asyncio.Future[None]] = []
        """Writes waiting for the leader to be done with its group."""

    async def aclose(self) -> None:
        await self._owner.stop()
        self._jobs.close()

    async def follow(self, notifier: Notifier) -> None:
        return None  # nobody else writes to this file

    def slot_limited_types(self) -> set[str]:
        return self._jobs.slot_limited_types()

    async def _run(self, func: Callable[..., T], *args: Any) -> T:
        return await self._owner.run(partial(func, *args))

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
                    await self._led()  # the leader is done: settled, or lead the next
                else:
                    await self._lead()
        finally:
            if op.outcome is None:  # cancelled while queued: leave (a waiter leads next)
                with contextlib.suppress(ValueError):
                    self._queue.remove(op)
        result: T = op.result()
        return result

    async def write_group(self, reports: Sequence[JobOutcome], now: int) -> list[tuple[bool, Any]]:
        """Run one request's writes as one transaction; ``(ok, result or error)`` each."""
        calls = [partial(_reported, self._jobs, report, now) for report in reports]
        try:
            with anyio.CancelScope(shield=True):
                results = await self._run(self._jobs.run_group, calls)
        finally:
            self._signal_change()
        return results

    async def _led(self) -> None:
        """Wait until the current leader is done with its group."""
        assert self._loop is not None
        waiter = self._loop.create_future()
        self._waiters.append(waiter)
        await waiter  # cancelled: the leader skips it

    async def _lead(self) -> None:
        self._writing = True
        self._loop = asyncio.get_running_loop()
        try:
            # One turn of the event loop first: writes that tasks ready to run are about to
            # queue (e.g. the activation of a long poll this creation woke, see
            # ``wakes_before_commit``) join this commit instead of waiting for the next fsync.
            await anyio.lowlevel.checkpoint()
            batch, self._queue = self._queue[:GROUP_LIMIT], self._queue[GROUP_LIMIT:]
            with anyio.CancelScope(shield=True):  # others wait on this batch's outcome
                results = await self._run(self._jobs.run_group, [op.call for op in batch])
            for op, result in zip(batch, results, strict=True):
                op.outcome = result
        finally:
            self._writing = False
            self._signal_change()
            waiters, self._waiters = self._waiters, []  # one wake-up round per group
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)

    # -- writes ------------------------------------------------------------------------------

    async def create(self, specs: Sequence[JobSpec], now: int) -> list[JobKey]:
        return await self._write(self._jobs.create, specs, now)

    async def create_once(
        self,
        body: JobCreationRequest,
        now: int,
        *,
        scope: str,
        key: str,
        retention_ms: int,
    ) -> tuple[list[JobKey], bool]:
        create = partial(self._jobs.create_once, scope=scope, key=key, retention_ms=retention_ms)
        return await self._write(create, body, now)

    async def activate(self, query: Activation, now: int) -> tuple[list[ActivatedJob], int | None]:
        return await self._write(self._jobs.activate, query, now)

    async def complete(
        self, key: int, variables: dict[str, Any] | None, lease: str | None, now: int
    ) -> str:
        return await self._write(self._jobs.complete, key, variables, lease, now)

    async def fail(self, key: int, failure: Failure, lease: str | None, now: int) -> str:
        return await self._write(self._jobs.fail, key, failure, lease, now)

    async def throw_error(
        self,
        key: int,
        code: str,
        message: str | None,
        variables: dict[str, Any] | None,
        lease: str | None,
        now: int,
    ) -> str:
        return await self._write(self._jobs.throw_error, key, code, message, variables, lease, now)

    async def update(
        self,
        key: int,
        retries: int | None,
        timeout_ms: int | None,
        now: int,
        lease: str | None = None,
    ) -> str:
        return await self._write(self._jobs.update, key, retries, timeout_ms, now, lease)

    async def cancel(self, key: int, now: int) -> str:
        return await self._write(self._jobs.cancel, key, now)

    async def set_limits(
        self,
        job_type: str,
        max_active: int | None,
        rate: float | None,
        now: int,
        keyed: KeyedLimit | None = None,
    ) -> JobTypeLimits:
        return await self._write(self._jobs.set_limits, job_type, max_active, rate, now, keyed)

    async def clear_limits(self, job_type: str, now: int) -> bool:
        return await self._write(self._jobs.clear_limits, job_type, now)

    async def deploy(
        self,
        tenant_id: str,
        resources: Sequence[ResourceToDeploy],
        now: int,
        new_version: NewVersionStatements | None = None,
    ) -> DeploymentRecord:
        return await self._write(self._jobs.deploy, tenant_id, resources, now, new_version)

    async def delete_process_definition(self, key: int, now: int) -> ProcessDefinitionRecord | None:
        return await self._write(self._jobs.delete_process_definition, key, now)

    # -- process instances (``_instances.py``) -------------------------------------------------

    @property
    def engines(self) -> Engines:
        return self._jobs.engines

    async def create_instance(
        self, engine: Engine, command: CreateInstance, new: NewInstance, now: int
    ) -> tuple[InstanceState, Persisted]:
        return await self._write(self._jobs.instances.create, engine, command, new, now)

    async def advance_instance(
        self, key: int, command: Command, now: int
    ) -> tuple[InstanceState, Persisted]:
        return await self._write(self._jobs.instances.advance, key, command, now)

    async def due_timers(self, now: int, limit: int) -> tuple[list[tuple[int, int]], int | None]:
        return await self._run(self._jobs.instances.due_timers, now, limit)

    async def drop_timer(self, key: int) -> None:
        await self._write(self._jobs.instances.drop_timer, key)

    async def instance_definition(self, key: int) -> int | None:
        return await self._run(self._jobs.instances.definition_of, key)

    async def instance_rows(
        self,
        kind: str,
        key: int | None,
        instance_key: int | None,
        restrict: Where | None = None,
    ) -> Rows:
        rows = partial(
            self._jobs.instances.rows, kind, key=key, instance_key=instance_key, restrict=restrict
        )
        return await self._run(rows)

    # -- messages and signals (``_messages.py``) -----------------------------------------------

    async def publish_message(
        self, message: Publication, now: int, *, buffer: bool
    ) -> tuple[int, list[int]]:
        instances = self._jobs.instances
        plan = partial(_messages.publish, message, instances.engines.starts, now, buffer=buffer)
        return await self._write(lambda: instances.run_plan(plan(), now))

    async def broadcast_signal(self, signal: SignalThrown, tenant_id: str, now: int) -> int:
        return await self._write(self._jobs.instances.broadcast, signal, tenant_id, now)

    # -- reads -------------------------------------------------------------------------------

    # -- plain statements of the clock and user tasks (``_clock.py``, ``_user_tasks.py``) -----

    async def query(self, sql: str, args: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return await self._run(self._jobs.instances.query, sql, args)

    async def execute(self, statements: Sequence[tuple[str, tuple[Any, ...]]]) -> None:
        await self._write(self._jobs.instances.execute, statements)

    async def fire_start(self, engine: Engine, due: DueStart, now: int) -> bool:
        return await self._write(self._jobs.instances.fire_start, engine, due, now)

    async def process_definitions(self) -> list[ProcessDefinitionRecord]:
        return await self._run(self._jobs.process_definitions)

    async def process_definition(self, key: int) -> ProcessDefinitionRecord | None:
        return await self._run(self._jobs.process_definition, key)

    async def resource_content(self, key: int) -> bytes | None:
        return await self._run(self._jobs.resource_content, key)

    async def get_limits(self, job_type: str) -> JobTypeLimits | None:
        return await self._run(self._jobs.get_limits, job_type)

    async def all_limits(self) -> list[JobTypeLimits]:
        return await self._run(self._jobs.all_limits)

    async def get(self, key: int, now: int) -> Job:
        return await self._run(self._jobs.get, key, now)

    async def events_after(self, after_id: int, limit: int) -> list[JobEventRecord]:
        return await self._run(self._jobs.events_after, after_id, limit)

    async def last_event_id(self) -> int:
        return await self._run(self._jobs.last_event_id)

    async def search(
        self, job_type: str | None, state: JobState | None, limit: int, after: int | None, now: int
    ) -> tuple[list[Job], int | None]:
        return await self._run(self._jobs.search, job_type, state, limit, after, now)

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

    async def retry_at(self, key: int, now: int) -> int | None:
        return await self._run(self._jobs.retry_at, key, now)
