"""Lease extension: long handlers keep their job; a job taken away stops its handler."""

from __future__ import annotations

from functools import partial

import anyio
import httpx
import pytest
from loguru import logger
from prometheus_client.parser import text_string_to_metric_families

from sdk.broker import RunningBroker
from sdk.client import AsyncClient, HttpRetryPolicy
from sdk.models import Job, JobKey, JobState
from sdk.testing import client_for, running, wait_until
from sdk.worker import LeaseExtension, RetryPolicy, Worker
from sdk.worker.runtime._lease import COMPACT_AFTER, LeaseKeeper

from .handlers import handler, stamp

pytestmark = pytest.mark.anyio

LEASE_MS = 1_500
RUN_S = 3 * LEASE_MS / 1000


def metric(worker: Worker, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(worker.render_metrics().decode()):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0


async def state_of(client: AsyncClient, key: JobKey, *states: JobState) -> Job | None:
    job = await client.get_job(key)
    return job if job.state in states else None


class TestExtension:
    async def test_a_job_running_three_leases_long_stays_with_its_worker(
        self, sdk_broker: RunningBroker, sdk_client: AsyncClient
    ) -> None:
        keeper = Worker("keeper", request_timeout_ms=1_000)
        rival = Worker("rival", request_timeout_ms=1_000)
        strategies = ("async", "thread", "process")
        for strategy in strategies:
            keeper.task(f"long-{strategy}", strategy=strategy, timeout_ms=LEASE_MS)(
                handler("sleepy", strategy)
            )
            rival.task(f"long-{strategy}")(stamp)  # would take any job whose lease lapsed
        keys = [await sdk_client.create_job(f"long-{s}", {"delay_s": RUN_S}) for s in strategies]
        async with running(keeper, sdk_client):
            for key in keys:
                await wait_until(partial(state_of, sdk_client, key, JobState.ACTIVATED))
            # From now on a second worker polls the same types: it gets a job only if its
            # lease lapses, which extension must prevent.
            async with client_for(sdk_broker) as rival_client, running(rival, rival_client):
                for key in keys:
                    await wait_until(
                        partial(state_of, sdk_client, key, JobState.COMPLETED),
                        timeout_s=RUN_S + 10,
                    )
        for strategy, key in zip(strategies, keys, strict=True):
            job = await sdk_client.get_job(key)
            events = [e.event for e in job.history or []]
            assert job.variables["by"] == "keeper", strategy
            assert events.count("ACTIVATED") == 1, (strategy, events)
            assert events.count("TIMEOUT_UPDATED") >= 2, (strategy, events)
            assert "TIMED_OUT" not in events, (strategy, events)
            extensions = metric(keeper, "sdk_worker_lease_extensions_total", job_type=job.type)
            assert extensions == events.count("TIMEOUT_UPDATED")

    async def test_a_job_taken_away_stops_its_handler_and_is_not_reported(
        self, sdk_client: AsyncClient
    ) -> None:
        started, cancelled = anyio.Event(), anyio.Event()
        worker = Worker("w", request_timeout_ms=1_000)

        @worker.task("doomed", timeout_ms=1_000)
        async def doomed() -> dict[str, str]:
            started.set()
            try:
                await anyio.sleep(30)
            except anyio.get_cancelled_exc_class():
                cancelled.set()
                raise
            return {"finished": "yes"}

        key = await sdk_client.create_job("doomed")
        async with running(worker, sdk_client):
            await started.wait()
            await sdk_client.cancel_job(key)  # the next extension answers 404/409
            with anyio.fail_after(10):
                await cancelled.wait()
            await wait_until(lambda: metric(worker, "sdk_worker_jobs_abandoned_total") == 1)
        job = await sdk_client.get_job(key)
        assert job.state is JobState.CANCELED
        assert "finished" not in job.variables
        assert metric(worker, "sdk_worker_jobs_abandoned_total", reason="lost") == 1
        assert metric(worker, "sdk_worker_jobs_failed_total", job_type="doomed") == 0

    async def test_max_run_time_bounds_a_handler_whose_lease_is_extended(
        self, sdk_client: AsyncClient
    ) -> None:
        worker = Worker("w", request_timeout_ms=1_000, retry=RetryPolicy(initial_ms=0))
        worker.task(
            "hangs",
            strategy="async",
            timeout_ms=1_000,
            lease_extension=LeaseExtension(max_run_time_ms=1_500),
        )(handler("sleepy", "async"))
        key = await sdk_client.create_job("hangs", {"delay_s": 60}, retries=1)
        async with running(worker, sdk_client):
            job = await wait_until(lambda: state_of(sdk_client, key, JobState.INCIDENT))
        assert (job.error_message or "").startswith(
            "handler still running after max_run_time_ms=1500; stopped"
        )
        events = [e.event for e in job.history or []]
        assert "TIMEOUT_UPDATED" in events  # extended until the bound stopped it
        assert "TIMED_OUT" not in events


class FlakyPatches(httpx.AsyncBaseTransport):
    """Answers the first ``failures`` PATCH requests with 503; passes everything else on."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "PATCH" and self.failures > 0:
            self.failures -= 1
            problem = {"type": "about:blank", "title": "RESOURCE_EXHAUSTED", "status": 503}
            return httpx.Response(503, json={**problem, "detail": "busy", "instance": "/"})
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


class TestPassingFaults:
    async def test_a_refused_extension_is_retried_before_the_lease_ends(
        self, sdk_broker: RunningBroker, sdk_client: AsyncClient
    ) -> None:
        flaky = FlakyPatches(failures=3)
        worker = Worker("w", request_timeout_ms=1_000)
        worker.task("long", strategy="async", timeout_ms=LEASE_MS)(handler("sleepy", "async"))
        key = await sdk_client.create_job("long", {"delay_s": 2 * LEASE_MS / 1000})
        config = {"CAMUNDA_REST_ADDRESS": sdk_broker.url, "CAMUNDA_AUTH_STRATEGY": "NONE"}
        # The client's own retries off: the worker's lease keeper must cope by itself.
        client = AsyncClient(configuration=config, transport=flaky, retry=HttpRetryPolicy.off())
        async with client, running(worker, client):
            job = await wait_until(partial(state_of, sdk_client, key, JobState.COMPLETED))
        events = [e.event for e in job.history or []]
        assert flaky.failures == 0
        assert events.count("ACTIVATED") == 1, events
        assert "TIMEOUT_UPDATED" in events and "TIMED_OUT" not in events, events


class TestKeeper:
    async def test_jobs_ending_before_their_first_extension_do_not_pile_up(
        self, sdk_client: AsyncClient
    ) -> None:
        await sdk_client.create_job("short")
        (job,) = await sdk_client.activate_jobs("short", max_jobs=1, timeout_ms=60_000)
        keeper = LeaseKeeper(sdk_client, 60_000, LeaseExtension(), logger, lambda: None)
        for _ in range(10 * COMPACT_AFTER):
            scope = anyio.CancelScope(deadline=anyio.current_time() + 60)  # never entered
            keeper.release(keeper.track(job, scope))
        assert len(keeper._due) <= 2 * COMPACT_AFTER


class TestSettings:
    def test_the_worker_default_applies_unless_the_task_says_otherwise(self) -> None:
        worker = Worker(lease_extension=False)
        worker.task("a")(stamp)
        worker.task("b", lease_extension=LeaseExtension(at_fraction=0.25))(stamp)
        assert worker.tasks["a"].lease_extension.enabled is False
        assert worker.tasks["b"].lease_extension == LeaseExtension(at_fraction=0.25)
        assert Worker().lease_extension == LeaseExtension()  # on by default, at half the lease

    @pytest.mark.parametrize("fraction", [0, 1, 1.5])
    def test_a_fraction_outside_0_and_1_is_refused(self, fraction: float) -> None:
        with pytest.raises(ValueError, match="at_fraction must be between 0 and 1"):
            LeaseExtension(at_fraction=fraction)
