"""Messages and signals in the store: the rules both backends share, whatever SQL runs them.

Tables: ``message_subscriptions`` (what the engine's ``SubscriptionOpened`` / ``Closed``
effects say, message and signal ones), ``messages`` (published messages buffered for their
time to live) and ``message_correlations`` (which instance each message reached, so a
message correlates at most once per instance, as Zeebe's).

A publication, a correlation, a broadcast and the correlation of buffered messages when a
subscription opens are *plans*: generators that yield what they need from the transaction
(``Query``, ``Execute``, ``Advance``, ``Start``, ``Lock``) and receive the answer. Each
backend drives a plan in its own transaction (SQLite synchronously, PostgreSQL with awaits),
so the rules are written once and every step of a message commits together.

Zeebe's rules, as followed here:

- a message is correlated at most once per process (BPMN process id, across its versions):
  to a message start event, else to one open subscription with its name and correlation key
  of an instance of that process; to every process that waits for it (buffered or not);
- a message with a time to live above 0 is buffered until then (the broker's clock at use: an
  expired one is never correlated; expired rows are deleted lazily); a subscription opening
  later correlates the oldest live buffered message its process has not met;
- a message id is unique per name and correlation key while its message is buffered
  (``ALREADY_EXISTS``, 409);
- a message start event of the latest version starts an instance, unless an instance it
  started with the same correlation key is still active; when that instance ends (completed
  or terminated), the oldest live buffered message with that correlation key and a start
  event's name starts the next instance of the latest version (``instance_ended``);
- a message published before its process was deployed starts nothing at deployment (Zeebe
  documents it so), though it may start one later as the previous rule says;
- a signal reaches every open signal subscription of every instance and starts an instance
  of each process whose latest version has a signal start event with its name.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ...models import DEFAULT_TENANT, MessageSubscriptionResult
from .._problems import BrokerError
from ..engine import (
    BroadcastSignal,
    Command,
    CorrelateMessage,
    SignalThrown,
    SubscriptionClosed,
    SubscriptionOpened,
)

Statement = tuple[str, tuple[Any, ...]]

TABLES = """
CREATE TABLE IF NOT EXISTS message_subscriptions (
    key {int} PRIMARY KEY,
    process_instance_key {int} NOT NULL,
    element_instance_key {int} NOT NULL,
    element_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    message_name TEXT NOT NULL,
    correlation_key TEXT,
    interrupting INTEGER NOT NULL,
    state TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    updated_at {int} NOT NULL
);
CREATE INDEX IF NOT EXISTS message_subscriptions_open
    ON message_subscriptions (message_name, correlation_key) WHERE state = 'CREATED';
CREATE INDEX IF NOT EXISTS message_subscriptions_instance
    ON message_subscriptions (process_instance_key);
