"""``@worker.task(..., schedule=...)``: the worker upserts the schedule at start, the broker
then creates a job per tick and the worker works it; against a server without schedules the
worker warns and runs on."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone

import anyio
import httpx
import pytest

from sdk.broker import RunningBroker, serve
from sdk.client import AsyncClient
from sdk.errors import ConfigurationError, NotFoundError
from sdk.models import JobKey, Schedule
from sdk.testing import client_for, running, wait_until
from sdk.worker import JobContext, JobHandler, Worker

pytestmark = pytest.mark.anyio

T0 = datetime(2030, 3, 1, 12, 0, tzinfo=timezone.utc)
MS0 = int(T0.timestamp() * 1000)


@asynccontextmanager
async def clocked() -> AsyncIterator[RunningBroker]:
    async with anyio.create_task_group() as tg:
        running_broker: RunningBroker = await tg.start(
            lambda task_status: serve(
                ":memory:", "127.0.0.1", 0, clock_control=True, task_status=task_status
            )
        )
        yield running_broker
        tg.cancel_scope.cancel()


async def schedule_of(api: AsyncClient, name: str) -> Schedule | None:
    try:
        return await api.get_schedule(name)
    except NotFoundError:
        return None


async def test_the_worker_upserts_its_schedule_and_works_each_tick() -> None:
    worked: list[JobKey] = []
    worker = Worker(request_timeout_ms=1_000)

    @worker.task("cleanup", schedule="*/5 * * * *")
    async def cleanup(job: JobContext) -> None:
        worked.append(job.job_key)

    async with clocked() as broker, client_for(broker) as api:
        await api.pin_clock(T0)
        async with running(worker, api):
            with anyio.fail_after(10):
                schedule = await wait_until(lambda: schedule_of(api, "cleanup"))
            assert (schedule.job_type, schedule.cron) == ("cleanup", "*/5 * * * *")
            assert schedule.next_run_at == MS0 + 5 * 60_000
            await api.pin_clock(T0 + timedelta(minutes=5))
            with anyio.fail_after(10):
                await wait_until(lambda: len(worked) == 1 or None)
            job = await api.get_job(worked[0])
            with anyio.fail_after(10):
                await wait_until(lambda: _completed(api, worked[0]))
        ran = await api.get_schedule("cleanup")
        assert ran.last_job_key == job.job_key and ran.last_run_at == MS0 + 5 * 60_000


async def _completed(api: AsyncClient, key: JobKey) -> bool | None:
    return (await api.get_job(key)).state == "COMPLETED" or None


async def test_a_handler_class_declares_an_interval() -> None:
    class Poll(JobHandler):
        job_type = "poll"
        schedule = timedelta(minutes=2)

        async def handle(self) -> None:
            return None

    worker = Worker(request_timeout_ms=1_000)
    worker.add_handler(Poll)
    assert worker.tasks["poll"].schedule == timedelta(minutes=2)
    async with clocked() as broker, client_for(broker) as api:
        await api.pin_clock(T0)
        async with running(worker, api):
            with anyio.fail_after(10):
                schedule = await wait_until(lambda: schedule_of(api, "poll"))
        assert schedule.interval == "PT120S" and schedule.next_run_at == MS0 + 120_000


@pytest.mark.parametrize(
    ("job_type", "bad"),
    [
        ("cleanup", "every five minutes"),
        ("cleanup", "* * * * * *"),
        ("cleanup", timedelta(0)),
        ("clean up", "* * * * *"),
    ],
)
def test_a_bad_schedule_fails_at_registration(job_type: str, bad: str | timedelta) -> None:
    worker = Worker()
    with pytest.raises(ConfigurationError, match="schedul"):

        @worker.task(job_type, schedule=bad)
        def cleanup() -> None:
            return None


class NoSchedules(httpx.AsyncBaseTransport):
    """A server whose schedules routes are missing (as on a real Camunda): 404."""

    def __init__(self) -> None:
        self._real = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if "/ext/schedules" in request.url.path:
            return httpx.Response(404, json={"title": "NOT_FOUND", "status": 404, "detail": ""})
        return await self._real.handle_async_request(request)

    async def aclose(self) -> None:
        await self._real.aclose()


async def test_without_schedules_on_the_server_the_worker_warns_and_runs_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log = logging.getLogger("test.schedules")
    worked: list[JobKey] = []
    worker = Worker(request_timeout_ms=1_000, logger=log)

    @worker.task("cleanup", schedule="*/5 * * * *")
    async def cleanup(job: JobContext) -> None:
        worked.append(job.job_key)

    async with clocked() as broker:
        config = {"CAMUNDA_REST_ADDRESS": broker.url, "CAMUNDA_AUTH_STRATEGY": "NONE"}
        async with AsyncClient(configuration=config, transport=NoSchedules()) as api:
            with caplog.at_level(logging.WARNING, logger="test.schedules"):
                async with running(worker, api):
                    key = await api.create_job("cleanup")
                    with anyio.fail_after(10):
                        await wait_until(lambda: worked == [key] or None)
        assert await broker.store.schedules.all() == []
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(
        "schedule of cleanup not set" in w and "not supported by this server" in w for w in warnings
    ), warnings
