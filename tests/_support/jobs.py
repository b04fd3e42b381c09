"""Conditions on a job's state, for ``wait_until``."""

from __future__ import annotations

from sdk.client import AsyncClient
from sdk.models import Job, JobKey, JobState


async def in_state(client: AsyncClient, key: JobKey, state: JobState) -> Job | None:
    """Job ``key`` when it is in ``state`` (a ``wait_until`` condition), else ``None``."""
    job = await client.get_job(key)
    return job if job.state is state else None


def events(job: Job) -> list[tuple[str, str | None]]:
    """``(event, worker)`` of each entry of the job's history but lease extensions
    (``TIMEOUT_UPDATED``: a job running over a second has its lease checked each second)."""
    return [(e.event, e.worker) for e in job.history or [] if e.event != "TIMEOUT_UPDATED"]
