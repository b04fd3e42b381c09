"""Lifespan resources: opened before the first poll, reach async and thread handlers (and
middleware) through ``JobContext.state``, closed after the drain; process handlers get a
clear error instead."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest

from sdk.client import AsyncClient
from sdk.errors import ConfigurationError
from sdk.models import JobState
from sdk.testing import run_job, running, wait_until
from sdk.worker import CallNext, JobContext, Outcome, Worker

from .typed_handlers import uses_pool_sync, wants_state

pytestmark = pytest.mark.anyio


class Pool(list[int]):
    """A stand-in for a connection pool: records its use and whether it is open."""

    name = "pool-1"
    open = False


def make_worker(**options: Any) -> Worker:
    return Worker("w", request_timeout_ms=2_000, grace_period_s=5, **options)


class TestLifespan:
    async def test_resources_reach_async_and_thread_handlers_and_close_after_the_drain(
        self, sdk_client: AsyncClient
    ) -> None:
        pool = Pool()
        events: list[str] = []
        seen_by_middleware: list[bool] = []

        async def check_state(job: JobContext, call_next: CallNext) -> Outcome:
            seen_by_middleware.append(job.state["pool"] is pool)
            return await call_next(job)

        worker = make_worker(middleware=[check_state])

        @worker.lifespan
        async def resources() -> AsyncIterator[dict[str, Any]]:
            pool.open = True
            events.append("opened")
            yield {"pool": pool}
            events.append(f"closed after {sorted(pool)}")
            pool.open = False

        @worker.task("async-use")
        async def use_async(job: JobContext, n: int) -> dict[str, Any]:
            assert job.state["pool"].open
            job.state["pool"].append(n)
            return {"pool": job.state["pool"].name}

        worker.task("thread-use", strategy="thread")(uses_pool_sync)
        keys = [await sdk_client.create_job("async-use", {"n": n}) for n in (1, 2)]
        keys += [await sdk_client.create_job("thread-use", {"n": n}) for n in (3, 4)]
        async with running(worker, sdk_client):

            async def all_completed() -> bool:
                jobs = [await sdk_client.get_job(key) for key in keys]
                return all(j.state is JobState.COMPLETED for j in jobs)

            await wait_until(all_completed)
            assert events == ["opened"]  # open while the worker runs
        assert events == ["opened", "closed after [1, 2, 3, 4]"]
        assert not pool.open
        assert seen_by_middleware == [True] * 4
        for key in keys:
            assert (await sdk_client.get_job(key)).variables["pool"] == "pool-1"

    async def test_a_job_running_at_stop_finishes_before_the_lifespan_closes(
        self, sdk_client: AsyncClient
    ) -> None:
        started, release = anyio.Event(), anyio.Event()
        closed: list[bool] = []
        worker = make_worker()

        @worker.lifespan
        async def resources() -> AsyncIterator[dict[str, int]]:
            yield {"r": 1}
            closed.append(True)

        @worker.task("slow")
        async def slow(job: JobContext) -> dict[str, Any]:
            started.set()
            await release.wait()
            return {"closed_while_running": bool(closed), "r": job.state["r"]}

        key = await sdk_client.create_job("slow")
        async with anyio.create_task_group() as tg:
            tg.start_soon(worker.run, sdk_client)
            with anyio.fail_after(10):
                await started.wait()
            worker.stop()
            await wait_until(lambda: worker.readiness[1].startswith("draining"))
            assert closed == []
            release.set()
        job = await sdk_client.get_job(key)
        assert job.state is JobState.COMPLETED, job.error_message
        assert job.variables == {"closed_while_running": False, "r": 1}
        assert closed == [True]

    async def test_several_lifespans_merge_and_close_in_reverse(
        self, sdk_client: AsyncClient
    ) -> None:
        closed: list[str] = []
        worker = make_worker()

        @worker.lifespan
        @asynccontextmanager
        async def first() -> AsyncIterator[dict[str, int]]:
            yield {"a": 1}
            closed.append("first")

        @worker.lifespan
        async def second() -> AsyncIterator[None]:
            yield
            closed.append("second")

        @worker.task("t")
        async def read(job: JobContext) -> dict[str, Any]:
            return {"keys": sorted(job.state)}

        job = await run_job(worker, sdk_client, "t")
        assert job.variables["keys"] == ["a"]
        assert closed == ["second", "first"]

    async def test_a_process_handler_asking_for_state_gets_the_documented_error(
        self, sdk_client: AsyncClient
    ) -> None:
        worker = make_worker()

        @worker.lifespan
        async def resources() -> AsyncIterator[dict[str, int]]:
            yield {"a": 1}

        worker.task("t", strategy="process")(wants_state)
        job = await run_job(worker, sdk_client, "t")
        assert job.state is JobState.INCIDENT
        assert (job.error_message or "").startswith(
            "StateUnavailableError: JobContext.state is not available to process-strategy handlers"
        )

    async def test_a_lifespan_that_fails_to_open_stops_the_start(
        self, sdk_client: AsyncClient
    ) -> None:
        worker = make_worker()
        polled: list[int] = []

        @worker.lifespan
        async def broken() -> AsyncIterator[None]:
            raise OSError("database unreachable")
            yield

        @worker.task("t")
        async def never(job: JobContext) -> None:
            polled.append(1)

        await sdk_client.create_job("t")
        with pytest.raises(OSError, match="database unreachable"):
            await worker.run(sdk_client)
        assert polled == []

    def test_a_lifespan_taking_arguments_is_refused(self) -> None:
        worker = make_worker()

        async def needs(x: int) -> AsyncIterator[None]:
            yield

        with pytest.raises(ConfigurationError, match="must take no arguments"):
            worker.lifespan(needs)  # type: ignore[type-var]
