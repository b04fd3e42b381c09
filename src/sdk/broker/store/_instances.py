"""Process instances in the store: the rules both backends share, whatever SQL runs them.

A command on an instance (create it, a job's outcome, cancel it, resolve an incident) is one
transaction: the backend loads the instance's engine state (on PostgreSQL locking its row, so
two replicas never advance one instance at once), the engine applies the command, and
``persist`` turns the step into the statements that write the new state, its projections
(element instances, variables, incidents, taken sequence flows) and its jobs. Those statements
are written once, with ``?`` placeholders (``Statement``); PostgreSQL's ``%s`` is substituted.

Keys come from the jobs' key space (one space, as Zeebe's). The engine asks for keys one at a
time and synchronously; a backend that allocates keys in blocks hands a ``KeyBlock`` and runs
the command again with a bigger block when one ran out (``KeysExhausted``): the engine is pure.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ...models import (
    DEFAULT_TENANT,
    CamundaJob,
    ElementInstanceResult,
    IncidentResult,
    ProcessInstanceResult,
    ProcessInstanceSequenceFlowResult,
    VariableResult,
)
from ..engine import (
    CallFailed,
    CancelInstance,
    ChildCanceled,
    ChildRequested,
    Command,
    CompleteChild,
    CompleteJob,
    CompleteUserTask,
    Definition,
    ElementChanged,
    Engine,
    FailJob,
    FlowTaken,
    IncidentCreated,
    IncidentResolved,
    InstanceCompleted,
    InstanceState,
    InstanceTerminated,
    JobCanceled,
    JobCreated,
    JobRetriesChanged,
    ResolveIncident,
    SignalThrown,
    Step,
    SubscriptionClosed,
    SubscriptionOpened,
    ThrowError,
    TimerCanceled,
    TimerScheduled,
    TriggerTimer,
    VariableSet,
)
from . import _instance_json, _messages, _prefilter, _user_tasks

Statement = tuple[str, tuple[Any, ...]]
"""SQL with ``?`` placeholders and its values."""

TABLES = """
CREATE TABLE IF NOT EXISTS process_instances (
    key {int} PRIMARY KEY,
    process_definition_key {int} NOT NULL,
    bpmn_process_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    state TEXT NOT NULL,
    start_date {int} NOT NULL,
    end_date {int},
    parent_process_instance_key {int},
    parent_element_instance_key {int},
    tags TEXT NOT NULL,
    business_id TEXT,
    tenant_id TEXT NOT NULL,
    has_incident INTEGER NOT NULL,
    engine_state TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS process_instances_process ON process_instances (bpmn_process_id);
CREATE TABLE IF NOT EXISTS element_instances (
    key {int} PRIMARY KEY,
    process_instance_key {int} NOT NULL,
    element_id TEXT NOT NULL,
    type TEXT NOT NULL,
    state TEXT NOT NULL,
    flow_scope_key {int},
    incident_key {int},
    start_date {int} NOT NULL,
    end_date {int}
);
CREATE INDEX IF NOT EXISTS element_instances_instance ON element_instances (process_instance_key);
CREATE TABLE IF NOT EXISTS variables (
    key {int} PRIMARY KEY,
    process_instance_key {int} NOT NULL,
    scope_key {int} NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    UNIQUE (scope_key, name)
);
CREATE INDEX IF NOT EXISTS variables_instance ON variables (process_instance_key);
CREATE TABLE IF NOT EXISTS incidents (
    key {int} PRIMARY KEY,
    process_instance_key {int} NOT NULL,
    element_instance_key {int} NOT NULL,
    element_id TEXT NOT NULL,
    job_key {int},
    error_type TEXT NOT NULL,
    error_message TEXT NOT NULL,
    state TEXT NOT NULL,
    creation_time {int} NOT NULL
);
CREATE INDEX IF NOT EXISTS incidents_instance ON incidents (process_instance_key);
CREATE TABLE IF NOT EXISTS timers (
    key {int} PRIMARY KEY,
    process_instance_key {int} NOT NULL,
    due {int} NOT NULL
);
CREATE INDEX IF NOT EXISTS timers_due ON timers (due);
CREATE TABLE IF NOT EXISTS sequence_flows (
    process_instance_key {int} NOT NULL,
    position INTEGER NOT NULL,
    flow_id TEXT NOT NULL,
    scope_key {int} NOT NULL,
    PRIMARY KEY (process_instance_key, position)
);
"""
"""The tables of instances and their projections; ``{int}`` is the backend's 64-bit type."""

JOB_COLUMNS = (
    "process_instance_key",
    "process_definition_key",
    "process_definition_version",
    "element_instance_key",
)
"""The process columns of a job row (``NULL`` for a plain job)."""


def sqlite_tables() -> str:
    return TABLES.format(int="INTEGER")


def postgres_tables() -> tuple[str, ...]:
    statements = [s.strip() for s in TABLES.format(int="BIGINT").split(";") if s.strip()]
    columns = ("BIGINT", "BIGINT", "INTEGER", "BIGINT")
    statements += [
        f"ALTER TABLE jobs ADD COLUMN {name} {kind}"
        for name, kind in zip(JOB_COLUMNS, columns, strict=True)
    ]
    return tuple(statements)


def postgres(sql: str) -> str:
    """A statement for psycopg: ``%s`` placeholders (no ``%`` appears in these statements)."""
    return sql.replace("?", "%s")


# -- keys --------------------------------------------------------------------------------------


class KeysExhausted(Exception):
    """A ``KeyBlock`` ran out: the command is run again with a bigger block."""


@dataclass
class KeyBlock:
    """Keys handed out one at a time from a block the backend allocated."""

    keys: list[int]
    used: int = 0

    def __call__(self) -> int:
        if self.used >= len(self.keys):
            raise KeysExhausted()
        key = self.keys[self.used]
        self.used += 1
        return key


# -- engines per definition ---------------------------------------------------------------------


class NeedDefinition(Exception):
    """A command on an instance of a definition this broker has not read yet: the caller
    loads it (``Engines.put``) and runs the command again."""

    def __init__(self, definition_key: int) -> None:
        super().__init__(f"process definition {definition_key} is not loaded")
        self.definition_key = definition_key


class Engines:
    """One engine per deployed definition key (definitions never change once deployed)."""

    def __init__(self) -> None:
        self._engines: dict[int, Engine] = {}
        self.woken: list[str] = []
        """Job types given new jobs by instance steps, until the store wakes their polls
        (``drain_woken``, on the event loop, after the write returned)."""
        self.timers_scheduled = False
        """An instance step scheduled a timer: the timer loop looks again."""
        self.starts = _messages.StartIndex()
        """The message and signal start events of the latest versions (``_messages``)."""

    def drain_woken(self) -> set[str]:
        woken, self.woken = self.woken, []
        return set(woken)

    def put(self, definition: Definition) -> Engine:
        engine = self._engines.get(definition.key)
        if engine is None:
            engine = self._engines[definition.key] = Engine(definition)
        return engine

    def get(self, definition_key: int) -> Engine:
        engine = self._engines.get(definition_key)
        if engine is None:
            raise NeedDefinition(definition_key)
        return engine

    def __contains__(self, definition_key: int) -> bool:
        return definition_key in self._engines


# -- one command --------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewInstance:
    """What a creation adds to the engine's state: the instance's own attributes."""

    tenant_id: str = DEFAULT_TENANT
    tags: tuple[str, ...] = ()
    business_id: str | None = None


@dataclass(frozen=True)
class FollowUp:
    """A step of another instance that this one's step asks for, in the same transaction: a
    call activity's child to create (``process_id``), the caller to resume (``instance``,
    ``command``), or the child of a left call activity to cancel (``child_of``)."""

    process_id: str | None = None
    variables: Mapping[str, Any] = field(default_factory=dict)
    parent_instance: int | None = None
    parent_element: int | None = None
    tenant_id: str = DEFAULT_TENANT
    instance: int | None = None
    command: Command | None = None
    child_of: int | None = None
    message: SubscriptionOpened | SignalThrown | None = None
    """A message subscription opened (buffered messages may correlate) or a signal thrown
    (``_messages``), of the instance ``instance``."""
    ended_process: str | None = None
    """The root instance ``instance`` of this BPMN process id ended: a buffered message may
    start the next one (``_messages.instance_ended``)."""


@dataclass
class Persisted:
    """A step as the store writes it: statements in order, job history rows, and what to
    announce after the commit."""

    statements: list[Statement] = field(default_factory=list)
    events: list[tuple[int, str, str, dict[str, Any]]] = field(default_factory=list)
    """``(job key, job type, event, fields)`` for the job history."""
    woken: set[str] = field(default_factory=set)
    """Job types that have a new activatable job."""
    ended: bool = False
    timers: bool = False
    """A timer was scheduled: the broker's timer loop looks again."""
    follow_ups: list[FollowUp] = field(default_factory=list)
    document_size: int = 0
    """The length of the instance's stored state document."""


def prior(state: InstanceState) -> InstanceState:
    """What ``persist`` reads of the state before a step (the open jobs' types, the open
    incidents' elements, how many flows were taken), apart from ``state``: the engine may then
    step ``state`` in place (``Engine.apply(owned=True)``) instead of deep-copying all of it."""
    return InstanceState(
        state.key,
        state.process_definition_key,
        state.bpmn_process_id,
        state.version,
        jobs=dict(state.jobs),
        incidents=dict(state.incidents),
        taken_flows=list(state.taken_flows),
    )


def persist(  # noqa: C901 (one branch per effect)
    before: InstanceState | None,
    step: Step,
    command: object,
    *,
    now: int,
    keys: Callable[[], int],
    tenant_id: str,
    new: NewInstance | None = None,
) -> Persisted:
    """The statements that store ``step`` (the outcome of ``command`` on ``before``)."""
    out = Persisted()
    state = step.state
    add = out.statements.append
    ended_at = now if state.state != "ACTIVE" else None
    document = _instance_json.dumps(state)
    out.document_size = len(document)
    if before is None:
        assert new is not None
        add(
            (
                "INSERT INTO process_instances (key, process_definition_key, bpmn_process_id,"
                " version, state, start_date, end_date, parent_process_instance_key,"
                " parent_element_instance_key, tags, business_id, tenant_id, has_incident,"
                " engine_state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    state.key,
                    state.process_definition_key,
                    state.bpmn_process_id,
                    state.version,
                    state.state,
                    now,
                    ended_at,
                    state.parent_process_instance_key,
                    state.parent_element_instance_key,
                    json.dumps(list(new.tags)),
                    new.business_id,
                    new.tenant_id,
                    int(bool(state.incidents)),
                    document,
                ),
            )
        )
    else:
        add(
            (
                "UPDATE process_instances SET state = ?, end_date = ?, has_incident = ?,"
                " engine_state = ? WHERE key = ?",
                (state.state, ended_at, int(bool(state.incidents)), document, state.key),
            )
        )
    job_types = {job.key: job.type for job in (before.jobs.values() if before else ())}
    incident_elements = {
        i.key: i.element_instance_key for i in (before.incidents.values() if before else ())
    }
    flows = len(before.taken_flows) if before else 0
    if isinstance(command, TriggerTimer):
        add(("DELETE FROM timers WHERE key = ?", (command.timer_key,)))
    if isinstance(command, CompleteUserTask):  # the user task API's completion
        add(_user_tasks.completed(command, now))
    for effect in step.effects:
        for statement in _user_tasks.statements(effect, state, keys, now, tenant_id):
            add(statement)
        if isinstance(effect, ElementChanged):
            _element(add, state.key, effect, now)
        elif isinstance(effect, VariableSet):
            add(
                (
                    "INSERT INTO variables (key, process_instance_key, scope_key, name, value)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (scope_key, name)"
                    " DO UPDATE SET value = excluded.value",
                    (keys(), state.key, effect.scope_key, effect.name, json.dumps(effect.value)),
                )
            )
        elif isinstance(effect, FlowTaken):
            add(
                (
                    "INSERT INTO sequence_flows (process_instance_key, position, flow_id,"
                    " scope_key) VALUES (?, ?, ?, ?)",
                    (state.key, flows, effect.flow_id, effect.scope_key),
                )
            )
            flows += 1
        elif isinstance(effect, IncidentCreated):
            incident_elements[effect.key] = effect.element_instance_key
            add(
                (
                    "INSERT INTO incidents (key, process_instance_key, element_instance_key,"
                    " element_id, job_key, error_type, error_message, state, creation_time)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, 'ACTIVE', ?)",
                    (
                        effect.key,
                        state.key,
                        effect.element_instance_key,
                        effect.element_id,
                        effect.job_key,
                        effect.error_type,
                        effect.message,
                        now,
                    ),
                )
            )
            add(
                (
                    "UPDATE element_instances SET incident_key = ? WHERE key = ?",
                    (effect.key, effect.element_instance_key),
                )
            )
        elif isinstance(effect, IncidentResolved):
            add(("UPDATE incidents SET state = 'RESOLVED' WHERE key = ?", (effect.key,)))
            element = incident_elements.get(effect.key)
            if element is not None:
                add(
                    (
                        "UPDATE element_instances SET incident_key = NULL"
                        " WHERE key = ? AND incident_key = ?",
                        (element, effect.key),
                    )
                )
        elif isinstance(effect, JobCreated):
            job_types[effect.key] = effect.type
            add(_job_row(effect, tenant_id, now))
            out.events.append((effect.key, effect.type, "CREATED", {"retries": effect.retries}))
            out.woken.add(effect.type)
        elif isinstance(effect, JobCanceled):
            add(
                (
                    "UPDATE jobs SET state = 'CANCELED', deadline = NULL, updated_at = ?"
                    " WHERE key = ? AND state NOT IN ('COMPLETED', 'ERROR_THROWN', 'CANCELED')",
                    (now, effect.key),
                )
            )
            job_type = job_types.get(effect.key, "")
            out.events.append((effect.key, job_type, "CANCELED", {}))
        elif isinstance(effect, JobRetriesChanged) and isinstance(command, ResolveIncident):
            # the incident of a job without retries is resolved: it is workable again
            add(
                (
                    "UPDATE jobs SET retries = ?, updated_at = ?, available_at = ?,"
                    " state = CASE WHEN state = 'INCIDENT' AND ? > 0 THEN 'ACTIVATABLE'"
                    " ELSE state END WHERE key = ?",
                    (effect.retries, now, now, effect.retries, effect.key),
                )
            )
            if effect.retries > 0:
                out.woken.add(job_types.get(effect.key, ""))
        elif isinstance(effect, TimerScheduled):
            add(
                (
                    "INSERT INTO timers (key, process_instance_key, due) VALUES (?, ?, ?)",
                    (effect.key, state.key, effect.due),
                )
            )
            out.timers = True
        elif isinstance(effect, TimerCanceled):
            add(("DELETE FROM timers WHERE key = ?", (effect.key,)))
        elif isinstance(effect, ChildRequested):
            out.follow_ups.append(
                FollowUp(
                    process_id=effect.bpmn_process_id,
                    variables=effect.variables,
                    parent_instance=state.key,
                    parent_element=effect.element_instance_key,
                    tenant_id=tenant_id,
                )
            )
        elif isinstance(effect, ChildCanceled):
            out.follow_ups.append(FollowUp(child_of=effect.element_instance_key))
        elif isinstance(effect, SubscriptionOpened | SubscriptionClosed):
            add(_messages.subscription_statement(effect, state.key, command, tenant_id, now))
            if isinstance(effect, SubscriptionOpened) and effect.kind == "MESSAGE":
                out.follow_ups.append(FollowUp(instance=state.key, message=effect))
        elif isinstance(effect, SignalThrown):
            out.follow_ups.append(FollowUp(instance=state.key, message=effect, tenant_id=tenant_id))
        elif isinstance(effect, InstanceCompleted | InstanceTerminated):
            out.ended = True
            parent = state.parent_process_instance_key
            if isinstance(effect, InstanceCompleted) and parent is not None:
                element = effect.parent_element_instance_key
                assert element is not None
                complete = CompleteChild(element, dict(effect.variables))
                out.follow_ups.append(FollowUp(instance=parent, command=complete))
            if parent is None:
                ended = FollowUp(
                    instance=state.key, ended_process=state.bpmn_process_id, tenant_id=tenant_id
                )
                out.follow_ups.append(ended)
    out.woken.discard("")
    return out