CREATE TABLE IF NOT EXISTS messages (
    key {int} PRIMARY KEY,
    name TEXT NOT NULL,
    correlation_key TEXT NOT NULL,
    variables TEXT NOT NULL,
    message_id TEXT,
    expires_at {int} NOT NULL,
    tenant_id TEXT NOT NULL,
    published_at {int} NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_name ON messages (name, correlation_key, expires_at);
CREATE TABLE IF NOT EXISTS message_correlations (
    message_key {int} NOT NULL,
    process_instance_key {int} NOT NULL,
    bpmn_process_id TEXT NOT NULL,
    correlation_key TEXT NOT NULL,
    started INTEGER NOT NULL,
    PRIMARY KEY (message_key, process_instance_key)
);
CREATE INDEX IF NOT EXISTS message_correlations_started
    ON message_correlations (bpmn_process_id, correlation_key) WHERE started = 1;
"""
"""``{int}`` is the backend's 64-bit type."""


def sqlite_tables() -> str:
    return TABLES.format(int="INTEGER")


def postgres_tables() -> tuple[str, ...]:
    return tuple(s.strip() for s in TABLES.format(int="BIGINT").split(";") if s.strip())


class MessageAlreadyExists(BrokerError):
    """A message id published again while its message is buffered (Zeebe's ALREADY_EXISTS)."""

    status = 409
    title = "ALREADY_EXISTS"


# -- what a step's effects write ------------------------------------------------------------------


def subscription_statement(
    effect: SubscriptionOpened | SubscriptionClosed,
    instance_key: int,
    command: object,
    tenant_id: str,
    now: int,
) -> Statement:
    """The row an opened or closed subscription writes (``CORRELATED`` when the command
    correlated it, ``DELETED`` when its element was left)."""
    if isinstance(effect, SubscriptionOpened):
        return (
            "INSERT INTO message_subscriptions (key, process_instance_key, element_instance_key,"
            " element_id, kind, message_name, correlation_key, interrupting, state, tenant_id,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'CREATED', ?, ?)",
            (
                effect.key,
                instance_key,
                effect.element_instance_key,
                effect.element_id,
                effect.kind,
                effect.name,
                effect.correlation_key,
                int(effect.interrupting),
                tenant_id,
                now,
            ),
        )
    correlated = isinstance(command, CorrelateMessage | BroadcastSignal)
    if isinstance(command, CorrelateMessage) and command.subscription_key != effect.key:
        correlated = False
    state = "CORRELATED" if correlated else "DELETED"
    return (
        "UPDATE message_subscriptions SET state = ?, updated_at = ? WHERE key = ?",
        (state, now, effect.key),
    )


# -- plans ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """Rows (as mappings) of a ``SELECT``."""

    sql: str
    args: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Execute:
    sql: str
    args: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Advance:
    """Apply ``command`` to an instance (its row locked where replicas share the store);
    answers whether the engine took it (``False``: rejected, nothing written)."""

    instance_key: int
    command: Command


@dataclass(frozen=True)
class Start:
    """Create an instance of ``definition_key`` at ``element_id``; answers its key."""

    definition_key: int
    element_id: str
    variables: Mapping[str, Any]
    tenant_id: str


@dataclass(frozen=True)
class Lock:
    """Serialise the message operations of one name and correlation key across replicas."""

    name: str
    correlation_key: str


@dataclass(frozen=True)
class NewKey:
    """A key from the store's key space."""


Op = Query | Execute | Advance | Start | Lock | NewKey
Plan = Generator[Op, Any, Any]


@dataclass(frozen=True)
class StartEvent:
    """A message or signal start event of a latest process version."""

    kind: str
    name: str
    definition_key: int
    bpmn_process_id: str
    element_id: str
    tenant_id: str


@dataclass
class StartIndex:
    """The start events of the latest versions, set by the face when definitions change."""

    events: list[StartEvent] = field(default_factory=list)

    def of(self, kind: str, name: str, tenant_id: str) -> list[StartEvent]:
        return [
            e for e in self.events if e.kind == kind and e.name == name and e.tenant_id == tenant_id
        ]


@dataclass(frozen=True)
class Publication:
    name: str
    correlation_key: str
    variables: Mapping[str, Any]
    time_to_live: int
    message_id: str | None
    tenant_id: str = DEFAULT_TENANT


_OPEN_SUBSCRIPTIONS = (
    "SELECT s.key AS key, s.process_instance_key AS process_instance_key,"
    " i.bpmn_process_id AS bpmn_process_id FROM message_subscriptions s"
    " JOIN process_instances i ON i.key = s.process_instance_key"
    " WHERE s.kind = 'MESSAGE' AND s.state = 'CREATED'"
    " AND s.message_name = ? AND s.correlation_key = ? AND s.tenant_id = ?"
    " AND NOT EXISTS (SELECT 1 FROM message_correlations c WHERE c.message_key = ?"
    " AND c.bpmn_process_id = i.bpmn_process_id) ORDER BY s.key"
)
_CORRELATED = (
    "INSERT INTO message_correlations (message_key, process_instance_key, bpmn_process_id,"
    " correlation_key, started) VALUES (?, ?, ?, ?, ?)"
)
_ACTIVE_STARTED = (
    "SELECT 1 FROM message_correlations c JOIN process_instances i"
    " ON i.key = c.process_instance_key WHERE c.started = 1 AND c.bpmn_process_id = ?"
    " AND c.correlation_key = ? AND i.state = 'ACTIVE' LIMIT 1"
)


def _unique_id(message: Publication, now: int) -> Plan:
    yield Execute("DELETE FROM messages WHERE expires_at <= ?", (now,))  # lazily
    found = yield Query(
        "SELECT key FROM messages WHERE name = ? AND correlation_key = ? AND message_id = ?"
        " AND tenant_id = ? AND expires_at > ?",
        (message.name, message.correlation_key, message.message_id, message.tenant_id, now),
    )
    if found:
        raise MessageAlreadyExists(
            f"Expected to publish a new message with id '{message.message_id}', but a"
            " message with that id was already published"
        )


def publish(message: Publication, starts: StartIndex, now: int, *, buffer: bool = True) -> Plan:
    """Correlate a message to what waits for it now, then buffer it for its time to live.

    Answers ``(message key, instance keys reached, in order)``."""
    yield Lock(message.name, message.correlation_key)
    if message.message_id is not None and buffer:
        yield from _unique_id(message, now)
    key = yield NewKey()
    reached: list[int] = []
    processes: set[str] = set()
    """The processes the message reached: a process it started gets no subscription's."""
    for event in starts.of("MESSAGE", message.name, message.tenant_id):
        if message.correlation_key:
            busy = yield Query(_ACTIVE_STARTED, (event.bpmn_process_id, message.correlation_key))
            if busy:
                continue  # one active instance per correlation key, as Zeebe's
        instance = yield Start(
            event.definition_key, event.element_id, message.variables, message.tenant_id
        )
        if instance is not None:
            reached.append(instance)
            processes.add(event.bpmn_process_id)
            yield Execute(
                _CORRELATED,
                (key, instance, event.bpmn_process_id, message.correlation_key, 1),
            )
    waiting = yield Query(
        _OPEN_SUBSCRIPTIONS,
        (message.name, message.correlation_key, message.tenant_id, key),
    )
    for row in waiting:
        instance, process_id = int(row["process_instance_key"]), row["bpmn_process_id"]
        if process_id in processes:
            continue  # once per process (BPMN process id), as Zeebe's
        taken = yield Advance(instance, CorrelateMessage(int(row["key"]), message.variables))
        if taken:
            processes.add(process_id)
            reached.append(instance)
            yield Execute(_CORRELATED, (key, instance, process_id, message.correlation_key, 0))
    if buffer and message.time_to_live > 0:
        yield Execute(
            "INSERT INTO messages (key, name, correlation_key, variables, message_id,"
            " expires_at, tenant_id, published_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                key,
                message.name,
                message.correlation_key,
                json.dumps(dict(message.variables)),
                message.message_id,
                now + message.time_to_live,
                message.tenant_id,
                now,
            ),
        )
    return key, reached


