"""The SQL both backends run to find jobs and read their history, written once.

SQLite and PostgreSQL take the same statements here but for two spellings, which a
``Dialect`` holds: the parameter mark (``?`` or ``%s``) and how a list of values is passed (a
mark per value, or one array). Each backend builds its ``Dialect`` once, at import; the
functions below turn the rows either returns (read by column name) into the answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ...models import Job, JobEvent, JobEventRecord, JobKey, JobState
from ._backend import Activation
from ._rules import Row, job_view

EVENT_COLUMNS = "job_key, job_type, at, event, worker, retries, message"
STATE_COUNTS = "SELECT type, state, COUNT(*) AS n FROM jobs GROUP BY type, state"
"""``(type, state, n)`` of every stored state: one scan of the ``(type, state)`` index."""


class Dialect:
    """The statements of one backend: ``mark`` is its parameter mark; with ``arrays``, a list
    is one parameter (``= ANY(%s)``), else one mark per value (``IN (?, ?)``)."""

    def __init__(self, mark: str, *, arrays: bool) -> None:
        self.mark = mark
        self.arrays = arrays
        p = mark
        self.job = f"SELECT * FROM jobs WHERE key = {p}"
        self.history = (
            "SELECT at, event, worker, retries, message FROM job_events"
            f" WHERE job_key = {p} ORDER BY id"
        )
        self.events_after = (
            f"SELECT id, {EVENT_COLUMNS} FROM job_events WHERE id > {p} ORDER BY id LIMIT {p}"
        )
        self.retry_at = (
            f"SELECT available_at FROM jobs WHERE key = {p} AND state = 'ACTIVATABLE'"
            f" AND available_at > {p}"
        )
        """(key, now): when a job waiting out a failure's back-off may run again."""
        self.event_minutes = (
            "SELECT at / 60000 AS minute, job_type, event, COUNT(*) AS n FROM job_events"
            f" WHERE id > {p} AND id <= {p} GROUP BY 1, 2, 3"
        )
        """(after id, until id): events per minute, type and kind; a range scan of the ids."""
        self.event_workers = (
            f"SELECT worker, MAX(at) AS at FROM job_events WHERE id > {p} AND id <= {p}"
            " AND event = 'ACTIVATED' GROUP BY worker"
        )
        """(after id, until id): each worker's last activation."""

    def one_of(self, column: str, values: Sequence[Any]) -> tuple[str, tuple[Any, ...]]:
        """``column`` is one of ``values``, as a clause and its parameters."""
        if self.arrays:
            return f"{column} = ANY({self.mark})", (list(values),)
        return f"{column} IN ({', '.join([self.mark] * len(values))})", tuple(values)

    def candidates(self, query: Activation) -> tuple[str, tuple[Any, ...]]:
        """The WHERE clause (without the time bound) of jobs ``query`` may take."""
        where = f"type = {self.mark} AND state IN ('ACTIVATABLE', 'ACTIVATED')"
        args: tuple[Any, ...] = (query.job_type,)
        if query.tenant_ids:
            clause, tenants = self.one_of("tenant_id", query.tenant_ids)
            where += f" AND {clause}"
            args += tenants
        if not query.with_lease:  # once leased, a job is served only to leasing workers
            where += " AND leased = 0"
        return where, args

    def state_filter(self, state: JobState, now: int) -> tuple[str, list[Any]]:
        """Jobs a reader sees in ``state`` at ``now`` (an expired activation is activatable)."""
        p = self.mark
        if state is JobState.ACTIVATABLE:
            return f"(state = 'ACTIVATABLE' OR (state = 'ACTIVATED' AND available_at <= {p}))", [
                now
            ]
        if state is JobState.ACTIVATED:
            return f"(state = 'ACTIVATED' AND available_at > {p})", [now]
        return f"state = {p}", [state.value]

    def search(
        self, job_type: str | None, state: JobState | None, limit: int, after: int | None, now: int
    ) -> tuple[str, tuple[Any, ...]]:
        """One page of jobs, newest first, and one more row (there is a next page)."""
        where: list[str] = ["1 = 1"]
        args: list[Any] = []
        if job_type is not None:
            where.append(f"type = {self.mark}")
            args.append(job_type)
        if state is not None:
            clause, state_args = self.state_filter(state, now)
            where.append(clause)
            args.extend(state_args)
        if after is not None:
            where.append(f"key < {self.mark}")
            args.append(after)
        statement = (
            f"SELECT * FROM jobs WHERE {' AND '.join(where)} ORDER BY key DESC LIMIT {self.mark}"
        )
        return statement, (*args, limit + 1)

    def live_counts(self, job_types: Sequence[str], now: int) -> tuple[str, tuple[Any, ...]]:
        """Per type and stored state, the jobs that have not ended, with those whose activation
        expired and those failed (for ``live_categories``). Naming the types lets the database
        seek ``(type, state)`` in the index, so jobs that have ended are never read."""
        clause, args = self.one_of("type", job_types)
        p = self.mark
        statement = (
            "SELECT type, state, COUNT(*) AS n,"
            f" COUNT(CASE WHEN state = 'ACTIVATED' AND available_at <= {p} THEN 1 END) AS expired,"
            " COUNT(CASE WHEN state = 'ACTIVATABLE'"
            f"   AND (error_message IS NOT NULL OR available_at > {p}) THEN 1 END) AS failed"
            f" FROM jobs WHERE {clause}"
            " AND state IN ('ACTIVATABLE', 'ACTIVATED', 'INCIDENT') GROUP BY type, state"
        )
        return statement, (now, now, *args)

    def in_flight(self, job_types: Sequence[str], now: int) -> tuple[str, tuple[Any, ...]]:
        """Activations whose deadline has not passed, per worker, among jobs of ``job_types``
        (a look-up of ``(type, 'ACTIVATED')`` in the index)."""
        clause, args = self.one_of("type", job_types)
        statement = (
            f"SELECT worker, COUNT(*) AS n FROM jobs WHERE {clause}"
            f" AND state = 'ACTIVATED' AND available_at > {self.mark} GROUP BY worker"
        )
        return statement, (*args, now)


