"""Awaited job results: the variables a job was completed with, and waiting for a job to end.

The ``jobs`` row keeps the job's variables merged with its result; what the worker sent on
completion is kept apart in ``job_results`` (one row per job completed with variables), so a
caller awaiting the job gets the result, not its own input back.

Waiting needs no loop of reads: waiters register by job key; after each write of the event log
(this broker's, or another replica's heard through ``LISTEN``) one of them reads the log's new
entries once for everybody and wakes the waiters whose job ended.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import anyio

from ...models import Job, JobKey, JobResult, JobState

if TYPE_CHECKING:
    from ._face import JobStore

TABLES = """
CREATE TABLE IF NOT EXISTS job_results (
    job_key {int} PRIMARY KEY,
    variables TEXT NOT NULL
);
"""
SAVE_SQLITE = "INSERT OR REPLACE INTO job_results (job_key, variables) VALUES (?, ?)"
SAVE_POSTGRES = (
    "INSERT INTO job_results (job_key, variables)"
    " SELECT * FROM unnest(%s::bigint[], %s::text[])"
    " ON CONFLICT (job_key) DO UPDATE SET variables = EXCLUDED.variables"
)
_READ = "SELECT variables FROM job_results WHERE job_key = ?"
ENDING_EVENTS = frozenset({"COMPLETED", "ERROR_THROWN", "INCIDENT", "CANCELED"})
"""History events after which a job waits for nobody (an incident may be retried later, but
the awaiting caller is told of it)."""
ENDED_STATES = frozenset(
    {JobState.COMPLETED, JobState.ERROR_THROWN, JobState.INCIDENT, JobState.CANCELED}
)
SCAN_BATCH = 1_000
SHARED_RECHECK_S = 1.0
"""Longest wait between looks on a database other brokers share: bounds the delay should
another replica's notification be lost."""


def sqlite_tables() -> str:
    return TABLES.format(int="INTEGER")


def postgres_tables() -> tuple[str, ...]:
    return (TABLES.format(int="BIGINT").strip().rstrip(";"),)


class JobResults:
    """Results of ended jobs, and waits for jobs to end, on ``store``."""

    def __init__(self, store: JobStore) -> None:
        self._store = store
        self._waiting: dict[int, list[anyio.Event]] = {}
        self._cursor: int | None = None
        """The last event id read for the waiters (``None``: none read yet)."""
        self._scanned: anyio.Event | None = None
        """The store's change event as the last read began: unset, nothing changed since."""
        self._lock = anyio.Lock()

    async def result(self, key: int) -> JobResult | None:
        """How the job ended, or ``None`` while it has not (``NotFound``: no such job)."""
        job = await self._store.get(key, with_progress=False)
        return await self._result_of(job)

    async def wait(self, key: int, timeout_s: float) -> JobResult | None:
        """How the job ended, waiting up to ``timeout_s`` for it to; ``None`` if it has not."""
        mine = anyio.Event()
        try:
            async with self._lock:
                idle = not self._waiting
                self._waiting.setdefault(key, []).append(mine)
                if idle or self._cursor is None:  # start at the log's end, before the look
                    self._cursor = None
                    self._cursor = await self._store.last_event_id()
                    self._scanned = None
            found = await self.result(key)
            if found is not None or timeout_s <= 0:
                return found
            with anyio.move_on_after(timeout_s):
                await self._until_ended(mine)
            return await self.result(key)
        finally:
            events = self._waiting.get(key, [])
            if mine in events:
                events.remove(mine)
            if not events:
                self._waiting.pop(key, None)

    async def _until_ended(self, mine: anyio.Event) -> None:
        store = self._store
        recheck_s = SHARED_RECHECK_S if store._backend.shared else None
        while not mine.is_set() and not store.closing:
            changed = store.changed_event()  # taken before reading: no write slips by
            await self._scan()
            if mine.is_set():
                return
            if recheck_s is None:
                await changed.wait()
            else:
                with anyio.move_on_after(recheck_s):
                    await changed.wait()
                self._scanned = None  # look again even if no change was heard

    async def _scan(self) -> None:
        """Read the log's new entries once for every waiter; wake those whose job ended."""
        async with self._lock:
            current = self._store.changed_event()
            if current is self._scanned:
                return  # a read began after the last change: it saw everything
            self._scanned = current
            while self._cursor is not None:
                batch = await self._store.events_after(self._cursor, SCAN_BATCH)
                for record in batch:
                    if record.event in ENDING_EVENTS:
                        for event in self._waiting.get(int(record.job_key), ()):
                            event.set()
                if batch:
                    self._cursor = batch[-1].id
                if len(batch) < SCAN_BATCH:
                    return

    async def _result_of(self, job: Job) -> JobResult | None:
        if job.state not in ENDED_STATES:
            return None
        variables = {}
        if job.state is JobState.COMPLETED:
            rows = await self._store._backend.query(_READ, (int(job.job_key),))
            if rows:
                variables = json.loads(rows[0]["variables"])
        return JobResult(
            job_key=JobKey(job.job_key),
            state=job.state,
            variables=variables,
            error_code=job.error_code,
            error_message=job.error_message,
        )