def subscription_opened(opened: SubscriptionOpened, instance_key: int, now: int) -> Plan:
    """A message subscription opened: correlate the oldest live buffered message with its
    name and correlation key that this instance has not met yet."""
    if opened.kind != "MESSAGE" or opened.correlation_key is None:
        return None
    yield Lock(opened.name, opened.correlation_key)
    rows = yield Query(
        "SELECT m.key AS key, m.variables AS variables, i.bpmn_process_id AS bpmn_process_id"
        " FROM messages m JOIN message_subscriptions s ON s.key = ?"
        " JOIN process_instances i ON i.key = s.process_instance_key"
        " WHERE m.name = ? AND m.correlation_key = ? AND m.tenant_id = s.tenant_id"
        " AND m.expires_at > ? AND NOT EXISTS (SELECT 1 FROM message_correlations c"
        " WHERE c.message_key = m.key AND c.bpmn_process_id = i.bpmn_process_id)"
        " ORDER BY m.key LIMIT 1",
        (opened.key, opened.name, opened.correlation_key, now),
    )
    if not rows:
        return None
    message = rows[0]
    variables = json.loads(message["variables"])
    taken = yield Advance(instance_key, CorrelateMessage(opened.key, variables))
    if taken:
        process_id = message["bpmn_process_id"]
        yield Execute(
            _CORRELATED,
            (int(message["key"]), instance_key, process_id, opened.correlation_key, 0),
        )
    return None


_NEXT_BUFFERED = (
    "SELECT m.key AS key, m.name AS name, m.variables AS variables FROM messages m"
    " WHERE m.name IN ({names}) AND m.correlation_key = ? AND m.tenant_id = ?"
    " AND m.expires_at > ? AND NOT EXISTS (SELECT 1 FROM message_correlations c"
    " WHERE c.message_key = m.key AND c.bpmn_process_id = ?) ORDER BY m.key LIMIT 1"
)


