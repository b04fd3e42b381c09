"""Awaited results: ``run_job`` and ``wait_for_job`` end as their job ends, through a real
worker, on every store; a wait is woken by the store's writes, across PostgreSQL replicas too."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import httpx
import pytest

from sdk.broker import RunningBroker, serve
from sdk.client import AsyncClient, Client, HttpRetryPolicy
from sdk.errors import (
    JobErrorThrownError,
    JobIncidentError,
    JobRunCancelledError,
    JobRunError,
    JobWaitTimeoutError,
    ProtocolError,
)
from sdk.models import JobState
from sdk.testing import client_for, running, wait_until
from sdk.worker import JobContext, JobError, Worker

pytestmark = pytest.mark.anyio

WAIT_S = 20.0


def resize_worker() -> Worker:
    """Handlers for every ending: ``resize`` completes, ``refuse`` throws a BPMN error,
    ``crash`` fails (with no retries left when created with one)."""
    worker = Worker("resizer", request_timeout_ms=1_000)

    @worker.task("resize")
    async def resize(job: JobContext) -> dict[str, int]:
        return {"width": job.variables["width"] * 2}

    @worker.task("refuse")
    async def refuse(job: JobContext) -> None:
        raise JobError("TOO_BIG", "the image is too big")

    @worker.task("crash")
    async def crash(job: JobContext) -> None:
        raise ValueError("the codec broke")

    return worker


@asynccontextmanager
async def worker_on(broker: RunningBroker) -> AsyncIterator[None]:
    async with client_for(broker) as client, running(resize_worker(), client):
        yield


async def only_job_of(broker: RunningBroker, job_type: str) -> str:
    async def created() -> str | None:
        jobs, _ = await broker.store.search(job_type, None, 10, None)
        return jobs[0].job_key if jobs else None

    key: str = await wait_until(created, timeout_s=WAIT_S, message=f"a {job_type} job")
    return key


class TestEndings:
    async def test_completed_job_answers_its_result_variables(
        self, broker: RunningBroker, api: AsyncClient
    ) -> None:
        async with worker_on(broker):
            result = await api.run_job("resize", {"width": 21}, timeout_s=WAIT_S)
        assert result == {"width": 42}  # the result, not the input merged into it

    async def test_completion_without_variables_answers_an_empty_result(
        self, broker: RunningBroker, api: AsyncClient
    ) -> None:
        worker = Worker("quiet", request_timeout_ms=1_000)

        @worker.task("quiet")
        async def quiet(job: JobContext) -> None:
            return None

        async with client_for(broker) as client, running(worker, client):
            assert await api.run_job("quiet", {"ignored": 1}, timeout_s=WAIT_S) == {}

    async def test_thrown_error_raises_its_code_and_message(
        self, broker: RunningBroker, api: AsyncClient
    ) -> None:
        async with worker_on(broker):
            with pytest.raises(JobErrorThrownError) as caught:
                await api.run_job("refuse", {}, timeout_s=WAIT_S)
        assert caught.value.code == "TOO_BIG"
        assert caught.value.message == "the image is too big"
        job = await api.get_job(caught.value.job_key)
        assert job.state is JobState.ERROR_THROWN

    async def test_incident_raises_the_failure_message(
        self, broker: RunningBroker, api: AsyncClient
    ) -> None:
        async with worker_on(broker):
            with pytest.raises(JobIncidentError) as caught:
                await api.run_job("crash", {}, timeout_s=WAIT_S, retries=1)
        assert "the codec broke" in caught.value.message
        assert (await api.get_job(caught.value.job_key)).state is JobState.INCIDENT

    async def test_cancelled_job_raises_cancelled(
        self, broker: RunningBroker, api: AsyncClient
    ) -> None:
        raised: list[BaseException] = []

        async def run() -> None:
            try:
                await api.run_job("nobody-runs-it", {}, timeout_s=WAIT_S)
            except JobRunError as exc:
                raised.append(exc)

        async with anyio.create_task_group() as tg:
            tg.start_soon(run)
            key = await only_job_of(broker, "nobody-runs-it")
            await api.cancel_job(key)
        assert len(raised) == 1
        assert isinstance(raised[0], JobRunCancelledError)
        assert raised[0].job_key == key

    async def test_timeout_leaves_the_job_going_and_wait_for_job_gets_it_later(
        self, broker: RunningBroker, api: AsyncClient
    ) -> None:
        with pytest.raises(JobWaitTimeoutError) as caught:
            await api.run_job("resize", {"width": 5}, timeout_s=0.3)
        key = caught.value.job_key
        assert (await api.get_job(key)).state is JobState.ACTIVATABLE
        with pytest.raises(JobWaitTimeoutError):
            await api.wait_for_job(key, timeout_s=0)  # not ended: answered at once
        async with worker_on(broker):
            assert await api.wait_for_job(key, timeout_s=WAIT_S) == {"width": 10}
        assert await api.wait_for_job(key, timeout_s=0) == {"width": 10}  # kept

    async def test_waiters_of_one_job_are_all_answered(
        self, broker: RunningBroker, api: AsyncClient
    ) -> None:
        key = await api.create_job("resize", {"width": 1})
        answers: list[dict[str, object]] = []

        async def wait() -> None:
            answers.append(await api.wait_for_job(key, timeout_s=WAIT_S))

        async with anyio.create_task_group() as tg:
            for _ in range(3):
                tg.start_soon(wait)
            await wait_until(lambda: len(broker.store.results._waiting.get(int(key), ())) == 3)
            async with worker_on(broker):
                await wait_until(lambda: len(answers) == 3, timeout_s=WAIT_S)
        assert answers == [{"width": 2}] * 3


@pytest.mark.parametrize("store_path", [":memory:"])
class TestWire:
    async def test_timeout_answers_504_naming_the_result_route(
        self, broker: RunningBroker, http: httpx.AsyncClient
    ) -> None:
        created = await http.post(
            "/ext/jobs",
            json={"jobs": [{"type": "slow"}], "awaitCompletion": True, "requestTimeout": 50},
        )
        assert created.status_code == 504
        assert created.headers["content-type"] == "application/problem+json"
        problem = created.json()
        key = await only_job_of(broker, "slow")
        assert problem["title"] == "DEADLINE_EXCEEDED"
        assert problem["instance"] == f"/v2/ext/jobs/{key}/result"
        again = await http.get(f"/ext/jobs/{key}/result", params={"timeout": "0"})
        assert again.status_code == 504

    async def test_ended_job_answers_its_result(
        self, broker: RunningBroker, http: httpx.AsyncClient, api: AsyncClient
    ) -> None:
        key = await api.create_job("x")
        await api.cancel_job(key)
        answer = await http.get(f"/ext/jobs/{key}/result")
        assert answer.status_code == 200
        assert answer.json() == {
            "jobKey": key,
            "state": "CANCELED",
            "variables": {},
            "errorCode": None,
            "errorMessage": None,
        }

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"jobs": [{"type": "a"}, {"type": "b"}], "awaitCompletion": True}, "awaitCompletion"),
            ({"jobs": [{"type": "a"}], "awaitCompletion": True, "requestTimeout": -1}, "request"),
        ],
    )
    async def test_bad_awaited_creation_is_refused_naming_the_field(
        self, http: httpx.AsyncClient, body: dict[str, object], field: str
    ) -> None:
        answer = await http.post("/ext/jobs", json=body)
        assert answer.status_code == 400
        assert field in answer.json()["detail"]

    async def test_bad_timeout_and_unknown_job_are_refused(self, http: httpx.AsyncClient) -> None:
        bad = await http.get("/ext/jobs/1/result", params={"timeout": "soon"})
        assert bad.status_code == 400
        assert "timeout" in bad.json()["detail"]
        assert (await http.get("/ext/jobs/1/result")).status_code == 404

    async def test_sync_client_runs_a_job(self, broker: RunningBroker) -> None:
        def run() -> dict[str, object]:
            config = {"CAMUNDA_REST_ADDRESS": broker.url, "CAMUNDA_AUTH_STRATEGY": "NONE"}
            with Client(configuration=config) as client:
                return client.run_job("resize", {"width": 4}, timeout_s=WAIT_S)

        async with worker_on(broker):
            assert await anyio.to_thread.run_sync(run) == {"width": 8}


async def test_a_server_without_results_is_not_supported() -> None:
    def camunda(request: httpx.Request) -> httpx.Response:
        problem = {"type": "about:blank", "title": "NOT_FOUND", "status": 404, "detail": ""}
        return httpx.Response(404, json=problem)

    config = {"CAMUNDA_REST_ADDRESS": "http://cluster", "CAMUNDA_AUTH_STRATEGY": "NONE"}
    async with AsyncClient(
        configuration=config,
        transport=httpx.MockTransport(camunda),
        retry=HttpRetryPolicy.off(),
    ) as client:
        with pytest.raises(
            ProtocolError, match="awaited job results are not supported by this server"
        ):
            await client.run_job("resize", {}, timeout_s=1)
        with pytest.raises(
            ProtocolError, match="awaited job results are not supported by this server"
        ):
            await client.wait_for_job("2251799813685249", timeout_s=1)


async def test_a_waiter_on_one_replica_is_woken_by_a_completion_through_another(
    postgres_url: str,
) -> None:
    async with anyio.create_task_group() as tg:
        first: RunningBroker = await tg.start(serve, postgres_url, "127.0.0.1", 0)
        second: RunningBroker = await tg.start(serve, postgres_url, "127.0.0.1", 0)
        async with client_for(first) as on_first, client_for(second) as on_second:
            key = await on_first.create_job("resize", {"width": 30})
            answers: list[dict[str, object]] = []

            async def wait() -> None:
                answers.append(await on_first.wait_for_job(key, timeout_s=WAIT_S))

            tg.start_soon(wait)
            await wait_until(lambda: int(key) in first.store.results._waiting)
            (job,) = await on_second.activate_jobs("resize", max_jobs=1, timeout_ms=30_000)
            await on_second.complete_job(job.job_key, {"width": 60})
            await wait_until(lambda: answers, timeout_s=WAIT_S, message="the waiter answered")
        assert answers == [{"width": 60}]
        tg.cancel_scope.cancel()
