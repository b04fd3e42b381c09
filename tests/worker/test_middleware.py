"""Middleware runs around every job on the event loop, for every strategy: order, enrichment,
short-circuit, replaced outcomes, and a middleware that raises failing only its job."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from sdk.client import AsyncClient
from sdk.errors import ConfigurationError
from sdk.models import JobState
from sdk.testing import run_job, running, wait_until
from sdk.worker import (
    CallNext,
    Complete,
    Fail,
    JobContext,
    JobError,
    Middleware,
    Outcome,
    RetryPolicy,
    Worker,
)

from .handlers import handler

pytestmark = pytest.mark.anyio

STRATEGIES = ["async", "thread", "process", "inline"]


def recorder(name: str, calls: list[str]) -> Middleware:
    async def mw(job: JobContext, call_next: CallNext) -> Outcome:
        calls.append(f"{name}>")
        outcome = await call_next(job)
        calls.append(f"<{name}")
        return outcome

    mw.__qualname__ = name
    return mw


def make_worker(*middleware: Middleware) -> Worker:
    return Worker(
        "w",
        request_timeout_ms=2_000,
        grace_period_s=5,
        retry=RetryPolicy(initial_ms=0),
        middleware=middleware,
    )


class TestOrder:
    @pytest.mark.parametrize("strategy", STRATEGIES)
    async def test_worker_middleware_wraps_task_middleware_first_outermost(
        self, sdk_client: AsyncClient, strategy: str
    ) -> None:
        calls: list[str] = []

        async def enrich(job: JobContext, call_next: CallNext) -> Outcome:
            outcome = await call_next(dataclasses.replace(job, variables={"x": 20}))
            assert isinstance(outcome, Complete)
            return Complete({**outcome.variables, "enriched": True})

        worker = make_worker(recorder("a", calls), recorder("b", calls))
        worker.task("double", strategy=strategy, middleware=[recorder("c", calls), enrich])(
            handler("double", strategy)
        )
        job = await run_job(worker, sdk_client, "double", {"x": 1})
        assert job.state is JobState.COMPLETED, job.error_message
        assert calls == ["a>", "b>", "c>", "<c", "<b", "<a"]
        assert (job.variables["doubled"], job.variables["enriched"]) == (40, True)

    async def test_middleware_of_a_job_handler_class(self, sdk_client: AsyncClient) -> None:
        calls: list[str] = []
        worker = make_worker(recorder("outer", calls))

        from sdk.worker import JobHandler

        class Double(JobHandler):
            job_type = "double"
            middleware = (recorder("inner", calls),)

            async def handle(self, x: int) -> dict[str, int]:
                calls.append("handler")
                return {"doubled": 2 * x}

        worker.add_handler(Double)
        job = await run_job(worker, sdk_client, "double", {"x": 2})
        assert job.variables["doubled"] == 4
        assert calls == ["outer>", "inner>", "handler", "<inner", "<outer"]


class TestOutcomes:
    async def test_a_middleware_can_short_circuit_the_handler(
        self, sdk_client: AsyncClient
    ) -> None:
        ran: list[int] = []

        async def cached(job: JobContext, call_next: CallNext) -> Outcome:
            return Complete({"cached": True})

        worker = make_worker(cached)

        @worker.task("t")
        async def never(x: int) -> None:
            ran.append(x)

        job = await run_job(worker, sdk_client, "t", {"x": 1})
        assert (job.state, job.variables, ran) == (JobState.COMPLETED, {"x": 1, "cached": True}, [])

    async def test_a_middleware_can_replace_a_failure(self, sdk_client: AsyncClient) -> None:
        async def no_retry(job: JobContext, call_next: CallNext) -> Outcome:
            outcome = await call_next(job)
            if isinstance(outcome, Fail):
                return Fail(f"permanent: {outcome.message.splitlines()[0]}", retries=0)
            return outcome

        worker = make_worker(no_retry)
        worker.task("explode", strategy="thread")(handler("explode", "thread"))
        job = await run_job(worker, sdk_client, "explode", retries=3)
        assert (job.state, job.retries) == (JobState.INCIDENT, 0)
        assert job.error_message == "permanent: ValueError: boom"

    async def test_a_middleware_raising_job_error_throws_it(self, sdk_client: AsyncClient) -> None:
        async def guard(job: JobContext, call_next: CallNext) -> Outcome:
            raise JobError("DENIED", "not allowed")

        worker = make_worker(guard)
        worker.task("double")(handler("double", "async"))
        job = await run_job(worker, sdk_client, "double", {"x": 1})
        assert (job.state, job.error_code) == (JobState.ERROR_THROWN, "DENIED")


class TestFaults:
    async def test_a_raising_middleware_fails_its_job_and_the_worker_goes_on(
        self, sdk_client: AsyncClient
    ) -> None:
        async def picky(job: JobContext, call_next: CallNext) -> Outcome:
            if job.variables["x"] == 0:
                raise RuntimeError("zero is not welcome")
            return await call_next(job)

        worker = make_worker(picky)
        worker.task("double")(handler("double", "async"))
        bad = await sdk_client.create_job("double", {"x": 0}, retries=1)
        good = [await sdk_client.create_job("double", {"x": n}) for n in range(1, 6)]
        async with running(worker, sdk_client):

            async def all_ended() -> bool:
                jobs = [await sdk_client.get_job(key) for key in [bad, *good]]
                return all(j.state in (JobState.COMPLETED, JobState.INCIDENT) for j in jobs)

            await wait_until(all_ended)
        failed = await sdk_client.get_job(bad)
        assert failed.state is JobState.INCIDENT
        assert (failed.error_message or "").startswith(
            "middleware 'TestFaults.test_a_raising_middleware_fails_its_job_and_the_worker"
            "_goes_on.<locals>.picky' raised RuntimeError: zero is not welcome"
        )
        for n, key in enumerate(good, start=1):
            done = await sdk_client.get_job(key)
            assert (done.state, done.variables["doubled"]) == (JobState.COMPLETED, 2 * n)

    async def test_a_middleware_returning_no_outcome_fails_the_job(
        self, sdk_client: AsyncClient
    ) -> None:
        async def forgetful(job: JobContext, call_next: CallNext) -> Any:
            await call_next(job)

        worker = make_worker(forgetful)
        worker.task("double")(handler("double", "async"))
        job = await run_job(worker, sdk_client, "double", {"x": 1})
        assert job.state is JobState.INCIDENT
        assert "returned NoneType, not an Outcome" in (job.error_message or "")

    def test_a_plain_def_middleware_is_refused_at_registration(self) -> None:
        def sync_mw(job: JobContext, call_next: CallNext) -> Outcome:
            return Complete({})

        with pytest.raises(ConfigurationError, match=r"must be an 'async def mw"):
            make_worker(sync_mw)  # type: ignore[arg-type]
