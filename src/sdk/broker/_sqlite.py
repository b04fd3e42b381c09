"""The job table and its rules (Zeebe's job life cycle), in SQLite.

Synchronous on purpose: one connection, used by one thread at a time (see ``_store.py``), so
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
from typing import Any, Protocol

from ..models import (
    ActivatedJob,
    Job,
    JobCreationRequest,
    JobEvent,
    JobEventRecord,
    JobKey,
    JobSpec,
    JobState,
    JobTypeLimits,
    LeasedJob,
    TenantId,
)
from . import _idempotency, _limits
from ._contract import Activation as Activation
from ._contract import Failure as Failure
from ._problems import JobInWrongState, JobNotFound

FIRST_KEY = 2251799813685249
"""Zeebe's first key on partition 1: our keys look like a real cluster's."""

SCHEMA_VERSION = 2
TABLES_OF_2 = _idempotency.SCHEMA + _limits.SCHEMA
MIGRATIONS = {1: f"BEGIN IMMEDIATE; {TABLES_OF_2} PRAGMA user_version = 2; COMMIT;"}
"""Version → the script that takes a file of that version to the next, in place, atomically."""
INT64_MAX = 2**63 - 1


class Row(Protocol):
    """A result row read by column name (``sqlite3.Row``, or a dict from psycopg)."""

    def __getitem__(self, key: str, /) -> Any: ...


class StoreVersionError(RuntimeError):
    """The database file was written by an incompatible version of the store."""


_ENDED = ("COMPLETED", "ERROR_THROWN", "CANCELED")
_INSERT_EVENT = (
    "INSERT INTO job_events (job_key, job_type, at, event, worker, retries, message)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)
HistoryRow = tuple[int, str, int, str, str | None, int | None, str | None]
"""A history row before it is appended: job key, type, at, event, worker, retries, message."""


def history_row(key: int, job_type: str, at: int, event: str, fields: dict[str, Any]) -> HistoryRow:
    """The row both stores append for one change (``fields``: worker, retries, message)."""
    return (
        key,
        job_type,
        at,
        event,
        fields.get("worker"),
        fields.get("retries"),
        fields.get("message"),
    )


_HELD = "state = 'ACTIVATED' AND available_at > ? AND (leased = 0 OR ? = key || '.' || lease)"
"""``check_activated`` as a WHERE clause (now, lease token): the caller's activation holds
the job. Keep the two equal (``_lease_token`` spells the token)."""
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
    updated_at INTEGER NOT NULL
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
_SCHEMA += TABLES_OF_2


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
        (max_key,) = self._db.execute("SELECT MAX(key) FROM jobs").fetchone()
        self._next_key = FIRST_KEY if max_key is None else max_key + 1
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
                self._db.executescript(MIGRATIONS[version])
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
                now,
                json.dumps(spec.variables),
                json.dumps(spec.custom_headers),
                spec.tenant_id,
                spec.process_definition_id,
                spec.element_id,
                now,
                now,
            )
            for i, spec in enumerate(specs)
        ]
        with self._tx() as db:
            db.executemany(
                "INSERT INTO jobs (key, type, state, retries, available_at, variables,"
                " custom_headers, tenant_id, process_definition_id, element_id,"
                " created_at, updated_at)"
                " VALUES (?, ?, 'ACTIVATABLE', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
        digest = _idempotency.body_hash(body)
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
        where, args = _candidates(query)
        deadline = _later(now, query.timeout_ms)
        leased = int(query.with_lease)
        jobs: list[ActivatedJob] = []
        with self._tx() as db:
            allowed = _limits.allowance(db, query.job_type, query.max_jobs, now)
            if allowed.jobs == 0:
                return jobs, allowed.retry_at
            rows = db.execute(
                f"SELECT * FROM jobs WHERE {where} AND available_at <= ?"
                " ORDER BY available_at, key LIMIT ?",
                (*args, now, allowed.jobs),
            ).fetchall()
            if rows:
                _limits.consume(db, query.job_type, len(rows), now)
                db.executemany(
                    "UPDATE jobs SET state = 'ACTIVATED', worker = ?, deadline = ?,"
                    " available_at = ?, lease = lease + 1, leased = ?, updated_at = ?"
                    " WHERE key = ?",
                    [(query.worker, deadline, deadline, leased, now, row["key"]) for row in rows],
                )
            for row in rows:
                if row["state"] == "ACTIVATED":
                    self._event(row["key"], row["type"], now, "TIMED_OUT", worker=row["worker"])
                self._event(row["key"], row["type"], now, "ACTIVATED", worker=query.worker)
                jobs.append(_activated(row, query, deadline, row["lease"] + 1))
            next_at = None
            if not rows:  # the same filter, so a poll only wakes for a job it could take
                (next_at,) = db.execute(
                    f"SELECT MIN(available_at) FROM jobs WHERE {where}", args
                ).fetchone()
        return jobs, next_at

    def complete(
        self, key: int, variables: dict[str, Any] | None, lease: str | None, now: int
    ) -> str:
        """Complete an activated job; return its type (a freed slot may wake pollers)."""
        return self._settle(key, lease, now, "complete", _COMPLETE, (), variables, "COMPLETED")

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
                _later(now, failure.backoff_ms),
            ),
            failure.variables,
            "FAILED" if again else "INCIDENT",
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
        **fields: Any,
    ) -> str:
        """End the caller's activation of ``key`` with one of the conditional UPDATEs above and
        record ``event``; return the job's type.

        The only write is that one statement, so inside ``run_group`` it needs no savepoint:
        a statement that fails undoes itself, and the history row is added only after it. The
        common case (no variables) reads no row first; when the UPDATE matches none,
        ``check_activated`` on the row says why (404 or 409).
        """
        if not self._db.in_transaction:  # called on its own: a transaction of its own
            with self._tx():
                return self._settle(
                    key, lease, now, verb, statement, values, variables, event, **fields
                )
        merged = _merged(self._row(key), variables) if variables else None
        row = self._db.execute(statement, (*values, merged, now, key, now, lease)).fetchone()
        if row is None:
            check_activated(self._row(key), key, lease, now, verb)
            raise JobInWrongState(f"cannot {verb} job {key}: it is not held by this activation")
        job_type, worker = row
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
            if retries is not None:
                state = row["state"]
                if state == "INCIDENT" and retries > 0:
                    state = "ACTIVATABLE"  # resolving the incident: run it again now
                    db.execute("UPDATE jobs SET available_at = ? WHERE key = ?", (now, key))
                db.execute(
                    "UPDATE jobs SET retries = ?, state = ?, updated_at = ? WHERE key = ?",
                    (retries, state, now, key),
                )
                self._event(key, row["type"], now, "RETRIES_UPDATED", retries=retries)
            if timeout_ms is not None:
                db.execute(
                    "UPDATE jobs SET deadline = ?, available_at = ?, updated_at = ? WHERE key = ?",
                    (_later(now, timeout_ms), _later(now, timeout_ms), now, key),
                )
                self._event(key, row["type"], now, "TIMEOUT_UPDATED", worker=row["worker"])
        return str(row["type"])

    def cancel(self, key: int, now: int) -> str:
        """Cancel a job that has not ended (an operator's action; Camunda cancels with the
        process instance)."""
        with self._tx() as db:
            row = self._row(key)
            if row["state"] in _ENDED:
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
        self, job_type: str, max_active: int | None, rate: float | None, now: int
    ) -> JobTypeLimits:
        with self._tx() as db:
            return _limits.set_limits(db, job_type, max_active, rate, now)

    def clear_limits(self, job_type: str, now: int) -> bool:
        with self._tx() as db:
            return _limits.clear_limits(db, job_type)

    def get_limits(self, job_type: str) -> JobTypeLimits | None:
        return _limits.get_limits(self._db, job_type)

    def all_limits(self) -> list[JobTypeLimits]:
        return _limits.all_limits(self._db)

    def slot_limited_types(self) -> set[str]:
        return _limits.slot_limited_types(self._db)

    # -- reads -------------------------------------------------------------------------------

    def get(self, key: int, now: int) -> Job:
        row = self._row(key)
        events = self._db.execute(
            "SELECT at, event, worker, retries, message FROM job_events"
            " WHERE job_key = ? ORDER BY id",
            (key,),
        ).fetchall()
        history = [JobEvent(**dict(e)) for e in events]
        return _job(row, now, history)

    def events_after(self, after_id: int, limit: int) -> list[JobEventRecord]:
        """History rows of every job in order, after event id ``after_id`` (for streaming)."""
        rows = self._db.execute(
            "SELECT id, job_key, job_type, at, event, worker, retries, message FROM job_events"
            " WHERE id > ? ORDER BY id LIMIT ?",
            (after_id, limit),
        ).fetchall()
        return [
            JobEventRecord(
                id=r["id"],
                job_key=JobKey(str(r["job_key"])),
                job_type=r["job_type"],
                at=r["at"],
                event=r["event"],
                worker=r["worker"],
                retries=r["retries"],
                message=r["message"],
            )
            for r in rows
        ]

    def last_event_id(self) -> int:
        (last,) = self._db.execute("SELECT MAX(id) FROM job_events").fetchone()
        return int(last or 0)

    def search(
        self, job_type: str | None, state: JobState | None, limit: int, after: int | None, now: int
    ) -> tuple[list[Job], int | None]:
        """Newest first, ``limit`` per page; also return the cursor of the next page."""
        where: list[str] = ["1 = 1"]
        args: list[Any] = []
        if job_type is not None:
            where.append("type = ?")
            args.append(job_type)
        if state is not None:
            clause, state_args = _state_filter(state, now)
            where.append(clause)
            args.extend(state_args)
        if after is not None:
            where.append("key < ?")
            args.append(after)
        rows = self._db.execute(
            f"SELECT * FROM jobs WHERE {' AND '.join(where)} ORDER BY key DESC LIMIT ?",
            (*args, limit + 1),
        ).fetchall()
        more = len(rows) > limit
        rows = rows[:limit]
        return [_job(r, now) for r in rows], (rows[-1]["key"] if more else None)

    # -- statistics (the dashboard's, through ``_stats.py``) ------------------------------------

    def stats_baseline(self) -> tuple[int, list[tuple[str, str, int]]]:
        """The last event id and ``(type, state, count)`` of every stored state, read together.

        One scan of the ``(type, state)`` index: the statistics read it once, then follow
        the event log (jobs that have ended never change state again).
        """
        last = self.last_event_id()
        rows = self._db.execute("SELECT type, state, COUNT(*) FROM jobs GROUP BY type, state")
        return last, [(str(t), str(s), int(n)) for t, s, n in rows]

    def live_counts(
        self, job_types: Sequence[str], now: int
    ) -> tuple[int, list[tuple[str, str, int]]]:
        """The last event id and ``(type, category, count)`` of the jobs that have not ended.

        Categories: ``ACTIVATABLE`` (with activations whose deadline passed), ``ACTIVATED``,
        ``FAILED`` (activatable after a failure with retries left: it carries an error message
        or still waits out its back-off) and ``INCIDENT``. Naming the types lets SQLite seek
        ``(type, state)`` in the index, so jobs that have ended are never read.
        """
        last = self.last_event_id()
        counts: list[tuple[str, str, int]] = []
        for start in range(0, len(job_types), _TYPES_PER_QUERY):
            chunk = job_types[start : start + _TYPES_PER_QUERY]
            rows = self._db.execute(
                "SELECT type, state, COUNT(*),"
                " SUM(state = 'ACTIVATED' AND available_at <= ?),"
                " SUM(state = 'ACTIVATABLE' AND (error_message IS NOT NULL OR available_at > ?))"
                f" FROM jobs WHERE type IN ({', '.join('?' * len(chunk))})"
                " AND state IN ('ACTIVATABLE', 'ACTIVATED', 'INCIDENT') GROUP BY type, state",
                (now, now, *chunk),
            )
            for job_type, state, n, expired, failed in rows:
                if state == "ACTIVATED":
                    counts += [
                        (job_type, "ACTIVATED", n - expired),
                        (job_type, "ACTIVATABLE", expired),
                    ]
                elif state == "ACTIVATABLE":
                    counts += [(job_type, "ACTIVATABLE", n - failed), (job_type, "FAILED", failed)]
                else:
                    counts.append((job_type, state, n))
        return last, counts

    def jobs_in_flight(self, job_types: Sequence[str], now: int) -> dict[str, int]:
        """Activations whose deadline has not passed, per worker, among jobs of ``job_types``.

        Naming the types lets SQLite look up ``(type, 'ACTIVATED')`` in the index instead of
        scanning every job ever kept.
        """
        in_flight: dict[str, int] = {}
        for start in range(0, len(job_types), _TYPES_PER_QUERY):
            chunk = job_types[start : start + _TYPES_PER_QUERY]
            rows = self._db.execute(
                "SELECT worker, COUNT(*) FROM jobs"
                f" WHERE type IN ({', '.join('?' * len(chunk))}) AND state = 'ACTIVATED'"
                " AND available_at > ? GROUP BY worker",
                (*chunk, now),
            )
            for worker, n in rows:
                name = str(worker or "")
                in_flight[name] = in_flight.get(name, 0) + int(n)
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
        (minute = epoch ms // 60 000) and ``(worker, last activation at)`` rows. Range scans
        of the row ids."""
        minutes = self._db.execute(
            "SELECT at / 60000, job_type, event, COUNT(*) FROM job_events"
            " WHERE id > ? AND id <= ? GROUP BY 1, 2, 3",
            (after_id, until_id),
        ).fetchall()
        workers = self._db.execute(
            "SELECT worker, MAX(at) FROM job_events WHERE id > ? AND id <= ?"
            " AND event = 'ACTIVATED' GROUP BY worker",
            (after_id, until_id),
        ).fetchall()
        return (
            [(int(m), str(t), str(e), int(n)) for m, t, e, n in minutes],
            [(str(w or ""), int(at)) for w, at in workers],
        )

    def retry_at(self, key: int, now: int) -> int | None:
        """When an activatable job waiting out a failure's back-off may run again, else None."""
        row = self._db.execute(
            "SELECT available_at FROM jobs WHERE key = ? AND state = 'ACTIVATABLE'"
            " AND available_at > ?",
            (key, now),
        ).fetchone()
        return None if row is None else int(row[0])

    # -- helpers -----------------------------------------------------------------------------

    def _row(self, key: int) -> sqlite3.Row:
        row: sqlite3.Row | None = self._db.execute(
            "SELECT * FROM jobs WHERE key = ?", (key,)
        ).fetchone()
        if row is None:
            raise JobNotFound(f"job {key} does not exist")
        return row