def _element(
    add: Callable[[Statement], None], instance: int, effect: ElementChanged, now: int
) -> None:
    if effect.state == "ELEMENT_ACTIVATING":
        add(
            (
                "INSERT INTO element_instances (key, process_instance_key, element_id, type,"
                " state, flow_scope_key, start_date) VALUES (?, ?, ?, ?, 'ACTIVE', ?, ?)"
                " ON CONFLICT (key) DO NOTHING",
                (effect.key, instance, effect.element_id, effect.type, effect.flow_scope_key, now),
            )
        )
    elif effect.state in ("ELEMENT_COMPLETED", "ELEMENT_TERMINATED"):
        ended = "COMPLETED" if effect.state == "ELEMENT_COMPLETED" else "TERMINATED"
        add(
            (
                "UPDATE element_instances SET state = ?, end_date = ? WHERE key = ?",
                (ended, now, effect.key),
            )
        )


def _job_row(job: JobCreated, tenant_id: str, now: int) -> Statement:
    return (
        "INSERT INTO jobs (key, type, state, retries, available_at, variables, custom_headers,"
        " tenant_id, process_definition_id, element_id, created_at, updated_at,"
        " process_instance_key, process_definition_key, process_definition_version,"
        " element_instance_key)"
        " VALUES (?, ?, 'ACTIVATABLE', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            job.key,
            job.type,
            job.retries,
            now,
            json.dumps(job.variables),
            json.dumps(job.custom_headers),
            tenant_id,
            job.bpmn_process_id,
            job.element_id,
            now,
            now,
            job.process_instance_key,
            job.process_definition_key,
            job.version,
            job.element_instance_key,
        ),
    )


