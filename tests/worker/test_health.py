"""The worker's HTTP endpoint: liveness, readiness and Prometheus metrics of real jobs."""

from __future__ import annotations

import socket
from functools import partial
from typing import Any

import anyio
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from sdk.client import AsyncClient
from sdk.errors import ConfigurationError
from sdk.models import JobKey, JobState
from sdk.testing import running, wait_until
from sdk.worker import RetryPolicy, Worker

from .handlers import double, explode, reject
from _support.ports import free_port

pytestmark = pytest.mark.anyio


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def get(url: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=5) as http:
        return await http.get(url)


async def ready_reason(worker: Worker) -> Any:
    assert worker.http_url is not None
    return (await get(worker.http_url + "/readyz")).json()["reason"]


async def ended(client: AsyncClient, keys: list[JobKey]) -> bool:
    states = [(await client.get_job(k)).state for k in keys]
    return all(s in (JobState.COMPLETED, JobState.INCIDENT, JobState.ERROR_THROWN) for s in states)


class TestMetrics:
    async def test_counts_match_the_jobs_processed(self, sdk_client: AsyncClient) -> None:
        worker = Worker("m", request_timeout_ms=1_000, retry=RetryPolicy(initial_ms=0), http_port=0)
        worker.task("double", strategy="inline")(double)
        worker.task("explode", strategy="inline")(explode)
        worker.task("reject", strategy="inline")(reject)
        keys = [await sdk_client.create_job("double", {"x": n}) for n in range(3)]
        keys += [await sdk_client.create_job("explode", retries=2)]  # fails twice: incident
        keys += [await sdk_client.create_job("reject")]
        async with running(worker, sdk_client):
            await wait_until(partial(ended, sdk_client, keys))
            assert worker.http_url is not None
            response = await get(worker.http_url + "/metrics")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain; version=")
        got = samples(response.text)

        def value(name: str, job_type: str) -> float:
            return got[(name, (("job_type", job_type),))]

        assert value("sdk_worker_jobs_activated_total", "double") == 3
        assert value("sdk_worker_jobs_completed_total", "double") == 3
        assert value("sdk_worker_jobs_activated_total", "explode") == 2
        assert value("sdk_worker_jobs_failed_total", "explode") == 2
        assert value("sdk_worker_jobs_errored_total", "reject") == 1
        assert value("sdk_worker_jobs_completed_total", "reject") == 0
        assert value("sdk_worker_handler_duration_seconds_count", "double") == 3
        assert value("sdk_worker_jobs_in_flight", "double") == 0
        assert value("sdk_worker_poll_errors_total", "double") == 0
        assert value("sdk_worker_lease_extensions_total", "double") == 0
        assert got[("sdk_worker_server_up", ())] == 1
        assert not [k for k in got if k[0] == "sdk_worker_jobs_abandoned_total"]

    def test_each_worker_has_its_own_registry(self) -> None:
        assert Worker().metrics_registry is not Worker().metrics_registry


class TestProbes:
    async def test_readyz_turns_503_while_draining_and_healthz_stays_200(
        self, sdk_client: AsyncClient
    ) -> None:
        release, started = anyio.Event(), anyio.Event()
        worker = Worker("probe", request_timeout_ms=1_000, http_port=0)

        @worker.task("gate")
        async def gate() -> None:
            started.set()
            await release.wait()

        key = await sdk_client.create_job("gate")
        async with running(worker, sdk_client):
            await started.wait()
            assert await wait_until(lambda: worker.http_url) is not None
            assert await ready_reason(worker) == "ready"
            worker.stop()  # drains: the running job may finish, nothing new is taken
            assert (await ready_reason(worker)).startswith("draining")
            url = worker.http_url
            assert url is not None
            readyz, healthz = await get(url + "/readyz"), await get(url + "/healthz")
            assert (readyz.status_code, healthz.status_code) == (503, 200)
            assert healthz.json() == {"status": "alive", "worker": "probe", "in_flight": 1}
            release.set()
        assert (await sdk_client.get_job(key)).state is JobState.COMPLETED
        assert worker.http_url is None  # the endpoint ends with the worker

    async def test_readyz_is_503_while_the_server_cannot_be_reached(self) -> None:
        worker = Worker("lonely", request_timeout_ms=1_000, http_port=0)
        worker.task("any", strategy="inline")(double)
        config = {"CAMUNDA_REST_ADDRESS": f"http://127.0.0.1:{free_port()}"}
        async with AsyncClient(configuration=config) as client, running(worker, client):
            await wait_until(lambda: worker.http_url)
            assert await wait_until(partial(ready_reason, worker)) in (
                "server unreachable",
                "server not reached yet",
            )
            await wait_until(lambda: _is(ready_reason(worker), "server unreachable"), timeout_s=20)

    async def test_other_paths_and_methods_are_refused(self, sdk_client: AsyncClient) -> None:
        worker = Worker("paths", request_timeout_ms=1_000, http_port=0)
        worker.task("any", strategy="inline")(double)
        async with running(worker, sdk_client):
            url = await wait_until(lambda: worker.http_url)
            async with httpx.AsyncClient(timeout=5) as http:
                missing = await http.get(url + "/nope")
                posted = await http.post(url + "/metrics")
        assert missing.status_code == 404
        assert (posted.status_code, posted.headers["allow"]) == (405, "GET, HEAD")

    async def test_a_taken_port_is_a_clear_start_up_error(self, sdk_client: AsyncClient) -> None:
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            worker = Worker("w", http_port=port)
            worker.task("any", strategy="inline")(double)
            with pytest.raises(ConfigurationError, match=f"health endpoint on 127.0.0.1:{port}"):
                await worker.run(sdk_client)


async def _is(value: Any, expected: Any) -> bool:
    return bool(await value == expected)