def check_activated(row: Row, key: int, lease: str | None, now: int, verb: str) -> None:
    """Refuse a command (``verb``) on a job that is not held by the caller's activation."""
    state = row["state"]
    if state in _ENDED:
        raise JobNotFound(f"cannot {verb} job {key}: it has already ended ({state})")
    if state != "ACTIVATED":
        raise JobInWrongState(f"cannot {verb} job {key}: it is {state}, not ACTIVATED")
    if row["available_at"] <= now:
        raise JobInWrongState(
            f"cannot {verb} job {key}: its activation timed out and it may be handed to"
            " another worker"
        )
    if row["leased"]:
        if lease is None:
            raise JobInWrongState(
                f"cannot {verb} job {key}: it was activated with a lease; send its leaseToken"
            )
        if lease != _lease_token(row["key"], row["lease"]):
            raise JobInWrongState(
                f"cannot {verb} job {key}: the lease token is stale (the job was re-activated)"
            )


def check_update(row: Row, key: int, timeout_ms: int | None, lease: str | None, now: int) -> None:
    """Refuse an update of an ended job, with a stale or missing lease token (a timeout change
    without one would extend another worker's activation), or of a timeout not activated."""
    if row["state"] in _ENDED:
        raise JobNotFound(f"job {key} has ended ({row['state']}) and cannot be updated")
    if row["leased"] and row["state"] == "ACTIVATED":
        current = _lease_token(row["key"], row["lease"])
        if (lease is not None and lease != current) or (lease is None and timeout_ms is not None):
            raise JobInWrongState(
                f"cannot update job {key}: it is leased and the leaseToken is"
                f" {'stale' if lease else 'missing'}"
            )
    expired = row["state"] == "ACTIVATED" and row["available_at"] <= now
    if timeout_ms is not None and (row["state"] != "ACTIVATED" or expired):
        raise JobInWrongState(f"job {key} is not activated, so its timeout cannot be changed")