def job_command(
    job_key: int,
    *,
    failure_retries: int | None = None,
    failure_message: str | None = None,
    error_code: str | None = None,
    message: str | None = None,
    variables: Mapping[str, Any] | None = None,
) -> CompleteJob | FailJob | ThrowError:
    """The engine command a worker's report on a process job stands for."""
    if failure_retries is not None:
        return FailJob(job_key, failure_retries, failure_message or "")
    if error_code is not None:
        return ThrowError(job_key, error_code, message or "", dict(variables or {}))
    return CompleteJob(job_key, dict(variables or {}))


# -- reading -------------------------------------------------------------------------------------

DUE_TIMERS = "SELECT key, process_instance_key FROM timers WHERE due <= ? ORDER BY due, key LIMIT ?"
NEXT_TIMER = "SELECT MIN(due) AS due FROM timers"
DROP_TIMER = "DELETE FROM timers WHERE key = ?"
INSTANCE = "SELECT * FROM process_instances WHERE key = ?"
LATEST_DEFINITION = (
    "SELECT key FROM process_definitions WHERE bpmn_process_id = ? AND tenant_id = ?"
    " AND deleted_at IS NULL ORDER BY version DESC LIMIT 1"
)
"""The definition a call activity starts: the latest live version of the called process."""
DEFINITION_VERSION = (
    "SELECT key FROM process_definitions WHERE bpmn_process_id = ? AND tenant_id = ?"
    " AND deleted_at IS NULL AND version = ?"
)
"""A live definition by process id and version."""
CHILD_OF = (
    "SELECT key FROM process_instances WHERE parent_element_instance_key = ? AND state = 'ACTIVE'"
)


