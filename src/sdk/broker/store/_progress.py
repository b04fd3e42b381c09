"""Progress of running jobs: the last fraction and message a handler reported, per job.

Kept in ``job_progress`` beside the job (one row per job that reported any), overwritten by
each report: readers want the latest, and handlers send at most about one a second.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...models import Job, JobState
from .._problems import JobInWrongState

if TYPE_CHECKING:
    from ._face import JobStore

TABLES = """
CREATE TABLE IF NOT EXISTS job_progress (
    job_key {int} PRIMARY KEY,
    fraction {real} NOT NULL,
    message TEXT NOT NULL,
    at {int} NOT NULL
);
"""
_SAVE = (
    "INSERT INTO job_progress (job_key, fraction, message, at) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (job_key) DO UPDATE SET fraction = excluded.fraction,"
    " message = excluded.message, at = excluded.at"
)
_READ = "SELECT fraction, message, at FROM job_progress WHERE job_key = ?"


def sqlite_tables() -> str:
    return TABLES.format(int="INTEGER", real="REAL")


def postgres_tables() -> tuple[str, ...]:
    return (TABLES.format(int="BIGINT", real="DOUBLE PRECISION").strip().rstrip(";"),)


class JobProgress:
    """The progress of jobs on ``store``."""

    def __init__(self, store: JobStore) -> None:
        self._store = store

    async def report(self, key: int, fraction: float, message: str) -> None:
        """Keep the progress of an activated job (404: no such job; 409: it is not running)."""
        job = await self._store.get(key, with_progress=False)
        if job.state is not JobState.ACTIVATED:
            raise JobInWrongState(
                f"cannot report progress of job {key}: it is {job.state.value}, not ACTIVATED"
            )
        await self._store._backend.execute([(_SAVE, (key, fraction, message, self._store.now()))])

    async def attach(self, job: Job) -> Job:
        """``job`` with its last reported progress, if any."""
        rows = await self._store._backend.query(_READ, (int(job.job_key),))
        if not rows:
            return job
        row = rows[0]
        return job.model_copy(
            update={
                "progress": float(row["fraction"]),
                "progress_message": row["message"],
                "progress_at": int(row["at"]),
            }
        )
