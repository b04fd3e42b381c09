"""Process instances in SQLite (the rules: ``store/_instances.py``).

Synchronous, in the store's owner thread, inside the transaction (or group commit savepoint)
of the caller: ``SqliteJobs`` runs a job report's instance step here in the same transaction
as the job's change. Keys come from the jobs' counter, one at a time.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any

from ...engine import Command, CreateInstance, Engine, InstanceState, Rejected, SignalThrown
from .. import _instance_json, _instances, _messages
from .._instances import Engines, FollowUp, NewInstance, Persisted
from .._prefilter import Where
from .._start_timers import DueStart
from ._state_cache import Cached, StateCache


class SqliteInstances:
    """Commands on instances and the reads of their projections."""

    def __init__(
        self,
        db: sqlite3.Connection,
        new_key: Callable[[], int],
        tx: Callable[[], AbstractContextManager[sqlite3.Connection]],
        event: Callable[..., None],
    ) -> None:
        self._db = db
        self._new_key = new_key
        self._tx = tx
        self._event = event
        self.engines = Engines()
        self._broadcasts: _messages.Broadcasts | None = None
        self._states = StateCache()

    def forget(self) -> None:
        """The connection rolled back: states kept from its steps may be undone."""
        self._states.forget()

    def process_of_job(self, job_key: int) -> int | None:
        """The instance of a process job (``None``: a plain job, or none with that key);
        raises ``NeedDefinition`` when its definition is not loaded, before anything is
        written."""
        row = self._db.execute(
            "SELECT process_instance_key, process_definition_key FROM jobs WHERE key = ?",
            (job_key,),
        ).fetchone()
        if row is None or row[0] is None:
            return None
        self.engines.get(int(row[1]))
        return int(row[0])

    def _write(self, persisted: Persisted, now: int, kept: Cached) -> None:
        for sql, args in persisted.statements:
            self._db.execute(sql, args)
        if kept.state.state == "ACTIVE":  # before the follow-ups, which may step it again
            self._states.put(kept.state.key, kept)
        for key, job_type, event, fields in persisted.events:
            self._event(key, job_type, now, event, **fields)
        self.engines.woken.extend(persisted.woken)
        if persisted.timers:
            self.engines.timers_scheduled = True
        for follow_up in persisted.follow_ups:
            self._follow(follow_up, now)

    def _follow(self, follow_up: FollowUp, now: int) -> None:
        """Another instance's step this one asked for, in the same transaction."""
        if follow_up.message is not None:
            self._message_follow(follow_up, now)
            return
        if follow_up.ended_process is not None:
            assert follow_up.instance is not None
            starts = self.engines.starts
            ended = follow_up.instance, follow_up.ended_process, follow_up.tenant_id
            plan = _messages.instance_ended(*ended, starts, now)
            if plan is not None:
                self.run_plan(plan, now)
            return
        target, command2 = follow_up.instance, follow_up.command
        if follow_up.process_id is not None:
            found = self._db.execute(
                _instances.LATEST_DEFINITION, (follow_up.process_id, follow_up.tenant_id)
            ).fetchone()
            engine = None if found is None else self.engines.get(int(found[0]))
            failed = _instances.call_failed(follow_up, engine)
            if engine is not None and failed is None:
                command = CreateInstance(
                    follow_up.variables,
                    (),
                    follow_up.parent_instance,
                    follow_up.parent_element,
                )
                self.create(engine, command, NewInstance(follow_up.tenant_id), now)
                return
            target, command2 = follow_up.parent_instance, failed  # the call activity's incident
        if follow_up.child_of is not None:
            child = self._db.execute(_instances.CHILD_OF, (follow_up.child_of,)).fetchone()
            if child is None:
                return
            target, command2 = int(child[0]), _instances.cancel_child()
        assert target is not None and command2 is not None
        try:
            self.advance(target, command2, now)
        except Rejected:
            pass  # the other instance has moved on (e.g. its call activity was left)

    def _message_follow(self, follow_up: FollowUp, now: int) -> None:
        message, instance = follow_up.message, follow_up.instance
        assert instance is not None
        if isinstance(message, SignalThrown):
            self.broadcast(message, follow_up.tenant_id, now)
        elif message is not None:
            self.run_plan(_messages.subscription_opened(message, instance, now), now)

    def broadcast(self, signal: SignalThrown, tenant_id: str, now: int) -> int:
        """A signal to every waiting instance and signal start event; the signals its steps
        throw in turn share what this one reached (each pair once)."""
        outer = self._broadcasts
        seen = self._broadcasts = outer or _messages.Broadcasts()
        try:
            plan = _messages.broadcast(signal, tenant_id, self.engines.starts, seen)
            return int(self.run_plan(plan, now))
        finally:
            self._broadcasts = outer

    def run_plan(self, plan: _messages.Plan, now: int) -> Any:
        """Drive a message or signal plan (``_messages``) in the caller's transaction (or
        one of its own)."""
        with self._tx():
            answer: Any = None
            try:
                while True:
                    op = plan.send(answer)
                    answer = self._op(op, now)
            except StopIteration as stop:
                return stop.value

    def _op(self, op: _messages.Op, now: int) -> Any:
        if isinstance(op, _messages.Query):
            return [dict(r) for r in self._db.execute(op.sql, op.args)]
        if isinstance(op, _messages.Execute):
            self._db.execute(op.sql, op.args)
            return None
        if isinstance(op, _messages.NewKey):
            return self._new_key()
        if isinstance(op, _messages.Lock):
            return None  # one writer at a time already
        if isinstance(op, _messages.Advance):
            try:
                self.advance(op.instance_key, op.command, now)
            except Rejected:
                return False
            return True
        engine = self.engines.get(op.definition_key)
        command = CreateInstance(op.variables, (op.element_id,))
        state, _ = self.create(engine, command, NewInstance(op.tenant_id), now)
        return state.key

    def create(
        self, engine: Engine, command: CreateInstance, new: NewInstance, now: int
    ) -> tuple[InstanceState, Persisted]:
        """Create an instance in the caller's transaction (or one of its own). The state
        returned is the one later commands step: read only its key, process and version."""
        with self._tx():
            step = engine.apply(None, command, now=now, keys=self._new_key)
            persisted = _instances.persist(
                None,
                step,
                command,
                now=now,
                keys=self._new_key,
                tenant_id=new.tenant_id,
                new=new,
            )
            definition_key, size = step.state.process_definition_key, persisted.document_size
            kept = Cached(step.state, definition_key, new.tenant_id, size)
            self._write(persisted, now, kept)
        return step.state, persisted

    def advance(self, key: int, command: Command, now: int) -> tuple[InstanceState, Persisted]:
        """Apply ``command`` to the instance ``key`` in the caller's transaction (or one of
        its own). Raises ``Rejected`` (nothing written) or ``NeedDefinition``. The state
        returned is the one later commands step: read only its key, process and version."""
        with self._tx():
            kept = self._states.take(key) or self._read(key)
            engine = self.engines.get(kept.definition_key)
            before = _instances.prior(kept.state)  # the store's own: stepped in place
            step = engine.apply(kept.state, command, now=now, keys=self._new_key, owned=True)
            persisted = _instances.persist(
                before, step, command, now=now, keys=self._new_key, tenant_id=kept.tenant_id
            )
            kept.state, kept.size = step.state, persisted.document_size
            self._write(persisted, now, kept)
        return step.state, persisted

    def _read(self, key: int) -> Cached:
        row = self._db.execute(_instances.INSTANCE, (key,)).fetchone()
        if row is None:
            raise Rejected(f"no process instance with key {key}")
        state = _instance_json.loads(row["engine_state"])
        return Cached(state, int(row["process_definition_key"]), row["tenant_id"], 0)

    def definition_of(self, key: int) -> int | None:
        row = self._db.execute(
            "SELECT process_definition_key FROM process_instances WHERE key = ?", (key,)
        ).fetchone()
        return None if row is None else int(row[0])

    def rows(
        self,
        kind: str,
        *,
        key: int | None = None,
        instance_key: int | None = None,
        restrict: Where | None = None,
    ) -> _instances.Rows:
        """Rows of ``kind`` with their instances' rows (``_instances.TABLE_OF``)."""
        statement = _instances.select_rows(
            kind, key=key, instance_key=instance_key, restrict=restrict
        )
        rows = self._db.execute(*statement)
        found = [dict(r) for r in rows]
        if kind == "instance":
            return _instances.Rows(found, {int(r["key"]): r for r in found})
        return _instances.Rows(found, dict(self._instance_rows(_instances.instance_keys(found))))

    def _instance_rows(self, keys: list[int]) -> Iterator[tuple[int, Any]]:
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            for row in self._db.execute(
                f"SELECT * FROM process_instances WHERE key IN ({marks})", chunk
            ):
                yield int(row["key"]), dict(row)

    def due_timers(self, now: int, limit: int) -> tuple[list[tuple[int, int]], int | None]:
        """Timers due at ``now`` (``(timer key, instance key)``, soonest first), and when the
        next one is due."""
        due = [
            (int(r[0]), int(r[1])) for r in self._db.execute(_instances.DUE_TIMERS, (now, limit))
        ]
        (next_due,) = self._db.execute(_instances.NEXT_TIMER).fetchone()
        return due, None if next_due is None else int(next_due)

    def drop_timer(self, key: int) -> None:
        with self._tx():
            self._db.execute(_instances.DROP_TIMER, (key,))

    def query(self, sql: str, args: Sequence[Any]) -> list[dict[str, Any]]:
        return [dict(r) for r in self._db.execute(sql, tuple(args))]

    def execute(self, statements: Sequence[tuple[str, tuple[Any, ...]]]) -> None:
        with self._tx():
            for sql, args in statements:
                self._db.execute(sql, args)

    def fire_start(self, engine: Engine, due: DueStart, now: int) -> bool:
        """Claim a due timer start event, create its instance and write its next firing, in
        one transaction; ``False``: claimed already (nothing written)."""
        with self._tx():
            if not self._db.execute(*due.claim()).rowcount:
                return False
            following = due.following()
            if following is not None:
                self._db.execute(*following)
            command = CreateInstance({}, (due.element_id,))
            self.create(engine, command, NewInstance(due.tenant_id), now)
        return True