def cancel_child() -> CancelInstance:
    return CancelInstance()


def call_failed(follow_up: FollowUp, engine: Engine | None) -> CallFailed | None:
    """Why a call activity's child cannot start (Zeebe's CALLED_ELEMENT_ERROR texts), as the
    command that raises the incident on the call activity; ``None`` when it can start.

    Args:
        follow_up: The child's request.
        engine: The latest live version of the called process (``None``: not deployed).
    """
    assert follow_up.parent_element is not None
    process_id = follow_up.process_id
    if engine is None:
        text = (
            f"Expected process with BPMN process id '{process_id}' to be deployed, but not found."
        )
    elif engine.definition.process.none_start_event() is None:
        text = (
            f"Expected process with BPMN process id '{process_id}' to have a none start event,"
            " but not found."
        )
    else:
        return None
    return CallFailed(follow_up.parent_element, text)


"""An instance's row (the backend appends ``FOR UPDATE`` where it locks)."""


def iso(ms: int | None) -> str | None:
    """Epoch milliseconds as Camunda writes a date: ISO 8601 in UTC, with milliseconds."""
    if ms is None:
        return None
    moment = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _key(value: Any) -> str | None:
    return None if value is None else str(value)


def instance_result(row: Any) -> ProcessInstanceResult:
    return ProcessInstanceResult.model_validate(
        {
            "processInstanceKey": str(row["key"]),
            "state": row["state"],
            "processDefinitionKey": str(row["process_definition_key"]),
            "processDefinitionId": row["bpmn_process_id"],
            "processDefinitionVersion": row["version"],
            "startDate": iso(row["start_date"]),
            "endDate": iso(row["end_date"]),
            "hasIncident": bool(row["has_incident"]),
            "tenantId": row["tenant_id"],
            "parentProcessInstanceKey": _key(row["parent_process_instance_key"]),
            "parentElementInstanceKey": _key(row["parent_element_instance_key"]),
            "rootProcessInstanceKey": str(row["key"]),
            "tags": json.loads(row["tags"]),
            "businessId": row["business_id"],
        }
    )