def _later(now: int, ms: int) -> int:
    """``now + ms`` within SQLite's 64-bit integers (a lease of ~2**63 ms means "forever")."""
    return min(now + ms, INT64_MAX)


def _candidates(query: Activation) -> tuple[str, tuple[Any, ...]]:
    """The WHERE clause (without the time bound) of jobs ``query`` may take."""
    where = "type = ? AND state IN ('ACTIVATABLE', 'ACTIVATED')"
    args: tuple[Any, ...] = (query.job_type,)
    if query.tenant_ids:
        where += f" AND tenant_id IN ({', '.join('?' * len(query.tenant_ids))})"
        args += tuple(query.tenant_ids)
    if not query.with_lease:  # once leased, a job is served only to leasing workers
        where += " AND leased = 0"
    return where, args


def _checked_sync(mode: str) -> str:
    value = mode.upper()
    if value not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
        raise ValueError(f"invalid SQLite synchronous mode {mode!r}: use NORMAL, FULL or EXTRA")
    return value


def _merged(row: Row, variables: dict[str, Any] | None) -> str:
    if not variables:
        return str(row["variables"])
    merged = json.loads(row["variables"])
    merged.update(variables)
    return json.dumps(merged)


def _view_state(row: Row, now: int) -> JobState:
    if row["state"] == "ACTIVATED" and row["available_at"] <= now:
        return JobState.ACTIVATABLE  # timed out; the next activation takes it
    return JobState(row["state"])


