"""The job table and its rules in PostgreSQL, for brokers that share one database.

The same contract as ``_sqlite.py`` (``_contract.Jobs``) and the same rule checks (imported
from it); what differs is what replicas need:

- activation locks its candidates ``FOR UPDATE SKIP LOCKED``, so two brokers never hand out
  one job twice, and commands lock their job's row, so no update is lost;
- keys come from a sequence; event ids from an identity column, appended at the end of each
  transaction under an advisory lock, so ids become visible in increasing order and a reader
  following the log (``events_after``) never skips one committed later with a smaller id;
- every commit announces itself (``NOTIFY``): job types that became activatable, and that the
  log grew, so other replicas wake their long polls and event streams (``_pg_follow.py``).

Synchronous, like the SQLite store: ``JobStore`` calls it from its worker thread. A lost
connection answers ``StoreUnavailable`` (503) and is opened again on the next call.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import Any

import psycopg
from psycopg.rows import DictRow, dict_row

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
)
from . import _pg_ext
from ._contract import Activation, Failure
from ._idempotency import body_hash
from ._pg_schema import ensure_schema
from ._problems import JobInWrongState, JobNotFound, StoreUnavailable
from ._redact import redact, redact_text
from ._sqlite import (
    _ENDED,
    _activated,
    _job,
    _later,
    _merged,
    check_activated,
    check_update,
)

JOBS_CHANNEL = "sdk_jobs"
"""``NOTIFY`` payload ``origin:type``: a job of ``type`` may have become activatable."""
EVENTS_CHANNEL = "sdk_events"
"""``NOTIFY`` payload ``origin``: the event log grew."""
EVENT_LOG_LOCK = 0x5D6B_0002
"""Advisory lock held from appending events to the commit: ids are visible in order."""
CONNECT_TIMEOUT_S = 5

_EVENT_COLUMNS = "job_key, job_type, at, event, worker, retries, message"

Event = tuple[int, str, int, str, str | None, int | None, str | None]


class PostgresJobs:
    """The job store on the database at ``url`` (``postgresql://user:password@host/db``)."""

    shared = True

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = redact(url)
        self.origin = uuid.uuid4().hex[:12]
        """Tells this broker's own notifications from other replicas'."""
        self._conn: psycopg.Connection[DictRow] | None = None
        self._in_group = False
        self._events: list[Event] = []
        self._woken: set[str] = set()
        try:
            with self._guard():
                ensure_schema(self._connection(), self.path)
        except BaseException:
            self.close()  # e.g. a newer schema: refused, and no connection left open
            raise

    # -- connection and transactions -------------------------------------------------------

    def _connection(self) -> psycopg.Connection[DictRow]:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(
                self.url,
                autocommit=True,
                row_factory=dict_row,
                connect_timeout=CONNECT_TIMEOUT_S,
                application_name="sdk-broker",
            )
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """A lost or refused connection → 503, with the password kept out of the message."""
        try:
            yield
        except psycopg.OperationalError as exc:
            self.close()  # the next call connects afresh
            raise StoreUnavailable(
                f"the job database {self.path} is unavailable, retry later: "
                + redact_text(str(exc).strip(), self.url)
            ) from None

    def _execute(self, sql: str, args: Sequence[Any] = ()) -> psycopg.Cursor[DictRow]:
        return self._connection().execute(sql.encode(), args)

    def _read(self, sql: str, args: Sequence[Any] = ()) -> list[DictRow]:
        with self._guard():
            return self._execute(sql, args).fetchall()

    @contextmanager
    def _tx(self) -> Iterator[None]:
        """One operation's transaction; inside ``run_group`` a savepoint isolates it instead."""
        if self._in_group:
            events, woken = len(self._events), set(self._woken)
            self._execute("SAVEPOINT op")
            try:
                yield
            except psycopg.OperationalError:
                raise  # the connection failed: the whole group fails
            except BaseException:
                self._execute("ROLLBACK TO SAVEPOINT op")
                del self._events[events:]
                self._woken = woken
                raise
            self._execute("RELEASE SAVEPOINT op")
            return
        with self._guard():
            self._begin()
            try:
                yield
                self._commit()
            except BaseException:
                self._rollback()
                raise

    def _begin(self) -> None:
        self._events, self._woken = [], set()
        self._execute("BEGIN")

    def _commit(self) -> None:
        """Append the transaction's events and announce it, then commit (one round trip each)."""
        if self._events:
            self._execute("SELECT pg_advisory_xact_lock(%s)", (EVENT_LOG_LOCK,))
            columns = list(zip(*self._events, strict=True))
            self._execute(
                f"INSERT INTO job_events ({_EVENT_COLUMNS}) SELECT * FROM unnest("
                "%s::bigint[], %s::text[], %s::bigint[], %s::text[], %s::text[], %s::int[],"
                " %s::text[])",
                [list(c) for c in columns],
            )
            self._execute("SELECT pg_notify(%s, %s)", (EVENTS_CHANNEL, self.origin))
        for job_type in sorted(self._woken):
            self._execute("SELECT pg_notify(%s, %s)", (JOBS_CHANNEL, f"{self.origin}:{job_type}"))
        self._execute("COMMIT")
        self._events, self._woken = [], set()

    def _rollback(self) -> None:
        self._events, self._woken = [], set()
        if self._conn is not None and not self._conn.closed:
            try:
                self._execute("ROLLBACK")
            except psycopg.OperationalError:
                self.close()

    def run_group(self, ops: Sequence[Callable[[], Any]]) -> list[tuple[bool, Any]]:
        """Run writes in one transaction, one commit for all; each op isolated by a savepoint.

        Returns ``(True, result)`` or ``(False, exception)`` per op; if the database fails
        (or the commit does), every op gets that error.
        """
        results: list[tuple[bool, Any]] = []
        try:
            with self._guard():
                self._begin()
                self._in_group = True
                try:
                    for op in ops:
                        try:
                            results.append((True, op()))
                        except psycopg.OperationalError:
                            raise
                        except Exception as exc:
                            results.append((False, exc))
                    self._in_group = False
                    self._commit()
                except BaseException:
                    self._in_group = False
                    self._rollback()
                    raise
        except StoreUnavailable as exc:
            return [(False, exc)] * len(ops)
        return results

    def _event(self, key: int, job_type: str, at: int, event: str, **fields: Any) -> None:
        """Buffer a history row; it is appended (and numbered) just before the commit."""
        self._events.append(
            (
                key,
                job_type,
                at,
                event,
                fields.get("worker"),
                fields.get("retries"),
                fields.get("message"),
            )
        )

    # -- writes ------------------------------------------------------------------------------

    def create(self, specs: Sequence[JobSpec], now: int) -> list[JobKey]:
        with self._tx():
            return self._insert(specs, now)

    def create_once(
        self,
        body: JobCreationRequest,
        now: int,
        *,
        scope: str,
        key: str,
        retention_ms: int,
    ) -> tuple[list[JobKey], bool]:
        with self._tx():
            return _pg_ext.create_once(
                self._execute,
                scope=scope,
                key=key,
                digest=body_hash(body),
                now=now,
                retention_ms=retention_ms,
                create=partial(self._insert, body.jobs, now),
            )

    def _insert(self, specs: Sequence[JobSpec], now: int) -> list[JobKey]:
        keys = [
            int(r["key"])
            for r in self._execute(
                "SELECT nextval('job_keys') AS key FROM generate_series(1, %s)", (len(specs),)
            ).fetchall()
        ]
        keys.sort()
        self._execute(
            "INSERT INTO jobs (key, type, state, retries, available_at, variables,"
            " custom_headers, tenant_id, process_definition_id, element_id,"
            " created_at, updated_at)"
            " SELECT k, t, 'ACTIVATABLE', r, %s, v, h, tn, p, e, %s, %s FROM unnest("
            "%s::bigint[], %s::text[], %s::int[], %s::text[], %s::text[], %s::text[],"
            " %s::text[], %s::text[]) AS s(k, t, r, v, h, tn, p, e)",
            (
                now,
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
            ),
        )
        for key, spec in zip(keys, specs, strict=True):
            self._event(key, spec.type, now, "CREATED", retries=spec.retries)
            self._woken.add(spec.type)
        return [JobKey(str(k)) for k in keys]

    def activate(self, query: Activation, now: int) -> tuple[list[ActivatedJob], int | None]:
        """Hand out up to ``max_jobs`` jobs; also return when the next one becomes available.

        Rows another replica is activating (or changing) right now are skipped, not waited for.
        """
        where, args = _candidates(query)
        deadline = _later(now, query.timeout_ms)
        jobs: list[ActivatedJob] = []
        with self._tx():
            allowed = _pg_ext.allowance(self._execute, query.job_type, query.max_jobs, now)
            if allowed.jobs == 0:
                return jobs, allowed.retry_at
            rows = self._execute(
                "WITH picked AS (SELECT key, state AS was, worker AS had, available_at AS due"
                f" FROM jobs WHERE {where} AND available_at <= %s"
                " ORDER BY available_at, key LIMIT %s FOR UPDATE SKIP LOCKED)"
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
            ).fetchall()
            rows.sort(key=lambda r: (r["due"], r["key"]))
            if rows:
                _pg_ext.consume(self._execute, query.job_type, len(rows), now)
            for row in rows:
                if row["was"] == "ACTIVATED":
                    self._event(row["key"], row["type"], now, "TIMED_OUT", worker=row["had"])
                self._event(row["key"], row["type"], now, "ACTIVATED", worker=query.worker)
                jobs.append(_activated(row, query, deadline, int(row["lease"])))
            next_at = None
            if not rows:  # the same filter, so a poll only wakes for a job it could take
                found = self._execute(
                    f"SELECT MIN(available_at) AS next_at FROM jobs WHERE {where}", args
                ).fetchone()
                next_at = None if found is None or found["next_at"] is None else found["next_at"]
        return jobs, None if next_at is None else int(next_at)

    def complete(
        self, key: int, variables: dict[str, Any] | None, lease: str | None, now: int
    ) -> str:
        with self._tx():
            row = self._locked(key)
            check_activated(row, key, lease, now, "complete")
            self._execute(
                "UPDATE jobs SET state = 'COMPLETED', variables = %s, deadline = NULL,"
                " updated_at = %s WHERE key = %s",
                (_merged(row, variables), now, key),
            )
            self._event(key, row["type"], now, "COMPLETED", worker=row["worker"])
            return self._slot_freed(row)

    def fail(self, key: int, failure: Failure, lease: str | None, now: int) -> str:
        """Fail an activated job; return its type when it is activatable again at once."""
        with self._tx():
            row = self._locked(key)
            check_activated(row, key, lease, now, "fail")
            state = "ACTIVATABLE" if failure.retries > 0 else "INCIDENT"
            self._execute(
                "UPDATE jobs SET state = %s, retries = %s, error_message = %s, variables = %s,"
                " available_at = %s, deadline = NULL, updated_at = %s WHERE key = %s",
                (
                    state,
                    failure.retries,
                    failure.message,
                    _merged(row, failure.variables),
                    _later(now, failure.backoff_ms),
                    now,
                    key,
                ),
            )
            event = "FAILED" if failure.retries > 0 else "INCIDENT"
            self._event(
                key,
                row["type"],
                now,
                event,
                worker=row["worker"],
                retries=failure.retries,
                message=failure.message,
            )
            if failure.retries > 0:
                self._woken.add(str(row["type"]))
            else:
                self._slot_freed(row)
        return str(row["type"])

    def throw_error(
        self,
        key: int,
        code: str,
        message: str | None,
        variables: dict[str, Any] | None,
        lease: str | None,
        now: int,
    ) -> str:
        with self._tx():
            row = self._locked(key)
            check_activated(row, key, lease, now, "throw an error for")
            self._execute(
                "UPDATE jobs SET state = 'ERROR_THROWN', error_code = %s, error_message = %s,"
                " variables = %s, deadline = NULL, updated_at = %s WHERE key = %s",
                (code, message, _merged(row, variables), now, key),
            )
            self._event(
                key, row["type"], now, "ERROR_THROWN", worker=row["worker"], message=message
            )
            return self._slot_freed(row)

    def update(
        self,
        key: int,
        retries: int | None,
        timeout_ms: int | None,
        now: int,
        lease: str | None = None,
    ) -> str:
        """Change retries and/or the lease; return the job's type (to wake pollers)."""
        with self._tx():
            row = self._locked(key)
            check_update(row, key, timeout_ms, lease, now)
            if retries is not None:
                state = row["state"]
                available_at = row["available_at"]
                if state == "INCIDENT" and retries > 0:
                    state, available_at = "ACTIVATABLE", now  # the incident is resolved
                self._execute(
                    "UPDATE jobs SET retries = %s, state = %s, available_at = %s,"
                    " updated_at = %s WHERE key = %s",
                    (retries, state, available_at, now, key),
                )
                self._event(key, row["type"], now, "RETRIES_UPDATED", retries=retries)
            if timeout_ms is not None:
                until = _later(now, timeout_ms)
                self._execute(
                    "UPDATE jobs SET deadline = %s, available_at = %s, updated_at = %s"
                    " WHERE key = %s",
                    (until, until, now, key),
                )
                self._event(key, row["type"], now, "TIMEOUT_UPDATED", worker=row["worker"])
            self._woken.add(str(row["type"]))
        return str(row["type"])

    def cancel(self, key: int, now: int) -> str:
        with self._tx():
            row = self._locked(key)
            if row["state"] in _ENDED:
                raise JobInWrongState(
                    f"cannot cancel job {key}: it has already ended ({row['state']})"
                )
            self._execute(
                "UPDATE jobs SET state = 'CANCELED', deadline = NULL, updated_at = %s"
                " WHERE key = %s",
                (now, key),
            )
            self._event(key, row["type"], now, "CANCELED")
            return self._slot_freed(row)

    def _slot_freed(self, row: DictRow) -> str:
        """An activation of the row's type ended: tell other replicas if it held a slot."""
        job_type = str(row["type"])
        if _pg_ext.slot_limited(self._execute, job_type):
            self._woken.add(job_type)
        return job_type

    # -- job-type limits (``_pg_ext.py``) ----------------------------------------------------

    def set_limits(
        self, job_type: str, max_active: int | None, rate: float | None, now: int
    ) -> JobTypeLimits:
        with self._tx():
            self._woken.add(job_type)  # other replicas' polls look again
            return _pg_ext.set_limits(self._execute, job_type, max_active, rate, now)

    def clear_limits(self, job_type: str, now: int) -> bool:
        with self._tx():
            self._woken.add(job_type)
            return _pg_ext.clear_limits(self._execute, job_type)

    def get_limits(self, job_type: str) -> JobTypeLimits | None:
        with self._guard():
            return _pg_ext.get_limits(self._execute, job_type)

    def all_limits(self) -> list[JobTypeLimits]:
        with self._guard():
            return _pg_ext.all_limits(self._execute)

    def slot_limited_types(self) -> set[str]:
        with self._guard():
            return _pg_ext.slot_limited_types(self._execute)

    # -- reads -------------------------------------------------------------------------------

    def get(self, key: int, now: int) -> Job:
        rows = self._read("SELECT * FROM jobs WHERE key = %s", (key,))
        if not rows:
            raise JobNotFound(f"job {key} does not exist")
        events = self._read(
            "SELECT at, event, worker, retries, message FROM job_events"
            " WHERE job_key = %s ORDER BY id",
            (key,),
        )
        return _job(rows[0], now, [JobEvent(**e) for e in events])

    def events_after(self, after_id: int, limit: int) -> list[JobEventRecord]:
        """History rows of every job in order, after event id ``after_id`` (for streaming)."""
        rows = self._read(
            f"SELECT id, {_EVENT_COLUMNS} FROM job_events WHERE id > %s ORDER BY id LIMIT %s",
            (after_id, limit),
        )
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
        (row,) = self._read("SELECT COALESCE(MAX(id), 0) AS last FROM job_events")
        return int(row["last"])

    def search(
        self, job_type: str | None, state: JobState | None, limit: int, after: int | None, now: int
    ) -> tuple[list[Job], int | None]:
        """Newest first, ``limit`` per page; also return the cursor of the next page."""
        where: list[str] = ["TRUE"]
        args: list[Any] = []
        if job_type is not None:
            where.append("type = %s")
            args.append(job_type)
        if state is not None:
            clause, state_args = _state_filter(state, now)
            where.append(clause)
            args.extend(state_args)
        if after is not None:
            where.append("key < %s")
            args.append(after)
        rows = self._read(
            f"SELECT * FROM jobs WHERE {' AND '.join(where)} ORDER BY key DESC LIMIT %s",
            (*args, limit + 1),
        )
        more = len(rows) > limit
        rows = rows[:limit]
        return [_job(r, now) for r in rows], (int(rows[-1]["key"]) if more else None)

    # -- statistics --------------------------------------------------------------------------

    def stats_baseline(self) -> tuple[int, list[tuple[str, str, int]]]:
        last = self.last_event_id()
        rows = self._read("SELECT type, state, COUNT(*) AS n FROM jobs GROUP BY type, state")
        return last, [(str(r["type"]), str(r["state"]), int(r["n"])) for r in rows]

    def live_counts(
        self, job_types: Sequence[str], now: int
    ) -> tuple[int, list[tuple[str, str, int]]]:
        """As ``SqliteJobs.live_counts``: per type, the jobs that have not ended, by category."""
        last = self.last_event_id()
        rows = self._read(
            "SELECT type, state, COUNT(*) AS n,"
            " COUNT(*) FILTER (WHERE state = 'ACTIVATED' AND available_at <= %s) AS expired,"
            " COUNT(*) FILTER (WHERE state = 'ACTIVATABLE'"
            "   AND (error_message IS NOT NULL OR available_at > %s)) AS failed"
            " FROM jobs WHERE type = ANY(%s)"
            " AND state IN ('ACTIVATABLE', 'ACTIVATED', 'INCIDENT') GROUP BY type, state",
            (now, now, list(job_types)),
        )
        counts: list[tuple[str, str, int]] = []
        for r in rows:
            job_type, state, n = str(r["type"]), str(r["state"]), int(r["n"])
            if state == "ACTIVATED":
                expired = int(r["expired"])
                counts += [(job_type, "ACTIVATED", n - expired), (job_type, "ACTIVATABLE", expired)]
            elif state == "ACTIVATABLE":
                failed = int(r["failed"])
                counts += [(job_type, "ACTIVATABLE", n - failed), (job_type, "FAILED", failed)]
            else:
                counts.append((job_type, state, n))
        return last, counts

    def jobs_in_flight(self, job_types: Sequence[str], now: int) -> dict[str, int]:
        rows = self._read(
            "SELECT worker, COUNT(*) AS n FROM jobs WHERE type = ANY(%s)"
            " AND state = 'ACTIVATED' AND available_at > %s GROUP BY worker",
            (list(job_types), now),
        )
        in_flight: dict[str, int] = {}
        for r in rows:
            name = str(r["worker"] or "")
            in_flight[name] = in_flight.get(name, 0) + int(r["n"])
        return in_flight

    def first_event_id_at_or_after(self, at: int) -> int:
        """The id of the first event at or after ``at`` (one past the last when there is none).

        Ids are appended in commit order; times almost so (replicas' clocks differ slightly).
        """
        rows = self._read("SELECT id FROM job_events WHERE at >= %s ORDER BY id LIMIT 1", (at,))
        return int(rows[0]["id"]) if rows else self.last_event_id() + 1

    def event_aggregates(
        self, after_id: int, until_id: int
    ) -> tuple[list[tuple[int, str, str, int]], list[tuple[str, int]]]:
        minutes = self._read(
            "SELECT at / 60000 AS minute, job_type, event, COUNT(*) AS n FROM job_events"
            " WHERE id > %s AND id <= %s GROUP BY 1, 2, 3",
            (after_id, until_id),
        )
        workers = self._read(
            "SELECT worker, MAX(at) AS at FROM job_events WHERE id > %s AND id <= %s"
            " AND event = 'ACTIVATED' GROUP BY worker",
            (after_id, until_id),
        )
        return (
            [(int(m["minute"]), str(m["job_type"]), str(m["event"]), int(m["n"])) for m in minutes],
            [(str(w["worker"] or ""), int(w["at"])) for w in workers],
        )

    def retry_at(self, key: int, now: int) -> int | None:
        rows = self._read(
            "SELECT available_at FROM jobs WHERE key = %s AND state = 'ACTIVATABLE'"
            " AND available_at > %s",
            (key, now),
        )
        return int(rows[0]["available_at"]) if rows else None

    # -- helpers -----------------------------------------------------------------------------

    def _locked(self, key: int) -> DictRow:
        """The job's row, locked until the commit: replicas change one job one at a time."""
        row = self._execute("SELECT * FROM jobs WHERE key = %s FOR UPDATE", (key,)).fetchone()
        if row is None:
            raise JobNotFound(f"job {key} does not exist")
        return row


def _candidates(query: Activation) -> tuple[str, tuple[Any, ...]]:
    """The WHERE clause (without the time bound) of jobs ``query`` may take."""
    where = "type = %s AND state IN ('ACTIVATABLE', 'ACTIVATED')"
    args: tuple[Any, ...] = (query.job_type,)
    if query.tenant_ids:
        where += " AND tenant_id = ANY(%s)"
        args += (list(query.tenant_ids),)
    if not query.with_lease:  # once leased, a job is served only to leasing workers
        where += " AND leased = 0"
    return where, args


def _state_filter(state: JobState, now: int) -> tuple[str, list[Any]]:
    if state is JobState.ACTIVATABLE:
        return "(state = 'ACTIVATABLE' OR (state = 'ACTIVATED' AND available_at <= %s))", [now]
    if state is JobState.ACTIVATED:
        return "(state = 'ACTIVATED' AND available_at > %s)", [now]
    return "state = %s", [state.value]