def element_result(row: Any, instance: Any) -> ElementInstanceResult:
    return ElementInstanceResult.model_validate(
        {
            "elementInstanceKey": str(row["key"]),
            "type": row["type"],
            "state": row["state"],
            "elementId": row["element_id"],
            "elementName": row["element_id"],
            "hasIncident": row["incident_key"] is not None,
            "incidentKey": _key(row["incident_key"]),
            "startDate": iso(row["start_date"]),
            "endDate": iso(row["end_date"]),
            "processInstanceKey": str(row["process_instance_key"]),
            "rootProcessInstanceKey": str(row["process_instance_key"]),
            "processDefinitionKey": str(instance["process_definition_key"]),
            "processDefinitionId": instance["bpmn_process_id"],
            "tenantId": instance["tenant_id"],
        }
    )


def incident_result(row: Any, instance: Any) -> IncidentResult:
    return IncidentResult.model_validate(
        {
            "incidentKey": str(row["key"]),
            "errorType": row["error_type"],
            "state": row["state"],
            "errorMessage": row["error_message"],
            "elementId": row["element_id"],
            "elementInstanceKey": str(row["element_instance_key"]),
            "jobKey": _key(row["job_key"]),
            "creationTime": iso(row["creation_time"]),
            "processInstanceKey": str(row["process_instance_key"]),
            "rootProcessInstanceKey": str(row["process_instance_key"]),
            "processDefinitionKey": str(instance["process_definition_key"]),
            "processDefinitionId": instance["bpmn_process_id"],
            "tenantId": instance["tenant_id"],
        }
    )


