"""``job.report_progress`` from each strategy reaches the broker coalesced (at most one report
a second per job, the latest not lost), is stored on both stores and read back with the job;
a server without the extension is sent nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import httpx
import pytest
from loguru import logger

from sdk.broker import RunningBroker, serve
from sdk.client import AsyncClient, HttpRetryPolicy
from sdk.models import ActivatedJob, JobKey, JobState
from sdk.testing import client_for, running, wait_until
from sdk.worker import JobContext, Worker
from sdk.worker.runtime import ProgressSender

from .progress_handlers import STEPS, last_step, released, reporting, reporting_async

pytestmark = pytest.mark.anyio

WAIT_S = 20.0


@pytest.fixture(params=["sqlite", "postgres"])
async def broker(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[RunningBroker]:
    path = str(tmp_path / "jobs.sqlite3")
    if request.param == "postgres":
        path = request.getfixturevalue("postgres_url")
    async with anyio.create_task_group() as tg:
        running_broker: RunningBroker = await tg.start(serve, path, "127.0.0.1", 0)
        yield running_broker
        tg.cancel_scope.cancel()


@pytest.mark.parametrize("strategy", ["async", "thread", "process"])
async def test_progress_is_stored_coalesced_and_the_latest_is_not_lost(
    broker: RunningBroker, strategy: str, tmp_path: Path
) -> None:
    release = tmp_path / "release"
    worker = Worker("progress", request_timeout_ms=1_000)
    handler = reporting_async if strategy == "async" else reporting
    worker.task("render", strategy=strategy)(handler)
    sent: list[tuple[float, str]] = []
    async with client_for(broker) as api, client_for(broker) as client:
        send = client.report_job_progress

        async def counted(job_key: JobKey | str | int, fraction: float, message: str = "") -> None:
            sent.append((fraction, message))
            await send(job_key, fraction, message)

        client.report_job_progress = counted  # type: ignore[method-assign]
        key = await api.create_job("render", {"release": str(release)})
        async with running(worker, client):

            async def latest_stored() -> bool:
                job = await api.get_job(key)
                return (job.progress, job.progress_message) == last_step()

            await wait_until(latest_stored, timeout_s=WAIT_S, message="the last step stored")
            running_job = await api.get_job(key)
            release.touch()
            released(str(release)).set()
            await wait_until(lambda: _state_is(api, key, JobState.COMPLETED), timeout_s=WAIT_S)
    assert running_job.state is JobState.ACTIVATED
    assert running_job.progress_at is not None
    assert sent[-1] == last_step()
    assert 1 <= len(sent) <= 2 < STEPS  # the first at once, then only the latest a second on


async def _state_is(api: AsyncClient, key: str, state: JobState) -> bool:
    return (await api.get_job(key)).state is state


async def test_progress_of_a_running_job_is_kept_and_shown_on_its_page(
    broker: RunningBroker,
) -> None:
    async with client_for(broker) as api:
        key = await api.create_job("idle")
        answer = await _post_progress(broker, key, {"fraction": 0.5})
        assert answer.status_code == 409
        (job,) = await api.activate_jobs("idle", max_jobs=1, timeout_ms=30_000)
        await api.report_job_progress(job.job_key, 1, "done")
        stored = await api.get_job(key)
        assert (stored.progress, stored.progress_message) == (1.0, "done")
        async with httpx.AsyncClient(base_url=broker.url.removesuffix("/v2")) as http:
            page = (await http.get(f"/ui/jobs/{key}")).text
        assert 'id="job-progress"' in page
        assert "100%" in page
        assert "done" in page


@pytest.mark.parametrize(
    "body", [{"fraction": 1.5}, {"fraction": -0.1}, {"fraction": "half"}, {"message": "x"}]
)
async def test_bad_progress_is_refused_naming_the_field(
    broker: RunningBroker, body: dict[str, object]
) -> None:
    answer = await _post_progress(broker, "2251799813685249", body)
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/problem+json"
    assert "fraction" in answer.json()["detail"]


async def _post_progress(
    broker: RunningBroker, key: str, body: dict[str, object]
) -> httpx.Response:
    async with httpx.AsyncClient(base_url=broker.url) as http:
        return await http.post(f"/ext/jobs/{key}/progress", json=body)


@pytest.mark.parametrize("fraction", [1.01, -1, float("nan"), True])
def test_report_progress_refuses_what_is_not_a_fraction(fraction: float) -> None:
    job = ActivatedJob(job_key="1", type="t", retries=1, deadline=0)
    with pytest.raises(ValueError, match="fraction from 0 to 1"):
        JobContext.of(job, "w", progress=lambda f, m: None).report_progress(fraction)


async def test_a_server_without_progress_is_sent_nothing_and_it_is_logged_once() -> None:
    asked: list[str] = []

    def camunda(request: httpx.Request) -> httpx.Response:
        asked.append(f"{request.method} {request.url.path}")
        problem = {"type": "about:blank", "title": "NOT_FOUND", "status": 404, "detail": ""}
        return httpx.Response(404, json=problem)

    lines: list[str] = []
    sink = logger.add(lines.append, level="DEBUG", format="{message}")
    config = {"CAMUNDA_REST_ADDRESS": "http://cluster", "CAMUNDA_AUTH_STRATEGY": "NONE"}
    try:
        async with AsyncClient(
            configuration=config,
            transport=httpx.MockTransport(camunda),
            retry=HttpRetryPolicy.off(),
        ) as client:
            sender = ProgressSender(client, logger)
            async with anyio.create_task_group() as tg:
                tg.start_soon(sender.run)
                sender.offer("1", 0.5, "half")
                sender.offer("2", 0.5, "half")
                await wait_until(lambda: asked, message="the extension discovery")
                sender.offer("3", 0.7, "more")
                await wait_until(lambda: sender.idle, message="every report handled")
                tg.cancel_scope.cancel()
    finally:
        logger.remove(sink)
    assert asked == ["GET /v2/ext/capabilities"]
    assert sum("does not keep job progress" in line for line in lines) == 1
