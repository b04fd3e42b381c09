"""The backend protocol: what ``JobStore`` needs of a backend (SQLite or PostgreSQL).

Asynchronous, so each backend runs its own way behind one face: SQLite in its owner thread
with group commit (``sqlite/``), PostgreSQL natively on a connection pool with concurrent
transactions (``postgres/``). Each write is committed before it returns. Both must satisfy the
same rules: the broker suite and the model test in ``tests/reliability/test_store_model.py``
run on each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

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
from ..engine import Command, CreateInstance, Engine, InstanceState, SignalThrown
from ._deployments import (
    DeploymentRecord,
    NewVersionStatements,
    ProcessDefinitionRecord,
    ResourceToDeploy,
)
from ._instances import Engines, NewInstance, Persisted, Rows
from ._keyed import KeyedLimit
from ._messages import Publication
from ._notifier import Notifier
from ._prefilter import Where
from ._start_timers import DueStart


@dataclass(frozen=True)
class Activation:
    """What one activation query asks for. ``timeout_ms`` is the lease length."""

    job_type: str
    worker: str
    timeout_ms: int
    max_jobs: int
    fetch_variables: Sequence[str] | None = None
    tenant_ids: Sequence[str] | None = None
    with_lease: bool = False
    """Fence the activation with a lease token (Camunda 8.10's ``withLease``)."""


@dataclass(frozen=True)
class Failure:
    retries: int
    message: str | None
    backoff_ms: int
    variables: dict[str, Any] | None


@dataclass(frozen=True)
class JobOutcome:
    """One job outcome of a batch (``Backend.write_group``): a completion, unless ``failure``
    (the job failed) or ``error_code`` (its handler threw that BPMN error) is set."""

    key: int
    lease: str | None
    variables: dict[str, Any] | None
    failure: Failure | None = None
    error_code: str | None = None
    message: str | None = None
    """The thrown error's message."""


class Backend(Protocol):
    """The job table and its rules; ``now`` is epoch ms, passed in so tests control time."""

    path: str
    """Where the jobs live, safe to log (a database URL without its password)."""

    shared: bool
    """Whether other processes may change the jobs (then waits also poll, boundedly)."""

    wakes_before_commit: bool
    """Whether a write queued while a creation's write is pending joins its transaction
    (group commit): then long polls are woken as the creation queues, and take its jobs in
    the same commit; else they are woken once it is committed."""

    async def aclose(self) -> None: ...

    async def follow(self, notifier: Notifier) -> None:
        """Until cancelled, wake ``notifier``'s waiters for other processes' changes; returns
        at once for a store of its own."""
        ...

    def slot_limited_types(self) -> set[str]:
        """Types with a ``max_active`` limit when the store was opened (their ended
        activations wake polls); a shared store wakes them for every type instead."""
        ...

    async def write_group(self, reports: Sequence[JobOutcome], now: int) -> list[tuple[bool, Any]]:
        """Apply a batch of outcomes in one transaction: ``(True, job type)`` or ``(False,
        error)`` each, exactly as the single commands would answer, in order."""
        ...

    async def create(self, specs: Sequence[JobSpec], now: int) -> list[JobKey]: ...

    async def create_once(
        self,
        body: JobCreationRequest,
        now: int,
        *,
        scope: str,
        key: str,
        retention_ms: int,
    ) -> tuple[list[JobKey], bool]:
        """``create`` guarded by an idempotency key, in one transaction: ``(job keys,
        replayed)``. Expired keys are forgotten first; a live key with another body raises
        ``IdempotencyKeyReused`` (422)."""
        ...

    async def activate(self, query: Activation, now: int) -> tuple[list[ActivatedJob], int | None]:
        """Hand out up to ``max_jobs`` jobs, no more than the type's limits allow (across
        every broker sharing the store); also return when to look again (a job's back-off or
        deadline, the next rate token, or the soonest deadline holding a slot)."""
        ...

    async def complete(
        self, key: int, variables: dict[str, Any] | None, lease: str | None, now: int
    ) -> str:
        """The job's type: an activation ended, so a slot-limited type's polls may wake."""
        ...

    async def fail(self, key: int, failure: Failure, lease: str | None, now: int) -> str: ...

    async def throw_error(
        self,
        key: int,
        code: str,
        message: str | None,
        variables: dict[str, Any] | None,
        lease: str | None,
        now: int,
    ) -> str:
        """The job's type, as ``complete``."""
        ...

    async def update(
        self,
        key: int,
        retries: int | None,
        timeout_ms: int | None,
        now: int,
        lease: str | None = None,
    ) -> str: ...

    async def cancel(self, key: int, now: int) -> str:
        """The job's type, as ``complete``."""
        ...

    async def set_limits(
        self,
        job_type: str,
        max_active: int | None,
        rate: float | None,
        now: int,
        keyed: KeyedLimit | None = None,
    ) -> JobTypeLimits:
        """Set (replace) a type's limits; all ``None`` clears them. A new rate starts with a
        full bucket."""
        ...

    async def clear_limits(self, job_type: str, now: int) -> bool:
        """Remove a type's limits; whether it had any."""
        ...

    async def get_limits(self, job_type: str) -> JobTypeLimits | None: ...

    async def all_limits(self) -> list[JobTypeLimits]: ...

    async def get(self, key: int, now: int) -> Job: ...

    async def events_after(self, after_id: int, limit: int) -> list[JobEventRecord]: ...

    async def last_event_id(self) -> int: ...

    async def search(
        self, job_type: str | None, state: JobState | None, limit: int, after: int | None, now: int
    ) -> tuple[list[Job], int | None]: ...

    async def stats_baseline(self) -> tuple[int, list[tuple[str, str, int]]]: ...

    async def live_counts(
        self, job_types: Sequence[str], now: int
    ) -> tuple[int, list[tuple[str, str, int]]]: ...

    async def jobs_in_flight(self, job_types: Sequence[str], now: int) -> dict[str, int]: ...

    async def first_event_id_at_or_after(self, at: int) -> int: ...

    async def event_aggregates(
        self, after_id: int, until_id: int
    ) -> tuple[list[tuple[int, str, str, int]], list[tuple[str, int]]]: ...

    async def retry_at(self, key: int, now: int) -> int | None: ...

    # -- deployments (``_deployments.py``) -------------------------------------------------------

    async def deploy(
        self,
        tenant_id: str,
        resources: Sequence[ResourceToDeploy],
        now: int,
        new_version: NewVersionStatements | None = None,
    ) -> DeploymentRecord:
        """Store one deployment in one transaction, versioning each process (see
        ``_deployments``), with what ``new_version`` writes for each new version; keys come
        from the jobs' key space."""
        ...

    async def delete_process_definition(self, key: int, now: int) -> ProcessDefinitionRecord | None:
        """Mark a live definition deleted; ``None``: no live definition has that key."""
        ...

    async def fire_start(self, engine: Engine, due: DueStart, now: int) -> bool:
        """Claim a due timer start event, create its instance, write its next firing: one
        transaction; ``False`` when claimed already (by another replica)."""
        ...

    async def query(self, sql: str, args: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Rows of one plain read (``?`` marks), e.g. the pinned clock or user tasks."""
        ...

    async def execute(self, statements: Sequence[tuple[str, tuple[Any, ...]]]) -> None:
        """Plain writes (``?`` marks) in one transaction."""
        ...

    async def process_definitions(self) -> list[ProcessDefinitionRecord]:
        """Every definition ever deployed, deleted ones too, by key."""
        ...

    async def process_definition(self, key: int) -> ProcessDefinitionRecord | None: ...

    async def resource_content(self, key: int) -> bytes | None:
        """The bytes of the resource the definition ``key`` was deployed from."""
        ...

    # -- process instances (``_instances.py``) ---------------------------------------------------

    @property
    def engines(self) -> Engines:
        """The engines of the definitions this broker has read, by definition key."""
        ...

    async def create_instance(
        self, engine: Engine, command: CreateInstance, new: NewInstance, now: int
    ) -> tuple[InstanceState, Persisted]:
        """Create an instance in one transaction: its state, projections and jobs."""
        ...

    async def advance_instance(
        self, key: int, command: Command, now: int
    ) -> tuple[InstanceState, Persisted]:
        """Apply ``command`` to the instance ``key`` in one transaction (its row locked where
        replicas share the store). Raises ``engine.Rejected`` or ``NeedDefinition``."""
        ...

    async def due_timers(self, now: int, limit: int) -> tuple[list[tuple[int, int]], int | None]:
        """Timers due at ``now``, soonest first, as ``(timer key, instance key)``, and when
        the next one is due (``None``: no timer)."""
        ...

    async def drop_timer(self, key: int) -> None:
        """Forget a timer its instance no longer has."""
        ...

    async def instance_definition(self, key: int) -> int | None:
        """The definition key of the instance ``key`` (``None``: no such instance)."""
        ...

    async def instance_rows(
        self,
        kind: str,
        key: int | None,
        instance_key: int | None,
        restrict: Where | None = None,
    ) -> Rows:
        """Rows of ``kind`` (``_instances.TABLE_OF``): one by key, one instance's, or all;
        only where ``restrict`` allows (``_prefilter``)."""
        ...

    # -- messages and signals (``_messages.py``) --------------------------------------------------

    async def publish_message(
        self, message: Publication, now: int, *, buffer: bool
    ) -> tuple[int, list[int]]:
        """Correlate a message to what waits for it and buffer it (``buffer``), in one
        transaction: ``(message key, instances reached)``."""
        ...

    async def broadcast_signal(self, signal: SignalThrown, tenant_id: str, now: int) -> int:
        """Broadcast a signal in one transaction; answers its key."""
        ...