def variable_result(row: Any, instance: Any) -> VariableResult:
    return VariableResult.model_validate(
        {
            "variableKey": str(row["key"]),
            "name": row["name"],
            "value": row["value"],
            "scopeKey": str(row["scope_key"]),
            "processInstanceKey": str(row["process_instance_key"]),
            "rootProcessInstanceKey": str(row["process_instance_key"]),
            "tenantId": instance["tenant_id"],
        }
    )


def flow_result(row: Any, instance: Any) -> ProcessInstanceSequenceFlowResult:
    return ProcessInstanceSequenceFlowResult.model_validate(
        {
            "sequenceFlowId": row["flow_id"],
            "elementId": row["flow_id"],
            "processInstanceKey": str(row["process_instance_key"]),
            "rootProcessInstanceKey": str(row["process_instance_key"]),
            "processDefinitionKey": str(instance["process_definition_key"]),
            "processDefinitionId": instance["bpmn_process_id"],
            "tenantId": instance["tenant_id"],
        }
    )


@dataclass(frozen=True)
class Rows:
    """Rows read for a query: the entity rows and their instances' rows by key."""

    rows: Sequence[Any]
    instances: Mapping[int, Any]

    def joined(self) -> Iterator[tuple[Any, Any]]:
        for row in self.rows:
            instance = self.instances.get(int(row["process_instance_key"]))
            if instance is not None:
                yield row, instance


