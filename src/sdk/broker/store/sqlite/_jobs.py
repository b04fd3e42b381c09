"""The job table in SQLite (its rules: ``store/_rules.py``).

Synchronous on purpose: one connection, used by one thread at a time (see ``_threaded.py``), so
every method runs inside one short transaction that is committed before it returns.

A job's ``available_at`` is the moment it may next be handed out: after its back-off while
``ACTIVATABLE``, at its deadline while ``ACTIVATED``. An activation therefore finds both new
jobs and expired activations with one indexed range scan, and no timer has to run.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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
from ...engine import Command, Rejected, UpdateJobRetries
from .. import (
    _clock,
    _instances,
    _messages,
    _progress,
    _results,
    _scheduling,
    _search,
    _start_timers,
    _user_tasks,
)
from .._backend import Activation, Failure
from .._deployments import (
    DeploymentRecord,
    NewVersionStatements,
    ProcessDefinitionRecord,
    ResourceToDeploy,
)
from .._idempotency import body_hash
from .._keyed import JOB_COLUMN, KeyedLimit
from .._rules import (
    ENDED,
    FIRST_KEY,
    HistoryRow,
    StoreVersionError,
    activated_job,
    check_activated,
    check_update,
    history_row,
    job_view,
    later,
    merged,
)
from .._search import STATE_COUNTS, Dialect
from . import _deployments, _idempotency, _limits, _schedules
from ._instances import SqliteInstances

SCHEMA_VERSION = 8
TABLES_OF_2 = _idempotency.SCHEMA + _limits.SCHEMA
TABLES_OF_3 = _deployments.SCHEMA
TABLES_OF_4 = _instances.sqlite_tables()
TABLES_OF_5 = _messages.sqlite_tables()
TABLES_OF_7 = _schedules.SCHEMA
TABLES_OF_8 = _results.sqlite_tables() + _progress.sqlite_tables()
JOB_COLUMNS_OF_4 = "{job_columns}"
"""Replaced by the ``ALTER TABLE`` of each process column the file's jobs lack."""
JOB_COLUMNS_OF_6 = "{scheduling_columns}"
"""Replaced by the ``ALTER TABLE`` of each scheduling column (``_scheduling``) they lack."""
MIGRATIONS = {
    1: f"BEGIN IMMEDIATE; {TABLES_OF_2} PRAGMA user_version = 2; COMMIT;",
    2: f"BEGIN IMMEDIATE; {TABLES_OF_3} PRAGMA user_version = 3; COMMIT;",
    3: f"BEGIN IMMEDIATE; {JOB_COLUMNS_OF_4} {TABLES_OF_4} PRAGMA user_version = 4; COMMIT;",
    4: f"BEGIN IMMEDIATE; {TABLES_OF_5} PRAGMA user_version = 5; COMMIT;",
    5: f"BEGIN IMMEDIATE; {JOB_COLUMNS_OF_6} PRAGMA user_version = 6; COMMIT;",
    6: f"BEGIN IMMEDIATE; {TABLES_OF_7} PRAGMA user_version = 7; COMMIT;",
    7: f"BEGIN IMMEDIATE; {TABLES_OF_8} PRAGMA user_version = 8; COMMIT;",
}
"""Version → the script that takes a file of that version to the next, in place, atomically."""
SQL = Dialect("?", arrays=False)
_INSERT_EVENT = (
    "INSERT INTO job_events (job_key, job_type, at, event, worker, retries, message)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_HELD = "state = 'ACTIVATED' AND available_at > ? AND (leased = 0 OR ? = key || '.' || lease)"
"""``check_activated`` as a WHERE clause (now, lease token): the caller's activation holds
the job. Keep the two equal (``lease_token`` spells the token)."""
_SETTLED = (
    " variables = coalesce(?, variables), deadline = NULL, updated_at = ?"
    f" WHERE key = ? AND {_HELD} RETURNING type, worker"
)
"""The end of the UPDATE that ends an activation: merged variables (NULL: unchanged), now,
key, then ``_HELD``'s values."""
# The UPDATEs of ``_settle``:
_COMPLETE = f"UPDATE jobs SET state = 'COMPLETED',{_SETTLED}"
_FAIL = f"UPDATE jobs SET state = ?, retries = ?, error_message = ?, available_at = ?,{_SETTLED}"
_THROW = f"UPDATE jobs SET state = 'ERROR_THROWN', error_code = ?, error_message = ?,{_SETTLED}"
READY = (
    "SELECT * FROM jobs INDEXED BY jobs_ready WHERE {where} AND available_at <= ?"
    f" ORDER BY {_scheduling.ORDER}"
)
"""The jobs an activation may take, in order (``{where}``: ``SQL.candidates``; then the time).
Named index: the planner would otherwise pick ``jobs_live`` for the time bound and sort
every due job of the type to take the first few."""
_TYPES_PER_QUERY = 500
"""Bound on the ``?`` parameters of one statement (SQLite's limit is at least 999)."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    key INTEGER PRIMARY KEY,
    type TEXT NOT NULL,
    state TEXT NOT NULL,
    retries INTEGER NOT NULL,
    available_at INTEGER NOT NULL,
    deadline INTEGER,
    worker TEXT,
    lease INTEGER NOT NULL DEFAULT 0,
    leased INTEGER NOT NULL DEFAULT 0,
    variables TEXT NOT NULL,
    custom_headers TEXT NOT NULL,
    error_code TEXT,
    error_message TEXT,
    tenant_id TEXT NOT NULL,
    process_definition_id TEXT NOT NULL,
    element_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    process_instance_key INTEGER,
    process_definition_key INTEGER,
    process_definition_version INTEGER,
    element_instance_key INTEGER,
    run_at INTEGER,
    priority INTEGER NOT NULL DEFAULT 0,
    limit_key TEXT
);
CREATE INDEX IF NOT EXISTS jobs_live ON jobs (type, available_at)
    WHERE state IN ('ACTIVATABLE', 'ACTIVATED');
CREATE INDEX IF NOT EXISTS jobs_type_state ON jobs (type, state);
CREATE TABLE IF NOT EXISTS job_events (
    id INTEGER PRIMARY KEY,
    job_key INTEGER NOT NULL,
    job_type TEXT NOT NULL,
    at INTEGER NOT NULL,
    event TEXT NOT NULL,
    worker TEXT,
    retries INTEGER,
    message TEXT
);
CREATE INDEX IF NOT EXISTS job_events_key ON job_events (job_key);
"""
_SCHEMA += TABLES_OF_2 + TABLES_OF_3 + TABLES_OF_4
_SCHEMA += TABLES_OF_5
_SCHEMA += _clock.sqlite_tables()  # added to older files in place (IF NOT EXISTS)
_SCHEMA += _user_tasks.sqlite_tables()
_SCHEMA += _start_timers.sqlite_tables()
_SCHEMA += _scheduling.INDEX
_SCHEMA += TABLES_OF_7
_SCHEMA += TABLES_OF_8


_MAX_KEYS = (
    "SELECT MAX(key) FROM jobs",
    "SELECT MAX(key) FROM process_instances",
    "SELECT MAX(key) FROM element_instances",
    "SELECT MAX(key) FROM variables",
    "SELECT MAX(key) FROM incidents",
)
"""Every table whose rows take keys from the one counter (as Zeebe has one key space)."""


class SqliteJobs:
    """The job store proper. ``path`` ``":memory:"`` gives a throwaway store for tests."""

    shared = False

    def __init__(self, path: str | Path, *, synchronous: str = "FULL") -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        if self.path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={_checked_sync(synchronous)}")
        self._migrate()
        self._db.executescript(_SCHEMA)
        self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        max_key = max(self._db.execute(query).fetchone()[0] or 0 for query in _MAX_KEYS)
        others = _deployments.max_key(self._db)  # one key space, as Zeebe's
        if others is not None and others > max_key:
            max_key = others
        self._next_key = FIRST_KEY if not max_key else max_key + 1
        self.instances = SqliteInstances(self._db, self._new_key, self._tx, self._event)
        self.engines = self.instances.engines
        self._history: list[HistoryRow] = []
        """History rows of the open transaction, in order: one ``executemany`` at commit."""

    def close(self) -> None:
        self._db.close()

    def _migrate(self) -> None:
        """Bring a file of an older schema version up to date in place, or refuse a newer one."""
        (version,) = self._db.execute("PRAGMA user_version").fetchone()
        (tables,) = self._db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        if not tables:
            return
        while version in MIGRATIONS:
            try:
                self._db.executescript(self._migration(version))
            except sqlite3.Error:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")  # the file stays as it was
                self._db.close()
                raise
            (version,) = self._db.execute("PRAGMA user_version").fetchone()
        if version != SCHEMA_VERSION:
            self._db.close()
            raise StoreVersionError(
                f"{self.path} holds store schema version {version}, this broker needs"
                f" {SCHEMA_VERSION}; move the file aside (or point --db elsewhere) to start afresh"
            )

    def _migration(self, version: int) -> str:
        script = MIGRATIONS[version]
        if JOB_COLUMNS_OF_4 in script:
            have = {row[1] for row in self._db.execute("PRAGMA table_info(jobs)")}
            adds = "".join(
                f"ALTER TABLE jobs ADD COLUMN {name} INTEGER;"
                for name in _instances.JOB_COLUMNS
                if name not in have
            )
            script = script.replace(JOB_COLUMNS_OF_4, adds)
        if JOB_COLUMNS_OF_6 in script:
            have = {row[1] for row in self._db.execute("PRAGMA table_info(jobs)")}
            limits = {row[1] for row in self._db.execute("PRAGMA table_info(job_type_limits)")}
            script = script.replace(
                JOB_COLUMNS_OF_6,
                _scheduling.sqlite_columns(have)
                + _keyed_columns(have)
                + _limits.keyed_columns(limits),
            )
        return script

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One operation's transaction; inside ``run_group`` a savepoint isolates it instead."""
        if self._db.in_transaction:
            mark = len(self._history)
            self._db.execute("SAVEPOINT op")
            try:
                yield self._db
            except BaseException:
                del self._history[mark:]
                self.instances.forget()
                self._db.execute("ROLLBACK TO op")
                self._db.execute("RELEASE op")
                raise
            self._db.execute("RELEASE op")
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
            self._commit()
        except BaseException:
            self._rollback()
            raise

    def run_group(self, ops: Sequence[Callable[[], Any]]) -> list[tuple[bool, Any]]:
        """Run writes in one transaction: one commit, so one fsync, for all of them.

        Each op is isolated by a savepoint, so one op's error (e.g. a 409) undoes only that
        op. Returns ``(True, result)`` or ``(False, exception)`` per op, in order; if the
        commit itself fails, every op gets that error.
        """
        results: list[tuple[bool, Any]] = []
        self._db.execute("BEGIN IMMEDIATE")
        try:
            for op in ops:
                try:
                    results.append((True, op()))
                except Exception as exc:
                    results.append((False, exc))
            self._commit()
        except BaseException as exc:
            self._rollback()
            if not isinstance(exc, Exception):
                raise
            return [(False, exc)] * len(ops)
        return results

    def _commit(self) -> None:
        """Write the transaction's history in one statement, then commit."""
        if self._history:
            self._db.executemany(_INSERT_EVENT, self._history)
            self._history.clear()
        self._db.execute("COMMIT")

    def _rollback(self) -> None:
        self._history.clear()
        self.instances.forget()
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")

    def _event(self, key: int, job_type: str, at: int, event: str, **fields: Any) -> None:
        """Add to the job's history, written at commit (the row id doubles as the event
        stream's event id, so ids keep the order of the changes)."""
        self._history.append(history_row(key, job_type, at, event, fields))

    # -- writes ------------------------------------------------------------------------------

    def create(self, specs: Sequence[JobSpec], now: int) -> list[JobKey]:
        first = self._next_key
        rows = [
            (
                first + i,
                spec.type,
                spec.retries,
                _scheduling.available_at(spec, now),
                json.dumps(spec.variables),
                json.dumps(spec.custom_headers),
                spec.tenant_id,
                spec.process_definition_id,
                spec.element_id,
                now,
                now,
                _scheduling.run_at_ms(spec),
                spec.priority,
            )
            for i, spec in enumerate(specs)
        ]
        with self._tx() as db:
            db.executemany(
                "INSERT INTO jobs (key, type, state, retries, available_at, variables,"
                " custom_headers, tenant_id, process_definition_id, element_id,"
                " created_at, updated_at, run_at, priority)"
                " VALUES (?, ?, 'ACTIVATABLE', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            for key, job_type, retries, *_ in rows:
                self._event(key, job_type, now, "CREATED", retries=retries)
            self._next_key += len(rows)
        return [JobKey(str(row[0])) for row in rows]

    def create_once(
        self,
        body: JobCreationRequest,
        now: int,
        *,
        scope: str,
        key: str,
        retention_ms: int,
    ) -> tuple[list[JobKey], bool]:
        """``create`` guarded by an idempotency key: ``(job keys, whether they were replayed)``."""
        digest = body_hash(body)
        with self._tx() as db:
            return _idempotency.create_once(
                db,
                scope=scope,
                key=key,
                digest=digest,
                now=now,
                retention_ms=retention_ms,
                create=lambda: self.create(body.jobs, now),
            )

    def activate(self, query: Activation, now: int) -> tuple[list[ActivatedJob], int | None]:
        """Hand out up to ``max_jobs`` jobs; also return when the next one becomes available.

        The type's limits (``_limits``) may allow fewer, or none: then the time returned is
        when the limit may next allow one (a token, or an activation's deadline).
        """
        where, args = SQL.candidates(query)
        deadline = later(now, query.timeout_ms)
        leased = int(query.with_lease)
        jobs: list[ActivatedJob] = []
        with self._tx() as db:
            allowed = _limits.allowance(db, query.job_type, query.max_jobs, now)
            if allowed.jobs == 0:
                return jobs, allowed.retry_at
            select = READY.format(where=where)
            if allowed.keyed is None:
                rows = db.execute(f"{select} LIMIT ?", (*args, now, allowed.jobs)).fetchall()
                keys: list[str | None] = [None] * len(rows)
            else:
                picked = _limits.keyed_rows(
                    db, query.job_type, allowed.keyed, allowed.jobs, select, (*args, now), now
                )
                rows, keys = [row for row, _ in picked], [key for _, key in picked]
            if rows:
                _limits.consume(db, query.job_type, len(rows), now)
                db.executemany(
                    "UPDATE jobs SET state = 'ACTIVATED', worker = ?, deadline = ?,"
                    " available_at = ?, lease = lease + 1, leased = ?, updated_at = ?,"
                    " limit_key = ? WHERE key = ?",
                    [
                        (query.worker, deadline, deadline, leased, now, limit_key, row["key"])
                        for row, limit_key in zip(rows, keys, strict=True)
                    ],
                )
            for row in rows:
                if row["state"] == "ACTIVATED":
                    self._event(row["key"], row["type"], now, "TIMED_OUT", worker=row["worker"])
                self._event(row["key"], row["type"], now, "ACTIVATED", worker=query.worker)
                jobs.append(activated_job(row, query, deadline, row["lease"] + 1))
            next_at = None
            if not rows:  # the same filter, so a poll only wakes for a job it could take
                # (with a keyed limit, due jobs may wait for their key: a deadline frees it)
                clause, after = (
                    ("", ()) if allowed.keyed is None else (" AND available_at > ?", (now,))
                )
                (next_at,) = db.execute(
                    f"SELECT MIN(available_at) FROM jobs WHERE {where}{clause}", (*args, *after)
                ).fetchone()
        return jobs, next_at

    def complete(
        self, key: int, variables: dict[str, Any] | None, lease: str | None, now: int
    ) -> str:
        """Complete an activated job; return its type (a freed slot may wake pollers)."""
        command = _instances.job_command(key, variables=variables)
        return self._settle(
            key, lease, now, "complete", _COMPLETE, (), variables, "COMPLETED", command
        )

    def fail(self, key: int, failure: Failure, lease: str | None, now: int) -> str:
        """Fail an activated job; return its type when it is activatable again at once."""
        again = failure.retries > 0
        return self._settle(
            key,
            lease,
            now,
            "fail",
            _FAIL,
            (
                "ACTIVATABLE" if again else "INCIDENT",
                failure.retries,
                failure.message,
                later(now, failure.backoff_ms),
            ),
            failure.variables,
            "FAILED" if again else "INCIDENT",
            _instances.job_command(
                key, failure_retries=failure.retries, failure_message=failure.message
            ),
            retries=failure.retries,
            message=failure.message,
        )

    def throw_error(
        self,
        key: int,
        code: str,
        message: str | None,
        variables: dict[str, Any] | None,
        lease: str | None,
        now: int,
    ) -> str:
        return self._settle(
            key,
            lease,
            now,
            "throw an error for",
            _THROW,
            (code, message),
            variables,
            "ERROR_THROWN",
            _instances.job_command(key, error_code=code, message=message, variables=variables),
            message=message,
        )

    def _settle(
        self,
        key: int,
        lease: str | None,
        now: int,
        verb: str,
        statement: str,
        values: tuple[Any, ...],
        variables: dict[str, Any] | None,
        event: str,
        command: Command,
        **fields: Any,
    ) -> str:
        """End the caller's activation of ``key`` with one of the conditional UPDATEs above and
        record ``event``; return the job's type. A process job's instance takes ``command`` in
        the same transaction (a savepoint holds the two together inside ``run_group``).

        The only write is that one statement, so inside ``run_group`` it needs no savepoint:
        a statement that fails undoes itself, and the history row is added only after it. The
        common case (no variables) reads no row first; when the UPDATE matches none,
        ``check_activated`` on the row says why (404 or 409).
        """
        if not self._db.in_transaction:  # called on its own: a transaction of its own
            with self._tx():
                return self._settle(
                    key, lease, now, verb, statement, values, variables, event, command, **fields
                )
        instance = self.instances.process_of_job(key)
        if instance is not None:
            with self._tx():
                job_type = self._settle_row(
                    key, lease, now, verb, statement, values, variables, event, **fields
                )
                try:
                    self.instances.advance(instance, command, now)
                except Rejected as exc:
                    raise JobInWrongState(f"cannot {verb} job {key}: {exc}") from None
            return job_type
        return self._settle_row(
            key, lease, now, verb, statement, values, variables, event, **fields
        )

    def _settle_row(
        self,
        key: int,
        lease: str | None,
        now: int,
        verb: str,
        statement: str,
        values: tuple[Any, ...],
        variables: dict[str, Any] | None,
        event: str,
        **fields: Any,
    ) -> str:
        stored = merged(self._row(key), variables) if variables else None
        row = self._db.execute(statement, (*values, stored, now, key, now, lease)).fetchone()
        if row is None:
            check_activated(self._row(key), key, lease, now, verb)
            raise JobInWrongState(f"cannot {verb} job {key}: it is not held by this activation")
        job_type, worker = row
        if event == "COMPLETED" and variables:  # the result, apart from the merged variables
            self._db.execute(_results.SAVE_SQLITE, (key, json.dumps(variables)))
        self._event(key, job_type, now, event, worker=worker, **fields)
        return str(job_type)

    def update(
        self,
        key: int,
        retries: int | None,
        timeout_ms: int | None,
        now: int,
        lease: str | None = None,
    ) -> str:
        """Change retries and/or the lease; return the job's type (to wake pollers).

        On a leased job a stale ``lease`` is refused, and so is a timeout change without one
        (it would extend another worker's activation); an operator may set retries without.
        """
        with self._tx() as db:
            row = self._row(key)
            check_update(row, key, timeout_ms, lease, now)
            instance = row["process_instance_key"]
            if retries is not None:
                state = row["state"]
                if state == "INCIDENT" and retries > 0 and instance is None:
                    state = "ACTIVATABLE"  # resolving the incident: run it again now
                    db.execute("UPDATE jobs SET available_at = ? WHERE key = ?", (now, key))
                db.execute(
                    "UPDATE jobs SET retries = ?, state = ?, updated_at = ? WHERE key = ?",
                    (retries, state, now, key),
                )
                self._event(key, row["type"], now, "RETRIES_UPDATED", retries=retries)
                if instance is not None:  # its incident, if any, is resolved on its own
                    try:
                        self.instances.advance(instance, UpdateJobRetries(key, retries), now)
                    except Rejected as exc:
                        raise JobInWrongState(f"cannot update job {key}: {exc}") from None
            if timeout_ms is not None:
                db.execute(
                    "UPDATE jobs SET deadline = ?, available_at = ?, updated_at = ? WHERE key = ?",
                    (later(now, timeout_ms), later(now, timeout_ms), now, key),
                )
                self._event(key, row["type"], now, "TIMEOUT_UPDATED", worker=row["worker"])
        return str(row["type"])

    def cancel(self, key: int, now: int) -> str:
        """Cancel a job that has not ended (an operator's action; Camunda cancels with the
        process instance)."""
        with self._tx() as db:
            row = self._row(key)
            if row["state"] in ENDED:
                raise JobInWrongState(
                    f"cannot cancel job {key}: it has already ended ({row['state']})"
                )
            db.execute(
                "UPDATE jobs SET state = 'CANCELED', deadline = NULL, updated_at = ? WHERE key = ?",
                (now, key),
            )
            self._event(key, row["type"], now, "CANCELED")
        return str(row["type"])

    # -- job-type limits (``_limits.py``) ------------------------------------------------------

    def set_limits(
        self,
        job_type: str,
        max_active: int | None,
        rate: float | None,
        now: int,
        keyed: KeyedLimit | None = None,
    ) -> JobTypeLimits:
        with self._tx() as db:
            return _limits.set_limits(db, job_type, max_active, rate, now, keyed)

    def clear_limits(self, job_type: str, now: int) -> bool:
        with self._tx() as db:
            return _limits.clear_limits(db, job_type)

    def get_limits(self, job_type: str) -> JobTypeLimits | None:
        return _limits.get_limits(self._db, job_type)

    def all_limits(self) -> list[JobTypeLimits]:
        return _limits.all_limits(self._db)

    def slot_limited_types(self) -> set[str]:
        return _limits.slot_limited_types(self._db)

    # -- deployments (``_deployments.py``) ---------------------------------------------------

    def _new_key(self) -> int:
        key = self._next_key
        self._next_key += 1
        return key

    def deploy(
        self,
        tenant_id: str,
        resources: Sequence[ResourceToDeploy],
        now: int,
        new_version: NewVersionStatements | None = None,
    ) -> DeploymentRecord:
        with self._tx() as db:
            return _deployments.deploy(db, tenant_id, resources, now, self._new_key, new_version)

    def delete_process_definition(self, key: int, now: int) -> ProcessDefinitionRecord | None:
        with self._tx() as db:
            return _deployments.delete_process_definition(db, key, now)

    def process_definitions(self) -> list[ProcessDefinitionRecord]:
        return _deployments.process_definitions(self._db)

    def process_definition(self, key: int) -> ProcessDefinitionRecord | None:
        return _deployments.process_definition(self._db, key)

    def resource_content(self, key: int) -> bytes | None:
        return _deployments.resource_content(self._db, key)

    # -- reads -------------------------------------------------------------------------------

    def get(self, key: int, now: int) -> Job:
        row = self._row(key)
        return job_view(row, now, _search.history(self._db.execute(SQL.history, (key,))))

    def events_after(self, after_id: int, limit: int) -> list[JobEventRecord]:
        """History rows of every job in order, after event id ``after_id`` (for streaming)."""
        rows = self._db.execute(SQL.events_after, (after_id, limit))
        return [_search.event_record(r) for r in rows]

    def last_event_id(self) -> int:
        (last,) = self._db.execute("SELECT MAX(id) FROM job_events").fetchone()
        return int(last or 0)

    def search(
        self, job_type: str | None, state: JobState | None, limit: int, after: int | None, now: int
    ) -> tuple[list[Job], int | None]:
        """Newest first, ``limit`` per page; also return the cursor of the next page."""
        statement, args = SQL.search(job_type, state, limit, after, now)
        return _search.search_page(self._db.execute(statement, args).fetchall(), limit, now)

    # -- statistics (the dashboard's, through ``_stats.py``) ------------------------------------

    def stats_baseline(self) -> tuple[int, list[tuple[str, str, int]]]:
        """The last event id and ``(type, state, count)`` of every stored state, read together.

        One scan of the ``(type, state)`` index: the statistics read it once, then follow
        the event log (jobs that have ended never change state again).
        """
        last = self.last_event_id()
        return last, _search.state_counts(self._db.execute(STATE_COUNTS))

    def live_counts(
        self, job_types: Sequence[str], now: int
    ) -> tuple[int, list[tuple[str, str, int]]]:
        """The last event id and ``(type, category, count)`` of the jobs that have not ended
        (``_search.live_categories``), a bounded number of types per statement."""
        last = self.last_event_id()
        counts: list[tuple[str, str, int]] = []
        for start in range(0, len(job_types), _TYPES_PER_QUERY):
            chunk = job_types[start : start + _TYPES_PER_QUERY]
            counts += _search.live_categories(self._db.execute(*SQL.live_counts(chunk, now)))
        return last, counts

    def jobs_in_flight(self, job_types: Sequence[str], now: int) -> dict[str, int]:
        """Activations whose deadline has not passed, per worker, among jobs of ``job_types``."""
        in_flight: dict[str, int] = {}
        for start in range(0, len(job_types), _TYPES_PER_QUERY):
            chunk = job_types[start : start + _TYPES_PER_QUERY]
            _search.add_in_flight(in_flight, self._db.execute(*SQL.in_flight(chunk, now)))
        return in_flight

    def first_event_id_at_or_after(self, at: int) -> int:
        """The id of the first event at or after ``at`` (one past the last when there is none).

        Events are appended in time order, so a binary search over the row ids finds it in
        O(log n) lookups, with no index on ``at`` to slow down every write.
        """
        low, high = 1, self.last_event_id() + 1
        while low < high:
            middle = (low + high) // 2
            event_id, event_at = self._db.execute(
                "SELECT id, at FROM job_events WHERE id >= ? ORDER BY id LIMIT 1", (middle,)
            ).fetchone()
            if event_at < at:
                low = event_id + 1
            else:
                high = middle
        return low

    def event_aggregates(
        self, after_id: int, until_id: int
    ) -> tuple[list[tuple[int, str, str, int]], list[tuple[str, int]]]:
        """Events with ids in ``(after_id, until_id]``: ``(minute, type, event, count)`` rows
        (minute = epoch ms // 60 000) and ``(worker, last activation at)`` rows."""
        args = (after_id, until_id)
        minutes = self._db.execute(SQL.event_minutes, args).fetchall()
        return _search.event_aggregates(minutes, self._db.execute(SQL.event_workers, args))

    def retry_at(self, key: int, now: int) -> int | None:
        """When an activatable job waiting out a failure's back-off may run again, else None."""
        row = self._db.execute(SQL.retry_at, (key, now)).fetchone()
        return None if row is None else int(row["available_at"])

    # -- helpers -----------------------------------------------------------------------------

    def _row(self, key: int) -> sqlite3.Row:
        row: sqlite3.Row | None = self._db.execute(SQL.job, (key,)).fetchone()
        if row is None:
            raise JobNotFound(f"job {key} does not exist")
        return row


def _keyed_columns(have: set[str]) -> str:
    """The jobs' keyed-limit column (``_keyed.JOB_COLUMN``), if a file's jobs lack it."""
    return "" if JOB_COLUMN in have else f"ALTER TABLE jobs ADD COLUMN {JOB_COLUMN} TEXT;"


def _checked_sync(mode: str) -> str:
    value = mode.upper()
    if value not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
        raise ValueError(f"invalid SQLite synchronous mode {mode!r}: use NORMAL, FULL or EXTRA")
    return value
