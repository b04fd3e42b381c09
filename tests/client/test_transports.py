"""The async client behaves the same over httpx's own pool and over aiohttp (with its plain
JSON calls on the transport's own connections, or, without httptools, on aiohttp's)."""

from __future__ import annotations

import time

import pytest

from sdk.broker import RunningBroker
from sdk.client import AsyncClient
from sdk.client import _aiohttp as aiohttp_transport
from sdk.errors import NotFoundError, ServerUnreachableError
from sdk.models import JobState

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["httpx", "aiohttp", "aiohttp-without-httptools"])
def transport(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "aiohttp-without-httptools":
        monkeypatch.setattr(aiohttp_transport, "Http1Connections", None)
        return "aiohttp"
    return str(request.param)


def client(address: str, transport: str) -> AsyncClient:
    config = {
        "CAMUNDA_REST_ADDRESS": address,
        "CAMUNDA_AUTH_STRATEGY": "NONE",
        "SDK_HTTP_TRANSPORT": transport,
        "SDK_HTTP_RETRIES": 0,
    }
    return AsyncClient(configuration=config)


async def test_job_round_trip(sdk_broker: RunningBroker, transport: str) -> None:
    async with client(sdk_broker.url, transport) as c:
        key = await c.create_job("t", {"a": 1})
        started = time.perf_counter()
        assert (
            await c.activate_jobs("none", max_jobs=1, timeout_ms=1_000, request_timeout_ms=300)
            == []
        )
        assert time.perf_counter() - started < 5  # the long poll answered, not a client timeout
        (job,) = await c.activate_jobs("t", max_jobs=5, timeout_ms=10_000, worker="w")
        await c.complete_job(job.job_key, {"b": 2})
        done = await c.get_job(key)
        assert (done.state, done.variables) == (JobState.COMPLETED, {"a": 1, "b": 2})
        with pytest.raises(NotFoundError):
            await c.complete_job(key)


async def test_unreachable_server_is_server_unreachable(transport: str) -> None:
    async with client("http://127.0.0.1:9", transport) as c:
        with pytest.raises(ServerUnreachableError):
            await c.topology()
