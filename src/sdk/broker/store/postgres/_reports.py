"""Job outcomes on PostgreSQL: completions, failures and thrown errors, batched.

A batch (``Backend.write_group``) locks its jobs in key order, so two batches never deadlock,
checks each report on its locked row in order (a job reported twice sees the first report's
effect) and writes the changed rows back in one statement. Single reports take the same road:
those that arrive while one waits for a connection join it (``ReportQueue``), so under load
one transaction, one event append and one commit serve many, as group commit does on SQLite.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import anyio
from psycopg.rows import DictRow

from ..._problems import BrokerError, JobInWrongState, JobNotFound
from ...engine import Command, InstanceState, Rejected
from .. import _results
from .._backend import JobOutcome
from .._instances import KeyBlock, NeedDefinition, Persisted, job_command
from .._rules import check_activated, later, merged
from ._instances import PostgresInstances, locked_instances, run_step
from ._tx import Database, Tx

LOCKED_JOBS = (
    "SELECT jobs.*, l.max_active IS NOT NULL AS slot_limited FROM jobs"
    " LEFT JOIN job_type_limits l ON l.type = jobs.type"
)
"""Jobs with whether their type has a max-active limit (an ended activation frees a slot)."""

REPORT_TRANSACTIONS = 2
"""Report transactions one broker runs at once: while they run, the next batch fills up."""
Outcome = tuple[bool, Any]
"""``(True, the job's type)`` or ``(False, the error the single command raises)``."""


async def apply_reports(
    tx: Tx, reports: Sequence[tuple[JobOutcome, int]], instances: PostgresInstances
) -> list[Outcome]:
    """Apply ``(report, now)`` pairs in order on their locked jobs; an outcome each.

    A process job's report also advances its instance (``_instances.py``), in this
    transaction: the instances are locked after the jobs, in key order, and each report's
    step starts from the state the batch's earlier reports left."""
    keys = sorted({report.key for report, _ in reports})
    locked = await tx.all(
        f"{LOCKED_JOBS} WHERE key = ANY(%s) ORDER BY key FOR UPDATE OF jobs", (keys,)
    )
    rows = {int(row["key"]): row for row in locked}
    process_rows = await locked_instances(
        tx, [int(r["process_instance_key"]) for r in locked if r["process_instance_key"]]
    )
    states: dict[int, InstanceState] = {}
    steps: list[tuple[Persisted, int]] = []
    block: KeyBlock | None = None
    changed: dict[int, DictRow] = {}
    outcomes: list[Outcome] = []
    results: dict[int, str] = {}
    """Completions' variables by job key (``_results``: kept apart from the merged ones)."""
    for report, now in reports:
        row = rows.get(report.key)
        try:
            if row is None:
                raise JobNotFound(f"job {report.key} does not exist")
            was, marks = dict(row), (len(tx.events), set(tx.woken))
            job_type = _apply(tx, row, report, now)
            instance = row["process_instance_key"]
            if instance is not None:
                try:
                    command = _job_command(report)
                    compute = instances.stepper(
                        process_rows[int(instance)], command, now, states.get(int(instance))
                    )
                    step, persisted, block = await run_step(tx, compute, block)
                except Exception:
                    row.clear()
                    row.update(was)  # the report did nothing
                    del tx.events[marks[0] :]
                    tx.woken = marks[1]
                    raise
                states[int(instance)] = step.state
                steps.append((persisted, now))
            outcomes.append((True, job_type))
            if report.failure is None and report.error_code is None and report.variables:
                results[report.key] = json.dumps(report.variables)
            row["updated_at"] = now
            changed[report.key] = row
        except (BrokerError, Rejected, NeedDefinition) as exc:
            outcomes.append(
                (False, JobInWrongState(str(exc)) if isinstance(exc, Rejected) else exc)
            )
    if changed:
        await _write_back(tx, list(changed.values()))
    if results:
        await tx.execute(_results.SAVE_POSTGRES, [list(results), list(results.values())])
    for persisted, at in steps:
        await instances.write(tx, persisted, at)
    return outcomes


def _job_command(report: JobOutcome) -> Command:
    failure = report.failure
    return job_command(
        report.key,
        failure_retries=None if failure is None else failure.retries,
        failure_message=None if failure is None else failure.message,
        error_code=report.error_code,
        message=report.message,
        variables=report.variables,
    )


def slot_freed(tx: Tx, row: DictRow) -> str:
    """An activation of the row's type ended: tell other replicas if it held a slot."""
    job_type = str(row["type"])
    if row["slot_limited"]:
        tx.woken.add(job_type)
    return job_type


def _apply(tx: Tx, row: DictRow, report: JobOutcome, now: int) -> str:
    """Check ``report`` against its job's ``row`` and change the row as it says (in memory,
    with its history row); the job's type, as the single command answers."""
    key, failure = report.key, report.failure
    if failure is not None:
        verb = "fail"
    elif report.error_code is not None:
        verb = "throw an error for"
    else:
        verb = "complete"
    check_activated(row, key, report.lease, now, verb)
    row["variables"] = merged(row, report.variables)
    row["deadline"] = None
    job_type, worker = str(row["type"]), row["worker"]
    if failure is not None:
        row["state"] = "ACTIVATABLE" if failure.retries > 0 else "INCIDENT"
        row["retries"], row["error_message"] = failure.retries, failure.message
        row["available_at"] = later(now, failure.backoff_ms)
        event = "FAILED" if failure.retries > 0 else "INCIDENT"
        tx.event(
            key,
            job_type,
            now,
            event,
            worker=worker,
            retries=failure.retries,
            message=failure.message,
        )
        if failure.retries > 0:
            tx.woken.add(job_type)  # activatable again: other replicas' polls look
            return job_type
    elif report.error_code is not None:
        row["state"] = "ERROR_THROWN"
        row["error_code"], row["error_message"] = report.error_code, report.message
        tx.event(key, job_type, now, "ERROR_THROWN", worker=worker, message=report.message)
    else:
        row["state"] = "COMPLETED"
        tx.event(key, job_type, now, "COMPLETED", worker=worker)
    return slot_freed(tx, row)


async def _write_back(tx: Tx, rows: Sequence[DictRow]) -> None:
    """Store the reported jobs' new state, one statement for all of them."""
    await tx.execute(
        "UPDATE jobs SET state = u.state, retries = u.retries, error_code = u.error_code,"
        " error_message = u.error_message, variables = u.variables,"
        " available_at = u.available_at, deadline = NULL, updated_at = u.updated_at"
        " FROM unnest(%s::bigint[], %s::text[], %s::int[], %s::text[], %s::text[],"
        " %s::text[], %s::bigint[], %s::bigint[])"
        " AS u(key, state, retries, error_code, error_message, variables, available_at,"
        " updated_at)"
        " WHERE jobs.key = u.key",
        [
            [r[column] for r in rows]
            for column in (
                "key",
                "state",
                "retries",
                "error_code",
                "error_message",
                "variables",
                "available_at",
                "updated_at",
            )
        ],
    )


class _Batch:
    """Reports waiting for one transaction; ``outcomes`` (or ``error``) once it has run."""

    __slots__ = ("done", "error", "items", "outcomes")

    def __init__(self) -> None:
        self.items: list[tuple[JobOutcome, int]] = []
        self.done = anyio.Event()
        self.outcomes: list[Outcome] = []
        self.error: BaseException | None = None


class ReportQueue:
    """Runs single reports on ``db``; those that arrive while a transaction for one waits for
    a connection join it, so the busier the broker, the more each commit serves."""

    def __init__(self, db: Database, instances: PostgresInstances) -> None:
        self._db = db
        self._instances = instances
        self._slots = anyio.Semaphore(REPORT_TRANSACTIONS)
        self._open: _Batch | None = None
        """The batch still taking reports: its transaction has no connection yet."""

    async def submit(self, report: JobOutcome, now: int) -> Outcome:
        batch = self._open
        if batch is not None:
            index = len(batch.items)
            batch.items.append((report, now))
            await batch.done.wait()  # a write in a batch lands even if its caller is gone
        else:
            index = 0
            batch = self._open = _Batch()
            batch.items.append((report, now))
            with anyio.CancelScope(shield=True):  # others wait on this batch's outcome
                await self._run(batch)
        if batch.error is not None:
            raise batch.error
        return batch.outcomes[index]

    async def _run(self, batch: _Batch) -> None:
        async def body(tx: Tx) -> list[Outcome]:
            if self._open is batch:
                self._open = None  # it has a connection now: later reports start another
            return await apply_reports(tx, batch.items, self._instances)

        try:
            async with self._slots:
                batch.outcomes = await self._db.write(body)
        except Exception as exc:  # e.g. the database is away: every report's answer
            batch.error = exc
        finally:
            if self._open is batch:
                self._open = None
            batch.done.set()
