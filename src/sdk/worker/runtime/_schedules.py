"""The schedules declared next to handlers (``@worker.task("cleanup", schedule=...)``): upserted
on the server when the worker starts, each named after its job type.

Upserting the same schedule again changes nothing on the broker (its next tick is kept), so
every start, and every process of ``--processes N``, may do it. A server without schedules (a
real Camunda) answers with a ``ProtocolError``: the worker says so once and runs on, working
whatever jobs arrive.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

from ..._logging import Log
from ...client import AsyncClient
from ...errors import ProtocolError, SdkError
from .._task import TaskSpec


async def upsert_schedules(client: AsyncClient, tasks: Sequence[TaskSpec], log: Log) -> None:
    """Put the schedule of each task that declares one; failures are logged, never raised."""
    for task in tasks:
        if task.schedule is None:
            continue
        interval = task.schedule if isinstance(task.schedule, timedelta) else None
        cron = task.schedule if isinstance(task.schedule, str) else None
        try:
            schedule = await client.put_schedule(
                task.job_type, task.job_type, cron=cron, interval=interval
            )
        except ProtocolError as exc:
            log.warning(
                "schedule of {} not set: {}; its jobs run only when something else creates them",
                task.job_type,
                exc,
            )
            return  # the others would be refused the same way
        except SdkError as exc:
            log.warning("schedule of {} not set: {}", task.job_type, exc)
            continue
        log.info(
            "schedule {}: {} (next run {})",
            task.job_type,
            cron or f"every {schedule.interval}",
            _when(schedule.next_run_at),
        )


def _when(ms: int | None) -> str:
    if ms is None:
        return "paused"
    moment = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")
