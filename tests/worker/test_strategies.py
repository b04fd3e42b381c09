"""The worker contract, run once per execution strategy against a real broker on loopback."""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from functools import partial
from typing import Any

import anyio
import pytest

from sdk.broker import RunningBroker
from sdk.client import AsyncClient
from sdk.models import Capabilities, JobKey, JobState
from sdk.testing import client_for, running, wait_until
from sdk.worker import JobContext, RetryPolicy, Worker

from .handlers import handler, stamp

pytestmark = pytest.mark.anyio

STRATEGIES = ["async", "thread", "process", "inline"]
NO_BACKOFF = RetryPolicy(initial_ms=0)


@pytest.fixture(params=STRATEGIES)
def strategy(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def make_worker(
    name: str,
    job_type: str,
    func_name: str,
    strategy: str,
    timeout_ms: int | None = None,
    max_jobs: int | None = None,
    lease_extension: bool = True,
) -> Worker:
    worker = Worker(name, request_timeout_ms=2_000, retry=NO_BACKOFF, grace_period_s=5)
    worker.task(
        job_type,
        strategy=strategy,
        timeout_ms=timeout_ms,
        max_jobs=max_jobs,
        lease_extension=lease_extension,
    )(handler(func_name, strategy))
    return worker


async def ended(client: AsyncClient, key: JobKey, state: JobState) -> bool:
    return (await client.get_job(key)).state is state


class TestOutcomes:
    async def test_returned_variables_complete_the_job(
        self, sdk_client: AsyncClient, strategy: str
    ) -> None:
        keys = [await sdk_client.create_job("double", {"x": n}) for n in range(5)]
        async with running(make_worker("w", "double", "double", strategy), sdk_client):
            for key in keys:
                await wait_until(partial(ended, sdk_client, key, JobState.COMPLETED))
        for n, key in enumerate(keys):
            job = await sdk_client.get_job(key)
            assert job.variables == {"x": n, "doubled": 2 * n}

    async def test_exception_fails_with_retries_decremented_then_incident(
        self, sdk_client: AsyncClient, strategy: str
    ) -> None:
        key = await sdk_client.create_job("explode", retries=2)
        async with running(make_worker("w", "explode", "explode", strategy), sdk_client):
            await wait_until(lambda: ended(sdk_client, key, JobState.INCIDENT))
        job = await sdk_client.get_job(key)
        assert job.retries == 0
        assert job.error_message is not None
        assert job.error_message.startswith("ValueError: boom")
        # a child process that starts slowly may have its lease checked (TIMEOUT_UPDATED)
        events = [e.event for e in job.history or [] if e.event != "TIMEOUT_UPDATED"]
        assert events == ["CREATED", "ACTIVATED", "FAILED", "ACTIVATED", "INCIDENT"]
        assert [e.retries for e in job.history or [] if e.event in {"FAILED", "INCIDENT"}] == [1, 0]

    async def test_job_error_throws_its_code(self, sdk_client: AsyncClient, strategy: str) -> None:
        key = await sdk_client.create_job("reject")
        async with running(make_worker("w", "reject", "reject", strategy), sdk_client):
            await wait_until(lambda: ended(sdk_client, key, JobState.ERROR_THROWN))
        job = await sdk_client.get_job(key)
        assert (job.error_code, job.error_message) == ("REJECTED", "not today")
        assert job.variables == {"why": "test"}

    async def test_unsupported_return_value_fails_with_a_clear_message(
        self, sdk_client: AsyncClient, strategy: str
    ) -> None:
        key = await sdk_client.create_job("wrong", retries=1)
        async with running(make_worker("w", "wrong", "wrong_return", strategy), sdk_client):
            await wait_until(lambda: ended(sdk_client, key, JobState.INCIDENT))
        message = (await sdk_client.get_job(key)).error_message or ""
        assert message.startswith("handler returned int; return a dict")

    async def test_missing_variable_fails_with_its_name(
        self, sdk_client: AsyncClient, strategy: str
    ) -> None:
        key = await sdk_client.create_job("double", {"y": 1}, retries=1)
        async with running(make_worker("w", "double", "double", strategy), sdk_client):
            await wait_until(lambda: ended(sdk_client, key, JobState.INCIDENT))
        assert "variable 'x' is missing" in ((await sdk_client.get_job(key)).error_message or "")


class TestTimeout:
    @pytest.mark.parametrize("slow_strategy", ["async", "thread", "process"])
    async def test_handler_past_its_timeout_does_not_complete_the_reassigned_job(
        self, sdk_broker: RunningBroker, sdk_client: AsyncClient, slow_strategy: str
    ) -> None:
        slow = make_worker(
            "slow", "sleepy", "sleepy", slow_strategy, 300, max_jobs=1, lease_extension=False
        )
        fast = Worker("fast", request_timeout_ms=2_000)
        fast.task("sleepy")(stamp)
        key = await sdk_client.create_job("sleepy", {"delay_s": 1.5})

        async def activations_by_slow() -> int:
            history = (await sdk_client.get_job(key)).history or []
            return sum(1 for e in history if (e.event, e.worker) == ("ACTIVATED", "slow"))

        async with client_for(sdk_broker) as slow_client, running(slow, slow_client):
            # With one slot, a second activation proves the worker let go of the first run at
            # its 300 ms timeout instead of waiting for the 1.5 s handler.
            await wait_until(lambda: _at_least(activations_by_slow(), 2), timeout_s=1.2)
        async with running(fast, sdk_client):
            await wait_until(lambda: ended(sdk_client, key, JobState.COMPLETED))
        job = await sdk_client.get_job(key)
        assert job.variables["by"] == "fast"
        events = [(e.event, e.worker) for e in job.history or []]
        assert ("TIMED_OUT", "slow") in events
        assert [e for e in events if e[0] == "COMPLETED"] == [("COMPLETED", "fast")]


async def _at_least(value: Awaitable[int], expected: int) -> bool:
    return await value >= expected


class TestCapacity:
    async def test_never_holds_more_jobs_than_max_jobs(self, sdk_client: AsyncClient) -> None:
        release = anyio.Event()
        running_now = 0
        peak = 0
        worker = Worker("cap", request_timeout_ms=2_000)

        @worker.task("gate", max_jobs=2)
        async def gate() -> None:
            nonlocal running_now, peak
            running_now += 1
            peak = max(peak, running_now)
            await release.wait()
            running_now -= 1

        keys = [await sdk_client.create_job("gate") for _ in range(5)]
        async with running(worker, sdk_client):
            await wait_until(lambda: worker.in_flight == 2)
            activated = await sdk_client.search_jobs(job_type="gate", state=JobState.ACTIVATED)
            assert len(activated.items) == 2
            release.set()
            for key in keys:
                await wait_until(partial(ended, sdk_client, key, JobState.COMPLETED))
        assert peak == 2


class GatedReports(AsyncClient):
    """Reports per job (as to a Camunda cluster), each held until ``gate`` opens."""

    def __init__(self, configuration: Mapping[str, Any]) -> None:
        super().__init__(configuration=configuration)
        self.gate = anyio.Event()
        self.held = 0

    async def capabilities(self) -> Capabilities | None:
        return None

    async def complete_job(
        self,
        job_key: JobKey | str | int,
        variables: Mapping[str, Any] | None = None,
        *,
        lease_token: str | None = None,
    ) -> None:
        self.held += 1
        await self.gate.wait()
        await super().complete_job(job_key, variables, lease_token=lease_token)


class TestSlots:
    async def test_a_slot_frees_when_its_handler_returns_and_unanswered_reports_are_bounded(
        self, sdk_broker: RunningBroker, sdk_client: AsyncClient
    ) -> None:
        started: list[str] = []
        worker = Worker("slots", request_timeout_ms=2_000)

        @worker.task("quick", max_jobs=1)
        async def quick(job: JobContext) -> None:
            started.append(job.job_key)

        keys = [await sdk_client.create_job("quick") for _ in range(4)]
        config = {"CAMUNDA_REST_ADDRESS": sdk_broker.url, "CAMUNDA_AUTH_STRATEGY": "NONE"}
        client = GatedReports(config)
        async with client, running(worker, client):
            # the second job runs while the first one's report is still unanswered ...
            await wait_until(lambda: client.held == 2)
            assert len(started) == 2
            # ... and with as many reports waiting as there are slots, polling pauses
            activated = await sdk_client.search_jobs(job_type="quick", state=JobState.ACTIVATED)
            assert sorted(job.job_key for job in activated.items) == sorted(started)
            client.gate.set()
            for key in keys:
                await wait_until(partial(ended, sdk_client, key, JobState.COMPLETED))
        assert sorted(started) == sorted(keys)
