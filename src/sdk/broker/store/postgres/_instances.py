"""Process instances on PostgreSQL (the rules: ``store/_instances.py``).

A command locks its instance's row (``SELECT ... FOR UPDATE``) before it reads the engine
state, so two replicas never advance one instance at once: the second waits for the first's
commit and starts from its state. Job reports lock their jobs first, then their instances, in
key order (``_reports.apply_reports``). Keys come from the jobs' sequence in blocks; a step
that needs more keys than its block is computed again with a bigger one (the engine is pure).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextvars import ContextVar
from typing import Any

from psycopg.rows import DictRow

from ...engine import (
    Command,
    CreateInstance,
    Engine,
    InstanceState,
    Rejected,
    SignalThrown,
    Step,
)
from .. import _instance_json, _instances, _messages
from .._instances import (
    Engines,
    FollowUp,
    KeyBlock,
    KeysExhausted,
    NewInstance,
    Persisted,
    Rows,
)
from .._prefilter import Where
from .._start_timers import DueStart
from ._tx import Database, Tx

FIRST_BLOCK = 32
_BROADCASTS: ContextVar[_messages.Broadcasts | None] = ContextVar("broadcasts", default=None)
"""What the signals of the running transaction reached (each pair once)."""
"""Keys allocated for one command before it runs (an instance step rarely needs more)."""


async def key_block(tx: Tx, count: int) -> KeyBlock:
    rows = await tx.all("SELECT nextval('job_keys') AS key FROM generate_series(1, %s)", (count,))
    return KeyBlock(sorted(int(r["key"]) for r in rows))


async def write(tx: Tx, persisted: Persisted, now: int, engines: Engines) -> None:
    """Send a step's statements (pipelined) and buffer its job history (the steps of other
    instances it asks for: ``PostgresInstances.write``)."""
    for sql, args in persisted.statements:
        await tx.execute(_instances.postgres(sql), args)
    for key, job_type, event, fields in persisted.events:
        tx.event(key, job_type, now, event, **fields)
    tx.woken |= persisted.woken
    engines.woken.extend(persisted.woken)
    if persisted.timers:
        engines.timers_scheduled = True


async def run_step(
    tx: Tx,
    compute: Callable[[Callable[[], int]], tuple[Step, Persisted]],
    keys: KeyBlock | None = None,
) -> tuple[Step, Persisted, KeyBlock]:
    """``compute(keys)`` with a block of keys large enough (the block is kept for the next
    step of the same transaction)."""
    size = FIRST_BLOCK
    if keys is None:
        keys = await key_block(tx, size)
    while True:
        mark = keys.used
        try:
            step, persisted = compute(keys)
            return step, persisted, keys
        except KeysExhausted:
            size *= 4
            more = await key_block(tx, size)
            keys = KeyBlock(keys.keys[:mark] + more.keys, mark)


async def locked_instances(tx: Tx, keys: Sequence[int]) -> dict[int, DictRow]:
    """The instances' rows, locked until the commit, in key order (no deadlock between two
    transactions locking several)."""
    if not keys:
        return {}
    rows = await tx.all(
        "SELECT * FROM process_instances WHERE key = ANY(%s) ORDER BY key FOR UPDATE",
        (sorted(keys),),
    )
    return {int(row["key"]): row for row in rows}


class PostgresInstances:
    """Commands on instances and the reads of their projections, on ``db``."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.engines = Engines()

    async def create(
        self, engine: Engine, command: CreateInstance, new: NewInstance, now: int
    ) -> tuple[InstanceState, Persisted]:
        def compute(keys: Callable[[], int]) -> tuple[Step, Persisted]:
            step = engine.apply(None, command, now=now, keys=keys)
            persisted = _instances.persist(
                None, step, command, now=now, keys=keys, tenant_id=new.tenant_id, new=new
            )
            return step, persisted

        async def body(tx: Tx) -> tuple[InstanceState, Persisted]:
            step, persisted, _ = await run_step(tx, compute)
            await self.write(tx, persisted, now)
            return step.state, persisted

        return await self._db.write(body)

    async def advance(
        self, key: int, command: Command, now: int
    ) -> tuple[InstanceState, Persisted]:
        async def body(tx: Tx) -> tuple[InstanceState, Persisted]:
            row = (await locked_instances(tx, [key])).get(key)
            if row is None:
                raise Rejected(f"no process instance with key {key}")
            step, persisted, _ = await run_step(tx, self.stepper(row, command, now))
            await self.write(tx, persisted, now)
            return step.state, persisted

        return await self._db.write(body)

    async def write(self, tx: Tx, persisted: Persisted, now: int) -> None:
        """Write a step, then the steps of other instances it asks for (a call activity's
        child, its caller), in the same transaction."""
        await write(tx, persisted, now, self.engines)
        for follow_up in persisted.follow_ups:
            await self._follow(tx, follow_up, now)

    async def _follow(self, tx: Tx, follow_up: FollowUp, now: int) -> None:
        if follow_up.message is not None:
            message, instance = follow_up.message, follow_up.instance
            assert instance is not None
            if isinstance(message, SignalThrown):
                await self.broadcast(tx, message, follow_up.tenant_id, now)
            else:
                await self.run_plan(tx, _messages.subscription_opened(message, instance, now), now)
            return
        if follow_up.ended_process is not None:
            assert follow_up.instance is not None
            starts = self.engines.starts
            ended = follow_up.instance, follow_up.ended_process, follow_up.tenant_id
            plan = _messages.instance_ended(*ended, starts, now)
            if plan is not None:
                await self.run_plan(tx, plan, now)
            return
        if follow_up.process_id is not None:
            found = await tx.one(
                _instances.postgres(_instances.LATEST_DEFINITION),
                (follow_up.process_id, follow_up.tenant_id),
            )
            engine = None if found is None else self.engines.get(int(found["key"]))
            failed = _instances.call_failed(follow_up, engine)
            if engine is None or failed is not None:  # the call activity's incident
                assert follow_up.parent_instance is not None
                await self._step(tx, follow_up.parent_instance, failed, now)
                return
            command = CreateInstance(
                follow_up.variables, (), follow_up.parent_instance, follow_up.parent_element
            )
            new = NewInstance(follow_up.tenant_id)

            def compute(keys: Callable[[], int]) -> tuple[Step, Persisted]:
                step = engine.apply(None, command, now=now, keys=keys)
                persisted = _instances.persist(
                    None, step, command, now=now, keys=keys, tenant_id=new.tenant_id, new=new
                )
                return step, persisted

            _, persisted, _ = await run_step(tx, compute)
            await self.write(tx, persisted, now)
            return
        target, command2 = follow_up.instance, follow_up.command
        if follow_up.child_of is not None:
            child = await tx.one(_instances.postgres(_instances.CHILD_OF), (follow_up.child_of,))
            if child is None:
                return
            target, command2 = int(child["key"]), _instances.cancel_child()
        assert target is not None
        await self._step(tx, target, command2, now)

    async def _step(self, tx: Tx, target: int, command: Command | None, now: int) -> None:
        """Another instance's step, in ``tx``."""
        assert command is not None
        row = (await locked_instances(tx, [target])).get(target)
        if row is None:
            return
        try:
            _, persisted, _ = await run_step(tx, self.stepper(row, command, now))
        except Rejected:
            return  # the other instance has moved on (e.g. its call activity was left)
        await self.write(tx, persisted, now)

    async def broadcast(self, tx: Tx, signal: SignalThrown, tenant_id: str, now: int) -> int:
        """A signal to every waiting instance and signal start event, in ``tx``; the signals
        its steps throw in turn share what this one reached (each pair once)."""
        outer = _BROADCASTS.get()
        seen = outer or _messages.Broadcasts()
        token = _BROADCASTS.set(seen)
        try:
            plan = _messages.broadcast(signal, tenant_id, self.engines.starts, seen)
            return int(await self.run_plan(tx, plan, now))
        finally:
            _BROADCASTS.reset(token)

    async def run_plan(self, tx: Tx, plan: _messages.Plan, now: int) -> Any:
        """Drive a message or signal plan (``_messages``) in ``tx``."""
        answer: Any = None
        try:
            while True:
                op = plan.send(answer)
                answer = await self._op(tx, op, now)
        except StopIteration as stop:
            return stop.value

    async def _op(self, tx: Tx, op: _messages.Op, now: int) -> Any:
        if isinstance(op, _messages.Query):
            return await tx.all(_instances.postgres(op.sql), op.args)
        if isinstance(op, _messages.Execute):
            await tx.execute(_instances.postgres(op.sql), op.args)
            return None
        if isinstance(op, _messages.NewKey):
            row = await tx.one("SELECT nextval('job_keys') AS key")
            assert row is not None
            return int(row["key"])
        if isinstance(op, _messages.Lock):
            # publications and openings of one name and correlation key, one at a time
            await tx.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s), hashtext(%s))",
                (op.name, op.correlation_key),
            )
            return None
        if isinstance(op, _messages.Advance):
            row = (await locked_instances(tx, [op.instance_key])).get(op.instance_key)
            if row is None:
                return False
            try:
                _, persisted, _ = await run_step(tx, self.stepper(row, op.command, now))
            except Rejected:
                return False
            await self.write(tx, persisted, now)
            return True
        engine = self.engines.get(op.definition_key)
        command = CreateInstance(op.variables, (op.element_id,))
        new = NewInstance(op.tenant_id)

        def compute(keys: Callable[[], int]) -> tuple[Step, Persisted]:
            step = engine.apply(None, command, now=now, keys=keys)
            persisted = _instances.persist(
                None, step, command, now=now, keys=keys, tenant_id=new.tenant_id, new=new
            )
            return step, persisted

        step, persisted, _ = await run_step(tx, compute)
        await self.write(tx, persisted, now)
        return step.state.key

    def stepper(
        self, row: Any, command: Command, now: int, before: InstanceState | None = None
    ) -> Callable[[Callable[[], int]], tuple[Step, Persisted]]:
        """How to compute ``command`` on the instance ``row`` (or on ``before``, its state
        after earlier steps of the same transaction)."""
        engine = self.engines.get(int(row["process_definition_key"]))
        text = row["engine_state"]

        def compute(keys: Callable[[], int]) -> tuple[Step, Persisted]:
            if before is None:  # read for this attempt alone: stepped in place
                state = _instance_json.loads(text)
                prior = _instances.prior(state)
                step = engine.apply(state, command, now=now, keys=keys, owned=True)
            else:  # an earlier step's state, kept should this one fail
                prior = before
                step = engine.apply(before, command, now=now, keys=keys)
            persisted = _instances.persist(
                prior, step, command, now=now, keys=keys, tenant_id=row["tenant_id"]
            )
            return step, persisted

        return compute

    async def due_timers(self, now: int, limit: int) -> tuple[list[tuple[int, int]], int | None]:
        async def body(tx: Tx) -> tuple[list[tuple[int, int]], int | None]:
            due = await tx.all(_instances.postgres(_instances.DUE_TIMERS), (now, limit))
            row = await tx.one(_instances.NEXT_TIMER)
            next_due = None if row is None or row["due"] is None else int(row["due"])
            return [(int(r["key"]), int(r["process_instance_key"])) for r in due], next_due

        return await self._db.read(body)

    async def drop_timer(self, key: int) -> None:
        async def body(tx: Tx) -> None:
            await tx.execute(_instances.postgres(_instances.DROP_TIMER), (key,))

        await self._db.write(body)

    async def definition_of(self, key: int) -> int | None:
        row = await self._db.read(
            lambda tx: tx.one(
                "SELECT process_definition_key FROM process_instances WHERE key = %s", (key,)
            )
        )
        return None if row is None else int(row["process_definition_key"])

    async def rows(
        self,
        kind: str,
        key: int | None,
        instance_key: int | None,
        restrict: Where | None = None,
    ) -> Rows:
        sql, args = _instances.select_rows(
            kind, key=key, instance_key=instance_key, restrict=restrict
        )

        async def body(tx: Tx) -> Rows:
            found = await tx.all(_instances.postgres(sql), args)
            if kind == "instance":
                return Rows(found, {int(r["key"]): r for r in found})
            keys = _instances.instance_keys(found)
            instances = await tx.all("SELECT * FROM process_instances WHERE key = ANY(%s)", (keys,))
            return Rows(found, {int(r["key"]): r for r in instances})

        return await self._db.read(body)

    async def fire_start(self, engine: Engine, due: DueStart, now: int) -> bool:
        """Claim a due timer start event (its row: a second replica's claim waits for this
        commit, then finds nothing), create its instance and write its next firing, in one
        transaction; ``False``: claimed already."""
        command = CreateInstance({}, (due.element_id,))
        new = NewInstance(due.tenant_id)

        def compute(keys: Callable[[], int]) -> tuple[Step, Persisted]:
            step = engine.apply(None, command, now=now, keys=keys)
            persisted = _instances.persist(
                None, step, command, now=now, keys=keys, tenant_id=new.tenant_id, new=new
            )
            return step, persisted

        async def body(tx: Tx) -> bool:
            sql, args = due.claim()
            claimed = await tx.one(_instances.postgres(sql + " RETURNING due"), args)
            if claimed is None:
                return False
            following = due.following()
            if following is not None:
                await tx.execute(_instances.postgres(following[0]), following[1])
            _, persisted, _ = await run_step(tx, compute)
            await self.write(tx, persisted, now)
            return True

        return await self._db.write(body)
