"""Timer start events in the store: the schedule of a process's latest version.

When a deployment gives a process a new version, the timer start subscriptions of its earlier
versions are replaced by the new version's (as Zeebe does; a new version without timer start
events just removes them), in the deployment's own transaction (``for_deployment``); deleting a
definition removes its own. One row per timer start event
holds when it fires next and how many firings are left (``start_event_due``).

A firing is one transaction: the row is claimed (deleted; on PostgreSQL a second replica's claim
waits for the first's commit and then finds nothing), the instance is created at that start
event, and the next firing is written. So a restart neither loses a firing (one due while the
broker was down fires at start) nor repeats one, and each firing creates exactly one instance
across replicas.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from ...bpmn import EventKind, Process, Timer
from ..engine import start_event_due
from ._deployments import ProcessDefinitionRecord

if TYPE_CHECKING:
    from ._face import JobStore

Statement = tuple[str, tuple[Any, ...]]

TABLES = """
CREATE TABLE IF NOT EXISTS start_timers (
    process_definition_key {int} NOT NULL,
    element_id TEXT NOT NULL,
    bpmn_process_id TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    due {int} NOT NULL,
    repetitions INTEGER NOT NULL,
    PRIMARY KEY (process_definition_key, element_id)
);
CREATE INDEX IF NOT EXISTS start_timers_due ON start_timers (due);
"""

DUE = "SELECT * FROM start_timers WHERE due <= ? ORDER BY due, process_definition_key LIMIT ?"
NEXT = "SELECT MIN(due) AS due FROM start_timers"
CLAIM = "DELETE FROM start_timers WHERE process_definition_key = ? AND element_id = ? AND due = ?"
INSERT = (
    "INSERT INTO start_timers (process_definition_key, element_id, bpmn_process_id, tenant_id,"
    " due, repetitions) VALUES (?, ?, ?, ?, ?, ?)"
)
OF_DEFINITION = "DELETE FROM start_timers WHERE process_definition_key = ?"


def sqlite_tables() -> str:
    return TABLES.format(int="INTEGER")


def postgres_tables() -> tuple[str, ...]:
    return tuple(s.strip() for s in TABLES.format(int="BIGINT").split(";") if s.strip())


@dataclass(frozen=True)
class DueStart:
    """A timer start event due to fire: which, when it was due, and its next firing
    (``None``: it fires no more)."""

    process_definition_key: int
    element_id: str
    bpmn_process_id: str
    tenant_id: str
    due: int
    next: tuple[int, int] | None

    def claim(self) -> Statement:
        return CLAIM, (self.process_definition_key, self.element_id, self.due)

    def following(self) -> Statement | None:
        if self.next is None:
            return None
        due, repetitions = self.next
        row = (self.process_definition_key, self.element_id, self.bpmn_process_id, self.tenant_id)
        return INSERT, (*row, due, repetitions)


def _timer(node: Any) -> Timer:
    timer: Timer | None = node.event.timer if node.event is not None else None
    assert timer is not None, node.id
    return timer


def timer_starts(process: Process) -> list[Any]:
    """The process's own timer start events (not those of event sub-processes)."""
    return [n for n in process.start_events(None, EventKind.TIMER) if n.event and n.event.timer]


def schedule(
    process: Process, definition_key: int, process_id: str, tenant_id: str, now: int
) -> list[Statement]:
    """Replace the timer start subscriptions of ``process_id`` (every version) by those of
    ``definition_key``, its new latest version."""
    statements: list[Statement] = [
        (
            "DELETE FROM start_timers WHERE bpmn_process_id = ? AND tenant_id = ?",
            (process_id, tenant_id),
        )
    ]
    for node in timer_starts(process):
        first = start_event_due(_timer(node), now)
        if first is None:
            continue
        due, repetitions = first
        statements.append(
            (INSERT, (definition_key, node.id, process_id, tenant_id, due, repetitions))
        )
    return statements


def for_deployment(
    processes: Mapping[str, Process], now: int
) -> Callable[[ProcessDefinitionRecord], list[Statement]]:
    """The timer start statements of each new version a deployment gives (``processes`` by
    BPMN process id), written in the deployment's own transaction: a crash cannot keep the
    version and lose its schedule."""

    def statements(record: ProcessDefinitionRecord) -> list[Statement]:
        process = processes[record.bpmn_process_id]
        return schedule(process, record.key, record.bpmn_process_id, record.tenant_id, now)

    return statements


def due_start(row: Any, process: Process, now: int) -> DueStart:
    node = process.elements[row["element_id"]]
    following = start_event_due(
        _timer(node), now, previous_due=int(row["due"]), repetitions=int(row["repetitions"])
    )
    return DueStart(
        int(row["process_definition_key"]),
        str(row["element_id"]),
        str(row["bpmn_process_id"]),
        str(row["tenant_id"]),
        int(row["due"]),
        following,
    )


BATCH = 100


class StartTimers:
    """The timer start events' face of the store (``JobStore.start_timers``)."""

    def __init__(self, store: JobStore) -> None:
        self._store = store

    async def deployed(self, definition_key: int) -> None:
        """``definition_key`` is a new latest version: its timer start events replace the
        earlier versions' (also when it has none)."""
        model = await self._store.definition_model(definition_key)
        record = model.record
        statements = schedule(
            model.process, record.key, record.bpmn_process_id, record.tenant_id, self._store.now()
        )
        await self._store._backend.execute(statements)
        if len(statements) > 1:
            self._store.processes.wake_timers()

    async def deleted(self, record: ProcessDefinitionRecord) -> None:
        """``record`` was deleted: its timer start events go; when it was the latest version,
        the version now latest is scheduled again (as Zeebe re-subscribes it)."""
        await self._store._backend.execute([(OF_DEFINITION, (record.key,))])
        live = [
            d
            for d in await self._store.process_definitions()
            if d.bpmn_process_id == record.bpmn_process_id
            and d.tenant_id == record.tenant_id
            and not d.deleted
        ]
        latest = max(live, key=lambda d: d.version, default=None)
        if latest is not None and latest.version < record.version:
            await self.deployed(latest.key)

    async def fire_due(self) -> int | None:
        """Fire every due timer start event (each: one instance, exactly once); when the next
        one is due."""
        store = self._store
        while True:
            now = store.now()
            rows = await store._backend.query(DUE, (now, BATCH))
            for row in rows:
                engine = await store.processes.engine(int(row["process_definition_key"]))
                model = await store.definition_model(int(row["process_definition_key"]))
                due = due_start(row, model.process, now)
                try:
                    await store.processes.loading(
                        partial(store._backend.fire_start, engine, due, now)
                    )
                finally:
                    store.processes.woke()
            if len(rows) < BATCH:
                found = await store._backend.query(NEXT)
                return None if not found or found[0]["due"] is None else int(found[0]["due"])