TABLE_OF = {
    "instance": "process_instances",
    "element": "element_instances",
    "incident": "incidents",
    "variable": "variables",
    "flow": "sequence_flows",
    "job": "jobs",
    "subscription": "message_subscriptions",
}


def select_rows(
    kind: str,
    *,
    key: int | None,
    instance_key: int | None,
    restrict: _prefilter.Where | None = None,
) -> Statement:
    """The rows of ``kind`` (``TABLE_OF``): one by key, one instance's, or all; those of a
    search only where ``restrict`` allows (``_prefilter``)."""
    table = TABLE_OF[kind]
    if key is not None:
        return f"SELECT * FROM {table} WHERE key = ?", (key,)
    conditions, args = [], []
    if instance_key is not None:
        column = "key" if kind == "instance" else "process_instance_key"
        conditions.append(f"{column} = ?")
        args.append(instance_key)
    extra, extra_args = _prefilter.clause(restrict or {})
    if extra:
        conditions.append(extra)
        args.extend(extra_args)
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    order = " ORDER BY position" if kind == "flow" and instance_key is not None else ""
    return f"SELECT * FROM {table}{where}{order}", tuple(args)


def instance_keys(rows: Iterable[Any]) -> list[int]:
    return sorted({int(r["process_instance_key"]) for r in rows if r["process_instance_key"]})


_JOB_STATES = {
    "ACTIVATABLE": "CREATED",
    "ACTIVATED": "CREATED",
    "INCIDENT": "FAILED",
    "COMPLETED": "COMPLETED",
    "ERROR_THROWN": "ERROR_THROWN",
    "CANCELED": "CANCELED",
}


def camunda_job(row: Any, now: int) -> CamundaJob:
    """A job row as Camunda's job search answers it (its last event as its state)."""
    state = _JOB_STATES.get(row["state"], row["state"])
    failed = row["state"] == "ACTIVATABLE" and row["error_message"] is not None
    if failed:
        state = "FAILED"
    if row["state"] == "ACTIVATED" and row["available_at"] <= now:
        state = "TIMED_OUT"
    ended = row["state"] in ("COMPLETED", "ERROR_THROWN", "CANCELED")
    instance = row["process_instance_key"]
    return CamundaJob.model_validate(
        {
            "jobKey": str(row["key"]),
            "type": row["type"],
            "state": state,
            "retries": row["retries"],
            "worker": row["worker"] or "",
            "deadline": iso(row["deadline"]) if row["state"] == "ACTIVATED" else None,
            "customHeaders": {k: str(v) for k, v in json.loads(row["custom_headers"]).items()},
            "errorCode": row["error_code"],
            "errorMessage": row["error_message"],
            "hasFailedWithRetriesLeft": failed and row["retries"] > 0,
            "creationTime": iso(row["created_at"]),
            "lastUpdateTime": iso(row["updated_at"]),
            "endTime": iso(row["updated_at"]) if ended else None,
            "elementId": row["element_id"] or None,
            "elementInstanceKey": _key(row["element_instance_key"]) or "-1",
            "processInstanceKey": _key(instance) or "-1",
            "rootProcessInstanceKey": _key(instance),
            "processDefinitionKey": _key(row["process_definition_key"]) or "-1",
            "processDefinitionId": row["process_definition_id"],
            "tenantId": row["tenant_id"],
        }
    )