def _state_filter(state: JobState, now: int) -> tuple[str, list[Any]]:
    if state is JobState.ACTIVATABLE:
        return "(state = 'ACTIVATABLE' OR (state = 'ACTIVATED' AND available_at <= ?))", [now]
    if state is JobState.ACTIVATED:
        return "(state = 'ACTIVATED' AND available_at > ?)", [now]
    return "state = ?", [state.value]


def _job(row: Row, now: int, history: list[JobEvent] | None = None) -> Job:
    state = _view_state(row, now)
    return Job(
        job_key=JobKey(str(row["key"])),
        type=row["type"],
        state=state,
        retries=row["retries"],
        worker=row["worker"],
        deadline=row["deadline"] if state is JobState.ACTIVATED else None,
        variables=json.loads(row["variables"]),
        custom_headers=json.loads(row["custom_headers"]),
        error_code=row["error_code"],
        error_message=row["error_message"],
        tenant_id=row["tenant_id"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        history=history,
    )


def _lease_token(key: int, lease: int) -> str:
    """Opaque to clients; distinct per activation of a job."""
    return f"{key}.{lease}"


def _activated(row: Row, query: Activation, deadline: int, lease: int) -> ActivatedJob:
    fields = _activated_fields(row, query, deadline)
    if query.with_lease:
        token = _lease_token(row["key"], lease)
        return LeasedJob(**fields, lease_token=token, job_lease_token=token)
    return ActivatedJob(**fields)


def _activated_fields(row: Row, query: Activation, deadline: int) -> dict[str, Any]:
    """The columns every activated job shows (a non-leased job's ``leaseToken`` is null)."""
    variables = _json_object(row["variables"])
    if query.fetch_variables:  # absent or empty: every variable, as on Camunda
        wanted = set(query.fetch_variables)
        variables = {k: v for k, v in variables.items() if k in wanted}
    return dict(
        job_key=JobKey(str(row["key"])),
        type=row["type"],
        retries=row["retries"],
        deadline=deadline,
        worker=query.worker,
        variables=variables,
        custom_headers=_json_object(row["custom_headers"]),
        process_definition_id=row["process_definition_id"],
        element_id=row["element_id"],
        tenant_id=TenantId(row["tenant_id"]),
    )


def _json_object(text: str) -> dict[str, Any]:
    """A stored JSON object; the common empty one without the parser (a job's hot path)."""
    if text == "{}":
        return {}
    value: dict[str, Any] = json.loads(text)
    return value