def history(rows: Iterable[Any]) -> list[JobEvent]:
    """A job's history from ``Dialect.history`` rows (``sqlite3.Row`` or dict rows)."""
    return [JobEvent(**dict(row)) for row in rows]


def event_record(row: Row) -> JobEventRecord:
    return JobEventRecord(
        id=row["id"],
        job_key=JobKey(str(row["job_key"])),
        job_type=row["job_type"],
        at=row["at"],
        event=row["event"],
        worker=row["worker"],
        retries=row["retries"],
        message=row["message"],
    )


def search_page(rows: Sequence[Row], limit: int, now: int) -> tuple[list[Job], int | None]:
    """The jobs of a page read by ``Dialect.search``, and the cursor of the next page."""
    more = len(rows) > limit
    rows = rows[:limit]
    return [job_view(r, now) for r in rows], (int(rows[-1]["key"]) if more else None)


def state_counts(rows: Iterable[Row]) -> list[tuple[str, str, int]]:
    return [(str(r["type"]), str(r["state"]), int(r["n"])) for r in rows]


def live_categories(rows: Iterable[Row]) -> list[tuple[str, str, int]]:
    """``(type, category, count)`` from ``Dialect.live_counts`` rows. Categories:
    ``ACTIVATABLE`` (with activations whose deadline passed), ``ACTIVATED``, ``FAILED``
    (activatable after a failure with retries left: it carries an error message or still waits
    out its back-off) and ``INCIDENT``."""
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
    return counts


def add_in_flight(in_flight: dict[str, int], rows: Iterable[Row]) -> None:
    """Add ``Dialect.in_flight`` rows to ``in_flight`` (worker → activations)."""
    for r in rows:
        name = str(r["worker"] or "")
        in_flight[name] = in_flight.get(name, 0) + int(r["n"])


def event_aggregates(
    minutes: Iterable[Row], workers: Iterable[Row]
) -> tuple[list[tuple[int, str, str, int]], list[tuple[str, int]]]:
    """The rows of ``Dialect.event_minutes`` and ``event_workers`` as plain tuples."""
    return (
        [(int(m["minute"]), str(m["job_type"]), str(m["event"]), int(m["n"])) for m in minutes],
        [(str(w["worker"] or ""), int(w["at"])) for w in workers],
    )