def instance_ended(
    instance_key: int, process_id: str, tenant_id: str, starts: StartIndex, now: int
) -> Plan | None:
    """A root instance ended: when a message with a correlation key started it, the oldest
    live buffered message with that key and the name of a message start event of the latest
    version starts the next instance (as Zeebe's buffered message start events). ``None``
    (nothing to run) when the latest version has no message start event."""
    events = [
        e
        for e in starts.events
        if e.kind == "MESSAGE" and e.bpmn_process_id == process_id and e.tenant_id == tenant_id
    ]
    if not events:
        return None
    return _next_buffered(instance_key, process_id, tenant_id, events, now)


def _next_buffered(
    instance_key: int, process_id: str, tenant_id: str, events: list[StartEvent], now: int
) -> Plan:
    """A next instance that ends in the same step hands on to the following message here."""
    rows = yield Query(
        "SELECT correlation_key FROM message_correlations WHERE bpmn_process_id = ?"
        " AND process_instance_key = ? AND started = 1",
        (process_id, instance_key),
    )
    if not rows or not rows[0]["correlation_key"]:
        return None  # not started by a message, or by one without a correlation key
    correlation_key = rows[0]["correlation_key"]
    names = sorted({e.name for e in events})
    for name in names:
        yield Lock(name, correlation_key)
    while True:
        busy = yield Query(_ACTIVE_STARTED, (process_id, correlation_key))
        if busy:
            return None
        found = yield Query(
            _NEXT_BUFFERED.format(names=", ".join("?" * len(names))),
            (*names, correlation_key, tenant_id, now, process_id),
        )
        if not found:
            return None
        message = found[0]
        event = next(e for e in events if e.name == message["name"])
        variables = json.loads(message["variables"])
        instance = yield Start(event.definition_key, event.element_id, variables, tenant_id)
        if instance is None:
            return None
        yield Execute(_CORRELATED, (int(message["key"]), instance, process_id, correlation_key, 1))


@dataclass
class Broadcasts:
    """What one transaction's signals reached: each (signal, instance) and (signal, start
    definition) once, so a signal thrown by an instance it started ends there."""

    reached: set[tuple[str, int]] = field(default_factory=set)
    started: set[tuple[str, int]] = field(default_factory=set)


def broadcast(
    signal: SignalThrown,
    tenant_id: str,
    starts: StartIndex,
    seen: Broadcasts,
) -> Plan:
    """A signal to every open signal subscription of every instance, and to the signal start
    events of the latest versions. Answers the signal's key."""
    key = yield NewKey()
    rows = yield Query(
        "SELECT DISTINCT process_instance_key FROM message_subscriptions WHERE kind = 'SIGNAL'"
        " AND state = 'CREATED' AND message_name = ? AND tenant_id = ?"
        " ORDER BY process_instance_key",
        (signal.name, tenant_id),
    )
    targets = [int(r["process_instance_key"]) for r in rows]
    for event in starts.of("SIGNAL", signal.name, tenant_id):
        if (signal.name, event.definition_key) in seen.started:
            continue
        seen.started.add((signal.name, event.definition_key))
        instance = yield Start(event.definition_key, event.element_id, signal.variables, tenant_id)
        if instance is not None:
            seen.reached.add((signal.name, instance))
    for instance in targets:
        if (signal.name, instance) in seen.reached:
            continue
        seen.reached.add((signal.name, instance))
        yield Advance(instance, BroadcastSignal(signal.name, signal.variables))
    return key


# -- reading ------------------------------------------------------------------------------------


def subscription_result(row: Any, instance: Any) -> MessageSubscriptionResult:
    from ._instances import iso

    states = {"CREATED": "CREATED", "CORRELATED": "CORRELATED", "DELETED": "DELETED"}
    return MessageSubscriptionResult.model_validate(
        {
            "messageSubscriptionKey": str(row["key"]),
            "messageSubscriptionState": states.get(row["state"], row["state"]),
            "messageSubscriptionType": "PROCESS_EVENT",
            "messageName": row["message_name"],
            "correlationKey": row["correlation_key"],
            "elementId": row["element_id"],
            "elementInstanceKey": str(row["element_instance_key"]),
            "processInstanceKey": str(row["process_instance_key"]),
            "rootProcessInstanceKey": str(row["process_instance_key"]),
            "processDefinitionKey": str(instance["process_definition_key"]),
            "processDefinitionId": instance["bpmn_process_id"],
            "processDefinitionVersion": instance["version"],
            "lastUpdatedDate": iso(row["updated_at"]),
            "tenantId": row["tenant_id"],
        }
    )


SUBSCRIPTIONS = "SELECT * FROM message_subscriptions WHERE kind = 'MESSAGE'"
