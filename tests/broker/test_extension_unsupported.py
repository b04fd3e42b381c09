"""Every ``/v2/ext`` call of the client against a server without the sdk broker's extensions
(a stand-in for a Camunda cluster: 404 or 405 on every extension route) raises
``ExtensionUnsupportedError`` naming the extension; against the broker, a 404 on a route
naming one job or schedule stays the ``NotFoundError`` of that thing."""

from __future__ import annotations

import pickle
from collections.abc import Awaitable, Callable
from typing import Any

import anyio.to_thread
import httpx
import pytest

from sdk.broker import RunningBroker
from sdk.client import AsyncClient, Client, HttpRetryPolicy
from sdk.errors import ExtensionUnsupportedError, NotFoundError, ProtocolError
from sdk.models import JobKey, JobReport, JobSpec, ReportKind

pytestmark = pytest.mark.anyio

UNKNOWN_JOB = "2251799813685249"
REPORT = JobReport(job_key=JobKey(UNKNOWN_JOB), kind=ReportKind.COMPLETE)
CAMUNDA_404 = {"type": "about:blank", "title": "NOT_FOUND", "status": 404, "detail": ""}

Use = Callable[[AsyncClient], Awaitable[Any]]


async def _first_event(api: AsyncClient) -> object:
    return await anext(aiter(api.follow_job_events(mode="poll")))


CALLS: list[tuple[str, Use]] = [
    ("jobs.create", lambda api: api.create_job("mail")),
    ("jobs.create", lambda api: api.create_jobs([JobSpec(type="mail")], idempotency_key="k")),
    ("jobs.get", lambda api: api.get_job(UNKNOWN_JOB)),
    ("jobs.cancel", lambda api: api.cancel_job(UNKNOWN_JOB)),
    ("jobs.search", lambda api: api.search_jobs(job_type="mail")),
    ("jobs.report-batch", lambda api: api.report_jobs([REPORT])),
    ("job-types.limits", lambda api: api.set_job_type_limits("mail", max_active=1)),
    ("job-types.limits", lambda api: api.get_job_type_limits("mail")),
    ("job-types.limits", lambda api: api.list_job_type_limits()),
    ("job-types.limits", lambda api: api.clear_job_type_limits("mail")),
    ("jobs.bulk", lambda api: api.bulk_jobs("cancel", job_type="mail")),
    ("schedules", lambda api: api.put_schedule("nightly", "mail", cron="0 3 * * *")),
    ("schedules", lambda api: api.get_schedule("nightly")),
    ("schedules", lambda api: api.list_schedules()),
    ("schedules", lambda api: api.pause_schedule("nightly")),
    ("schedules", lambda api: api.delete_schedule("nightly")),
    ("jobs.result", lambda api: api.run_job("mail", {}, timeout_s=1)),
    ("jobs.result", lambda api: api.wait_for_job(UNKNOWN_JOB, timeout_s=1)),
    ("jobs.progress", lambda api: api.report_job_progress(UNKNOWN_JOB, 0.5)),
    ("events", _first_event),
]
IDS = [f"{name}-{i}" for i, (name, _) in enumerate(CALLS)]


class Camunda:
    """A server with none of the extension routes: ``status`` for each, counting the asks."""

    def __init__(self, status: int) -> None:
        self.status = status
        self.asked: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.asked.append(request.url.path)
        if request.url.path == "/v2/ext/capabilities" or self.status == 404:
            return httpx.Response(404, json=CAMUNDA_404)
        return httpx.Response(self.status, json={**CAMUNDA_404, "status": self.status})

    def client(self) -> AsyncClient:
        return AsyncClient(
            configuration={
                "CAMUNDA_REST_ADDRESS": "http://cluster",
                "CAMUNDA_AUTH_STRATEGY": "NONE",
            },
            transport=httpx.MockTransport(self),
            retry=HttpRetryPolicy.off(),
        )


@pytest.mark.parametrize("status", [404, 405])
@pytest.mark.parametrize(("extension", "use"), CALLS, ids=IDS)
async def test_a_server_without_the_extension_raises_one_typed_error(
    extension: str, use: Use, status: int
) -> None:
    camunda = Camunda(status)
    async with camunda.client() as api:
        with pytest.raises(ExtensionUnsupportedError) as raised:
            await use(api)
    err = raised.value
    assert isinstance(err, ProtocolError)
    assert err.extension == extension and err.status == status
    message = str(err)
    assert f"extension '{extension}' of the sdk broker" in message
    assert "not supported by this server" in message and "Camunda 8 cluster" in message
    assert "/v2/ext/" in message
    copy = pickle.loads(pickle.dumps(err))
    assert (type(copy), copy.extension, str(copy)) == (type(err), extension, message)


async def test_the_capabilities_are_asked_once_per_client() -> None:
    camunda = Camunda(404)
    async with camunda.client() as api:
        for _ in range(3):
            with pytest.raises(ExtensionUnsupportedError, match=r"'jobs\.get'"):
                await api.get_job(UNKNOWN_JOB)
        with pytest.raises(ExtensionUnsupportedError, match="'schedules'"):
            await api.get_schedule("nightly")
    assert camunda.asked.count("/v2/ext/capabilities") == 1
    assert camunda.asked.count(f"/v2/ext/jobs/{UNKNOWN_JOB}") == 3


async def test_a_server_without_the_extension_fails_a_route_naming_nothing_at_once() -> None:
    camunda = Camunda(404)
    async with camunda.client() as api:
        with pytest.raises(ExtensionUnsupportedError, match=r"'jobs\.search'"):
            await api.search_jobs(job_type="mail")
    assert camunda.asked == ["/v2/ext/jobs/search"]  # no need to ask the capabilities


async def test_the_blocking_client_raises_it_too() -> None:
    camunda = Camunda(404)

    def use() -> None:
        with Client(
            configuration={
                "CAMUNDA_REST_ADDRESS": "http://cluster",
                "CAMUNDA_AUTH_STRATEGY": "NONE",
            },
            transport=httpx.MockTransport(camunda),
            retry=HttpRetryPolicy.off(),
        ) as api:
            with pytest.raises(ExtensionUnsupportedError, match=r"'jobs\.cancel'"):
                api.cancel_job(UNKNOWN_JOB)
            with pytest.raises(ExtensionUnsupportedError, match=r"'jobs\.create'"):
                api.create_job("mail")

    await anyio.to_thread.run_sync(use)
    assert camunda.asked.count("/v2/ext/capabilities") == 1


@pytest.mark.parametrize(
    "use",
    [
        lambda api: api.get_job(UNKNOWN_JOB),
        lambda api: api.cancel_job(UNKNOWN_JOB),
        lambda api: api.get_schedule("nightly"),
        lambda api: api.pause_schedule("nightly"),
        lambda api: api.delete_schedule("nightly"),
        lambda api: api.wait_for_job(UNKNOWN_JOB, timeout_s=0),
        lambda api: api.report_job_progress(UNKNOWN_JOB, 0.5),
    ],
    ids=["get_job", "cancel_job", "get_schedule", "pause", "delete", "wait", "progress"],
)
async def test_on_the_broker_a_missing_job_or_schedule_is_not_found(
    api: AsyncClient, use: Use
) -> None:
    with pytest.raises(NotFoundError) as raised:
        await use(api)
    assert not isinstance(raised.value, ProtocolError)


async def test_on_the_broker_the_extensions_work(api: AsyncClient, broker: RunningBroker) -> None:
    key = await api.create_job("mail")
    assert (await api.get_job(key)).job_key == key
    await api.cancel_job(key)
    assert (await api.get_job(key)).state.value == "CANCELED"
