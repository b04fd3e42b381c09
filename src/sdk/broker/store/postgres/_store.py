"""The job table and its rules in PostgreSQL, for brokers that share one database.

The same backend protocol as the SQLite store (``store.Backend``), the same job rules
(``store/_rules.py``) and searches (``store/_search.py``); what differs is what replicas need:

- activation locks its candidates ``FOR UPDATE SKIP LOCKED``, so two brokers never hand out
  one job twice, and commands lock their job's row, so no update is lost;
- keys come from a sequence; event ids from an identity column, appended at the end of each
  transaction in commit order (``_tx.Database._commit``), so a reader following the log
  never skips one;
- every commit announces itself (``NOTIFY``): job types that became activatable, and that the
  log grew, so other replicas wake their long polls and event streams (``_follow.py``).

Natively asynchronous: each operation is one transaction on a pooled connection
(``_tx.py``), so one broker runs many at once. Opening the store checks (or migrates) the
schema over one short synchronous connection, once, before the broker serves.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import psycopg
from psycopg.rows import DictRow

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
from ..._problems import JobInWrongState, JobNotFound
from ..._redact import redact
from ...engine import (
    Command,
    CreateInstance,
    Engine,
    InstanceState,
    Rejected,
    SignalThrown,
    UpdateJobRetries,
)
from .. import _instances, _messages, _scheduling, _search
from .._backend import Activation, Failure, JobOutcome
from .._deployments import (
    DeploymentRecord,
    NewVersionStatements,
    ProcessDefinitionRecord,
    ResourceToDeploy,
)
from .._idempotency import body_hash
from .._instances import Engines, NewInstance, Persisted, Rows
from .._keyed import KeyedLimit
from .._messages import Publication
from .._notifier import Notifier
from .._prefilter import Where
from .._rules import ENDED, activated_job, check_update, job_view, later
from .._search import STATE_COUNTS, Dialect
from .._start_timers import DueStart
from . import _deployments, _idempotency, _limits
from ._follow import follow
from ._instances import PostgresInstances, locked_instances, run_step
from ._reports import LOCKED_JOBS, ReportQueue, apply_reports, slot_freed
from ._schema import ensure_schema
from ._tx import CONNECT_TIMEOUT_S, Database, Tx

SQL = Dialect("%s", arrays=True)
PICK = (
    "SELECT key, state AS was, worker AS had, available_at AS due FROM jobs WHERE {where}"
    f" AND available_at <= %s ORDER BY {_scheduling.ORDER} LIMIT %s FOR UPDATE SKIP LOCKED"
)
"""The jobs an activation takes (``{where}``: ``SQL.candidates``; then the time and the limit),
read in ``jobs_ready``'s order."""


class PostgresStore:
    """The job store on the database at ``url`` (``postgresql://user:password@host/db``),
    with up to ``pool_size`` transactions at once; ``on_change`` is called after each commit
    that appended events, and when another replica's did."""

    shared = True
    wakes_before_commit = False

    def __init__(self, url: str, *, pool_size: int, on_change: Callable[[], None]) -> None:
        self.url = url
        self.path = redact(url)
        self.origin = uuid.uuid4().hex[:12]
        """Tells this broker's own notifications from other replicas'."""
        self._on_change = on_change
        self._db = Database(url, pool_size=pool_size, origin=self.origin, on_commit=on_change)
        self.instances = PostgresInstances(self._db)
        self._reports = ReportQueue(self._db, self.instances)
        self._slot_limited = self._open_schema()

    def _open_schema(self) -> set[str]:
        """Create or migrate the schema (a newer one is refused); the slot-limited types."""
        try:
            with psycopg.connect(
                self.url,
                autocommit=True,
                connect_timeout=CONNECT_TIMEOUT_S,
                application_name="sdk-broker",
            ) as conn:
                ensure_schema(conn, self.path)
                rows = conn.execute(
                    b"SELECT type FROM job_type_limits"
                    b" WHERE max_active IS NOT NULL OR max_active_per_key IS NOT NULL"
                ).fetchall()
        except psycopg.OperationalError as exc:
            raise self._db.unavailable(exc) from None
        return {str(row[0]) for row in rows}

    async def aclose(self) -> None:
        await self._db.aclose()

    async def follow(self, notifier: Notifier) -> None:
        await follow(self.url, self.origin, notifier, self._on_change)

    def slot_limited_types(self) -> set[str]:
        return set(self._slot_limited)

    # -- writes ------------------------------------------------------------------------------

    async def create(self, specs: Sequence[JobSpec], now: int) -> list[JobKey]:
        return await self._db.write(lambda tx: self._insert(tx, specs, now))

    async def create_once(
        self,
        body: JobCreationRequest,
        now: int,
        *,
        scope: str,
        key: str,
        retention_ms: int,
    ) -> tuple[list[JobKey], bool]:
        async def run(tx: Tx) -> tuple[list[JobKey], bool]:
            return await _idempotency.create_once(
                tx,
                scope=scope,
                key=key,
                digest=body_hash(body),
                now=now,
                retention_ms=retention_ms,
                create=lambda: self._insert(tx, body.jobs, now),
            )

        return await self._db.write(run)

    async def _insert(self, tx: Tx, specs: Sequence[JobSpec], now: int) -> list[JobKey]:
        numbered = await tx.all(
            "SELECT nextval('job_keys') AS key FROM generate_series(1, %s)", (len(specs),)
        )
        keys = sorted(int(r["key"]) for r in numbered)
        await tx.execute(
            "INSERT INTO jobs (key, type, state, retries, available_at, variables,"
            " custom_headers, tenant_id, process_definition_id, element_id,"
            " created_at, updated_at, run_at, priority)"
            " SELECT k, t, 'ACTIVATABLE', r, a, v, h, tn, p, e, %s, %s, ra, pr FROM unnest("
            "%s::bigint[], %s::text[], %s::int[], %s::text[], %s::text[], %s::text[],"
            " %s::text[], %s::text[], %s::bigint[], %s::bigint[], %s::int[])"
            " AS s(k, t, r, v, h, tn, p, e, a, ra, pr)",
            (
                now,
                now,
                keys,
                [s.type for s in specs],
                [s.retries for s in specs],
                [json.dumps(s.variables) for s in specs],
                [json.dumps(s.custom_headers) for s in specs],
                [s.tenant_id for s in specs],
                [s.process_definition_id for s in specs],
                [s.element_id for s in specs],
                [_scheduling.available_at(s, now) for s in specs],
                [_scheduling.run_at_ms(s) for s in specs],
                [s.priority for s in specs],
            ),
        )
        for key, spec in zip(keys, specs, strict=True):
            tx.event(key, spec.type, now, "CREATED", retries=spec.retries)
            tx.woken.add(spec.type)
        return [JobKey(str(k)) for k in keys]

    async def activate(self, query: Activation, now: int) -> tuple[list[ActivatedJob], int | None]:
        """Hand out up to ``max_jobs`` jobs; also return when the next one becomes available.

        Rows another replica is activating (or changing) right now are skipped, not waited for.
        """
        return await self._db.write(lambda tx: self._activate(tx, query, now))

    async def _activate(
        self, tx: Tx, query: Activation, now: int
    ) -> tuple[list[ActivatedJob], int | None]:
        where, args = SQL.candidates(query)
        deadline = later(now, query.timeout_ms)
        allowed, bucket = await _limits.allowance(tx, query.job_type, query.max_jobs, now)
        if allowed.jobs == 0:
            return [], allowed.retry_at
        if allowed.keyed is None:
            rows = await tx.all(
                f"WITH picked AS ({PICK.format(where=where)})"
                " UPDATE jobs SET state = 'ACTIVATED', worker = %s, deadline = %s,"
                " available_at = %s, lease = jobs.lease + 1, leased = %s, updated_at = %s"
                " FROM picked WHERE jobs.key = picked.key"
                " RETURNING jobs.*, picked.was, picked.had, picked.due",
                (
                    *args,
                    now,
                    allowed.jobs,
                    query.worker,
                    deadline,
                    deadline,
                    int(query.with_lease),
                    now,
                ),
            )
        else:
            rows = await self._activate_keyed(tx, query, now, allowed.keyed, allowed.jobs)
        if not rows:
            # The same filter, so a poll only wakes for a job it could take; only later
            # jobs: one due now was skipped because another transaction holds it (another
            # replica's activation taking it, say), and looking again at once would spin.
            found = await tx.one(
                f"SELECT MIN(available_at) AS next_at FROM jobs WHERE {where}"
                " AND available_at > %s",
                (*args, now),
            )
            next_at = None if found is None else found["next_at"]
            return [], None if next_at is None else int(next_at)
        rows.sort(key=lambda r: (-r["priority"], r["due"], r["key"]))
        if bucket is not None:
            await _limits.consume(tx, query.job_type, bucket, len(rows), now)
        jobs: list[ActivatedJob] = []
        for row in rows:
            if row["was"] == "ACTIVATED":
                tx.event(row["key"], row["type"], now, "TIMED_OUT", worker=row["had"])
            tx.event(row["key"], row["type"], now, "ACTIVATED", worker=query.worker)
            jobs.append(activated_job(row, query, deadline, int(row["lease"])))
        return jobs, None

    async def _activate_keyed(
        self, tx: Tx, query: Activation, now: int, keyed: KeyedLimit, wanted: int
    ) -> list[DictRow]:
        """``_activate``'s rows under a keyed limit (``_keyed``): the jobs are chosen by
        their keys first, then taken as usual, each noting the key it counts under."""
        where, args = SQL.candidates(query)
        select = (
            f"SELECT key, variables, custom_headers FROM jobs WHERE {where}"
            f" AND available_at <= {now:d} ORDER BY {_scheduling.ORDER} LIMIT %s OFFSET %s"
        )
        keys, limit_keys = await _limits.keyed_picks(
            tx, query.job_type, keyed, wanted, select, args, now
        )
        if not keys:
            return []
        deadline = later(now, query.timeout_ms)
        return await tx.all(
            "WITH picked AS (SELECT key, state AS was, worker AS had, available_at AS due"
            f" FROM jobs WHERE key = ANY(%s) AND {where} AND available_at <= %s"
            " FOR UPDATE SKIP LOCKED),"
            " keyed AS (SELECT * FROM unnest(%s::bigint[], %s::text[]) AS k(key, limit_key))"
            " UPDATE jobs SET state = 'ACTIVATED', worker = %s, deadline = %s,"
            " available_at = %s, lease = jobs.lease + 1, leased = %s, updated_at = %s,"
            " limit_key = keyed.limit_key"
            " FROM picked JOIN keyed ON keyed.key = picked.key WHERE jobs.key = picked.key"
            " RETURNING jobs.*, picked.was, picked.had, picked.due",
            (
                keys,
                *args,
                now,
                keys,
                limit_keys,
                query.worker,
                deadline,
                deadline,
                int(query.with_lease),
                now,
            ),
        )

    async def write_group(self, reports: Sequence[JobOutcome], now: int) -> list[tuple[bool, Any]]:
        """Apply a batch of outcomes in one transaction (``_reports.py``)."""
        items = [(r, now) for r in reports]
        return await self._db.write(lambda tx: apply_reports(tx, items, self.instances))

    async def complete(
        self, key: int, variables: dict[str, Any] | None, lease: str | None, now: int
    ) -> str:
        return await self._one_report(JobOutcome(key, lease, variables), now)

    async def fail(self, key: int, failure: Failure, lease: str | None, now: int) -> str:
        """Fail an activated job; return its type (its polls wake when it is retried)."""
        return await self._one_report(JobOutcome(key, lease, failure.variables, failure), now)

    async def throw_error(
        self,
        key: int,
        code: str,
        message: str | None,
        variables: dict[str, Any] | None,
        lease: str | None,
        now: int,
    ) -> str:
        report = JobOutcome(key, lease, variables, error_code=code, message=message)
        return await self._one_report(report, now)

    async def _one_report(self, report: JobOutcome, now: int) -> str:
        ok, outcome = await self._reports.submit(report, now)
        if not ok:
            raise outcome
        return str(outcome)

    async def update(
        self,
        key: int,
        retries: int | None,
        timeout_ms: int | None,
        now: int,
        lease: str | None = None,
    ) -> str:
        """Change retries and/or the lease; return the job's type (to wake pollers)."""

        async def run(tx: Tx) -> str:
            row = await _locked(tx, key)
            check_update(row, key, timeout_ms, lease, now)
            instance = row["process_instance_key"]
            if retries is not None:
                state = row["state"]
                available_at = row["available_at"]
                if state == "INCIDENT" and retries > 0 and instance is None:
                    state, available_at = "ACTIVATABLE", now  # the incident is resolved
                await tx.execute(
                    "UPDATE jobs SET retries = %s, state = %s, available_at = %s,"
                    " updated_at = %s WHERE key = %s",
                    (retries, state, available_at, now, key),
                )
                tx.event(key, row["type"], now, "RETRIES_UPDATED", retries=retries)
                if instance is not None:  # its incident, if any, is resolved on its own
                    await self._advance_locked(
                        tx, int(instance), UpdateJobRetries(key, retries), now
                    )
            if timeout_ms is not None:
                until = later(now, timeout_ms)
                await tx.execute(
                    "UPDATE jobs SET deadline = %s, available_at = %s, updated_at = %s"
                    " WHERE key = %s",
                    (until, until, now, key),
                )
                tx.event(key, row["type"], now, "TIMEOUT_UPDATED", worker=row["worker"])
            tx.woken.add(str(row["type"]))
            return str(row["type"])

        return await self._db.write(run)

    async def cancel(self, key: int, now: int) -> str:
        async def run(tx: Tx) -> str:
            row = await _locked(tx, key)
            if row["state"] in ENDED:
                raise JobInWrongState(
                    f"cannot cancel job {key}: it has already ended ({row['state']})"
                )
            await tx.execute(
                "UPDATE jobs SET state = 'CANCELED', deadline = NULL, updated_at = %s"
                " WHERE key = %s",
                (now, key),
            )
            tx.event(key, row["type"], now, "CANCELED")
            return slot_freed(tx, row)

        return await self._db.write(run)

    async def _advance_locked(self, tx: Tx, key: int, command: Command, now: int) -> None:
        """Apply ``command`` to the instance ``key`` inside ``tx`` (its row locked)."""
        row = (await locked_instances(tx, [key])).get(key)
        try:
            if row is None:
                raise Rejected(f"no process instance with key {key}")
            _, persisted, _ = await run_step(tx, self.instances.stepper(row, command, now))
        except Rejected as exc:
            raise JobInWrongState(f"cannot update the job: {exc}") from None
        await self.instances.write(tx, persisted, now)

    # -- process instances (``_instances.py``) ------------------------------------------------

    @property
    def engines(self) -> Engines:
        return self.instances.engines

    async def publish_message(
        self, message: Publication, now: int, *, buffer: bool
    ) -> tuple[int, list[int]]:
        instances = self.instances

        async def body(tx: Tx) -> tuple[int, list[int]]:
            plan = _messages.publish(message, instances.engines.starts, now, buffer=buffer)
            return await instances.run_plan(tx, plan, now)  # type: ignore[no-any-return]

        return await self._db.write(body)

    async def broadcast_signal(self, signal: SignalThrown, tenant_id: str, now: int) -> int:
        return await self._db.write(lambda tx: self.instances.broadcast(tx, signal, tenant_id, now))

    async def create_instance(
        self, engine: Engine, command: CreateInstance, new: NewInstance, now: int
    ) -> tuple[InstanceState, Persisted]:
        return await self.instances.create(engine, command, new, now)

    async def advance_instance(
        self, key: int, command: Command, now: int
    ) -> tuple[InstanceState, Persisted]:
        return await self.instances.advance(key, command, now)

    async def instance_definition(self, key: int) -> int | None:
        return await self.instances.definition_of(key)

    async def due_timers(self, now: int, limit: int) -> tuple[list[tuple[int, int]], int | None]:
        return await self.instances.due_timers(now, limit)

    async def drop_timer(self, key: int) -> None:
        await self.instances.drop_timer(key)

    # -- plain statements of the clock and user tasks (``_clock.py``, ``_user_tasks.py``) -----

    async def query(self, sql: str, args: Sequence[Any] = ()) -> list[dict[str, Any]]:
        rows = await self._db.read(lambda tx: tx.all(_instances.postgres(sql), args))
        return [dict(r) for r in rows]

    async def execute(self, statements: Sequence[tuple[str, tuple[Any, ...]]]) -> None:
        async def body(tx: Tx) -> None:
            for sql, args in statements:
                await tx.execute(_instances.postgres(sql), args)

        await self._db.write(body)

    async def fire_start(self, engine: Engine, due: DueStart, now: int) -> bool:
        return await self.instances.fire_start(engine, due, now)

    async def instance_rows(
        self,
        kind: str,
        key: int | None,
        instance_key: int | None,
        restrict: Where | None = None,
    ) -> Rows:
        return await self.instances.rows(kind, key, instance_key, restrict)

    # -- job-type limits (``_limits.py``) ----------------------------------------------------

    async def set_limits(
        self,
        job_type: str,
        max_active: int | None,
        rate: float | None,
        now: int,
        keyed: KeyedLimit | None = None,
    ) -> JobTypeLimits:
        async def run(tx: Tx) -> JobTypeLimits:
            tx.woken.add(job_type)  # other replicas' polls look again
            return await _limits.set_limits(tx, job_type, max_active, rate, now, keyed)

        return await self._db.write(run)

    async def clear_limits(self, job_type: str, now: int) -> bool:
        async def run(tx: Tx) -> bool:
            tx.woken.add(job_type)
            return await _limits.clear_limits(tx, job_type)

        return await self._db.write(run)

    async def get_limits(self, job_type: str) -> JobTypeLimits | None:
        return await self._db.read(lambda tx: _limits.get_limits(tx, job_type))

    async def all_limits(self) -> list[JobTypeLimits]:
        return await self._db.read(_limits.all_limits)

    # -- deployments (``_deployments.py``) ---------------------------------------------------

    async def deploy(
        self,
        tenant_id: str,
        resources: Sequence[ResourceToDeploy],
        now: int,
        new_version: NewVersionStatements | None = None,
    ) -> DeploymentRecord:
        return await self._db.write(
            lambda tx: _deployments.deploy(tx, tenant_id, resources, now, new_version)
        )

    async def delete_process_definition(self, key: int, now: int) -> ProcessDefinitionRecord | None:
        return await self._db.write(lambda tx: _deployments.delete_process_definition(tx, key, now))

    async def process_definitions(self) -> list[ProcessDefinitionRecord]:
        return await self._db.read(_deployments.process_definitions)

    async def process_definition(self, key: int) -> ProcessDefinitionRecord | None:
        return await self._db.read(lambda tx: _deployments.process_definition(tx, key))

    async def resource_content(self, key: int) -> bytes | None:
        return await self._db.read(lambda tx: _deployments.resource_content(tx, key))

    # -- reads -------------------------------------------------------------------------------

    async def get(self, key: int, now: int) -> Job:
        async def run(tx: Tx) -> Job:
            job = await tx.execute(SQL.job, (key,))
            events = await tx.execute(SQL.history, (key,))  # sent with the first: one round trip
            row = await job.fetchone()
            if row is None:
                raise JobNotFound(f"job {key} does not exist")
            return job_view(row, now, _search.history(await events.fetchall()))

        return await self._db.read(run)

    async def events_after(self, after_id: int, limit: int) -> list[JobEventRecord]:
        """History rows of every job in order, after event id ``after_id`` (for streaming)."""
        rows = await self._db.read(lambda tx: tx.all(SQL.events_after, (after_id, limit)))
        return [_search.event_record(r) for r in rows]

    async def last_event_id(self) -> int:
        return await self._db.read(_last_event_id)

    async def search(
        self, job_type: str | None, state: JobState | None, limit: int, after: int | None, now: int
    ) -> tuple[list[Job], int | None]:
        """Newest first, ``limit`` per page; also return the cursor of the next page."""
        statement, args = SQL.search(job_type, state, limit, after, now)
        rows = await self._db.read(lambda tx: tx.all(statement, args))
        return _search.search_page(rows, limit, now)

    # -- statistics --------------------------------------------------------------------------

    async def stats_baseline(self) -> tuple[int, list[tuple[str, str, int]]]:
        async def run(tx: Tx) -> tuple[int, list[DictRow]]:
            return await _last_event_id(tx), await tx.all(STATE_COUNTS)

        last, rows = await self._db.read(run)
        return last, _search.state_counts(rows)

    async def live_counts(
        self, job_types: Sequence[str], now: int
    ) -> tuple[int, list[tuple[str, str, int]]]:
        """As ``SqliteJobs.live_counts``: per type, the jobs that have not ended, by category."""

        async def run(tx: Tx) -> tuple[int, list[DictRow]]:
            return await _last_event_id(tx), await tx.all(*SQL.live_counts(job_types, now))

        last, rows = await self._db.read(run)
        return last, _search.live_categories(rows)

    async def jobs_in_flight(self, job_types: Sequence[str], now: int) -> dict[str, int]:
        rows = await self._db.read(lambda tx: tx.all(*SQL.in_flight(job_types, now)))
        in_flight: dict[str, int] = {}
        _search.add_in_flight(in_flight, rows)
        return in_flight

    async def first_event_id_at_or_after(self, at: int) -> int:
        """The id of the first event at or after ``at`` (one past the last when there is none).

        Ids are appended in commit order; times almost so (replicas' clocks differ slightly).
        """
        row = await self._db.read(
            lambda tx: tx.one(
                "SELECT COALESCE((SELECT id FROM job_events WHERE at >= %s ORDER BY id LIMIT 1),"
                " (SELECT COALESCE(MAX(id), 0) + 1 FROM job_events)) AS id",
                (at,),
            )
        )
        assert row is not None
        return int(row["id"])

    async def event_aggregates(
        self, after_id: int, until_id: int
    ) -> tuple[list[tuple[int, str, str, int]], list[tuple[str, int]]]:
        async def run(tx: Tx) -> tuple[list[DictRow], list[DictRow]]:
            minutes = await tx.execute(SQL.event_minutes, (after_id, until_id))
            workers = await tx.execute(SQL.event_workers, (after_id, until_id))
            return await minutes.fetchall(), await workers.fetchall()

        return _search.event_aggregates(*await self._db.read(run))

    async def retry_at(self, key: int, now: int) -> int | None:
        row = await self._db.read(lambda tx: tx.one(SQL.retry_at, (key, now)))
        return None if row is None else int(row["available_at"])


# -- helpers ---------------------------------------------------------------------------------


async def _locked(tx: Tx, key: int) -> DictRow:
    """The job's row, locked until the commit: replicas change one job one at a time."""
    row = await tx.one(f"{LOCKED_JOBS} WHERE key = %s FOR UPDATE OF jobs", (key,))
    if row is None:
        raise JobNotFound(f"job {key} does not exist")
    return row


async def _last_event_id(tx: Tx) -> int:
    row = await tx.one("SELECT COALESCE(MAX(id), 0) AS last FROM job_events")
    assert row is not None
    return int(row["last"])
