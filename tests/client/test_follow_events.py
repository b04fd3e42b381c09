"""``follow_job_events``: each event once and in order, across reconnects and restarts."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from sdk.broker import JobStore, RunningBroker, bind, create_app, serve
from sdk.client import AsyncClient, Client, HttpRetryPolicy
from sdk.errors import ProtocolError, UnauthorizedError
from sdk.models import JobEventRecord, JobKey
from sdk.testing import wait_until

from .conftest import SecuredBroker

pytestmark = pytest.mark.anyio

FAST = HttpRetryPolicy(base_delay_s=0.02, max_delay_s=0.2)
WAIT_S = 15.0


def config(url: str) -> dict[str, str]:
    return {"CAMUNDA_REST_ADDRESS": url, "CAMUNDA_AUTH_STRATEGY": "NONE"}


@contextlib.asynccontextmanager
async def following(client: AsyncClient, **options: Any) -> AsyncIterator[list[JobEventRecord]]:
    """Follow ``client``'s events in the background; the list fills as they arrive."""
    seen: list[JobEventRecord] = []

    async def consume() -> None:
        async with contextlib.aclosing(client.follow_job_events(**options)) as stream:
            async for record in stream:
                seen.append(record)

    async with anyio.create_task_group() as tg:
        tg.start_soon(consume)
        yield seen
        tg.cancel_scope.cancel()


async def at_least(seen: list[JobEventRecord], n: int) -> None:
    await wait_until(lambda: len(seen) >= n, timeout_s=WAIT_S, message=f"{n} events")


def assert_once_in_order(seen: list[JobEventRecord]) -> None:
    ids = [record.id for record in seen]
    assert ids == sorted(set(ids)), ids


class TestAgainstTheBroker:
    async def test_streams_new_events_only_by_default(self, sdk_client: AsyncClient) -> None:
        await sdk_client.create_job("old")
        async with following(sdk_client) as seen:

            async def stream_is_live() -> bool:
                await sdk_client.create_job("probe")  # until one shows, the stream may not be up
                return bool(seen)

            await wait_until(stream_is_live, timeout_s=WAIT_S, interval_s=0.05)
            key = await sdk_client.create_job("new")
            (job,) = await sdk_client.activate_jobs("new", max_jobs=1, timeout_ms=10_000)
            await sdk_client.complete_job(job.job_key)
            await wait_until(lambda: any(r.event == "COMPLETED" for r in seen), timeout_s=WAIT_S)
        assert {r.job_type for r in seen} == {"probe", "new"}  # nothing from before
        assert [(r.job_key, r.event) for r in seen if r.job_type == "new"] == [
            (key, "CREATED"),
            (key, "ACTIVATED"),
            (key, "COMPLETED"),
        ]
        assert_once_in_order(seen)

    async def test_after_zero_replays_the_log_filtered_by_type(
        self, sdk_client: AsyncClient
    ) -> None:
        keys = [await sdk_client.create_job(t) for t in ("x", "y", "x")]
        async with following(sdk_client, after=0, job_type="x") as seen:
            await at_least(seen, 2)
        assert [r.job_key for r in seen] == [keys[0], keys[2]]

    async def test_poll_mode_reads_pages(self, sdk_client: AsyncClient) -> None:
        keys = [await sdk_client.create_job("polled") for _ in range(7)]
        async with following(sdk_client, after=0, mode="poll", page_size=3) as seen:
            await at_least(seen, 7)
            more = await sdk_client.create_job("polled")
            await at_least(seen, 8)
        assert [r.job_key for r in seen] == [*keys, more]
        assert_once_in_order(seen)

    async def test_reconnects_after_a_broker_restart_without_duplicates(
        self, tmp_path: Path
    ) -> None:
        db = tmp_path / "jobs.sqlite3"
        sock = bind("127.0.0.1", 0)
        port = sock.getsockname()[1]
        url = f"http://127.0.0.1:{port}/v2"
        async with AsyncClient(configuration=config(url), retry=FAST) as client:
            async with following(client, after=0, heartbeat_s=1.0) as seen:
                async with anyio.create_task_group() as first:
                    await first.start(partial(serve, db, sock=sock))
                    before = [await client.create_job("restart") for _ in range(3)]
                    await at_least(seen, 3)
                    first.cancel_scope.cancel()  # the stream ends; the client reconnects
                async with anyio.create_task_group() as second:
                    await second.start(partial(serve, db, sock=bind("127.0.0.1", port)))
                    after = [await client.create_job("restart") for _ in range(3)]
                    await at_least(seen, 6)
                    second.cancel_scope.cancel()

        assert [r.job_key for r in seen] == before + after
        assert {r.event for r in seen} == {"CREATED"}
        assert_once_in_order(seen)

    async def test_needs_credentials_like_any_call(self, secured: SecuredBroker) -> None:
        async with AsyncClient(configuration=secured.config(CAMUNDA_AUTH_STRATEGY="NONE")) as c:
            with pytest.raises(UnauthorizedError):
                await anext(aiter(c.follow_job_events()))
        async with AsyncClient(configuration=secured.oauth()) as client:
            async with following(client, after=0) as seen:
                await client.create_job("secured")
                await at_least(seen, 1)
        assert seen[0].job_type == "secured"

    async def test_the_blocking_client_follows_too(
        self, sdk_broker: RunningBroker, sdk_client: AsyncClient
    ) -> None:
        keys = [await sdk_client.create_job("sync") for _ in range(3)]

        def scenario() -> list[str]:
            with Client(configuration=config(sdk_broker.url)) as client:
                with contextlib.closing(client.follow_job_events(after=0)) as events:
                    return [next(events).job_key for _ in range(3)]

        assert await anyio.to_thread.run_sync(scenario) == keys


# -- servers a real broker cannot play: replays, drops, no streaming ---------------------------


def sse(*ids: int, ready: int | None = None) -> bytes:
    frames = [] if ready is None else [f"id: {ready}\nevent: ready\ndata: {{}}\n\n"]
    for n in ids:
        record = JobEventRecord(id=n, job_key=JobKey(str(100 + n)), job_type="t", at=0, event="C")
        frames.append(f"id: {n}\nevent: job\ndata: {record.model_dump_json(by_alias=True)}\n\n")
    return "".join(frames).encode()


class Dropping(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body that breaks off after ``body``, as a dropped connection does."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    def __iter__(self) -> Iterator[bytes]:
        yield self.body
        raise httpx.RemoteProtocolError("peer closed connection without sending complete body")

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.body
        raise httpx.RemoteProtocolError("peer closed connection without sending complete body")


class TestScriptedServers:
    async def test_replayed_events_are_dropped_and_the_position_is_sent(self) -> None:
        streams = [
            httpx.Response(200, content=sse(1, 2, 3, ready=0), headers=EVENT_STREAM),
            httpx.Response(200, stream=Dropping(sse(2, 3, 4))),  # overlaps, then breaks off
            httpx.Response(200, content=sse(3, 4, 5, 6), headers=EVENT_STREAM),
        ]
        sent: list[httpx.Request] = []

        def server(request: httpx.Request) -> httpx.Response:
            sent.append(request)
            response = streams.pop(0) if streams else httpx.Response(200, headers=EVENT_STREAM)
            response.headers["content-type"] = "text/event-stream"
            return response

        client = AsyncClient(
            configuration=config("http://test"), transport=httpx.MockTransport(server), retry=FAST
        )
        async with client, following(client) as seen:
            await at_least(seen, 6)
        assert [r.id for r in seen] == [1, 2, 3, 4, 5, 6]
        assert "last-event-id" not in sent[0].headers
        assert [r.headers["last-event-id"] for r in sent[1:3]] == ["3", "4"]

    async def test_a_server_that_does_not_stream_is_polled(self) -> None:
        store = JobStore(":memory:")
        app = refusing_streams(create_app(store))
        transport = httpx.ASGITransport(app)
        async with AsyncClient(configuration=config("http://test"), transport=transport) as client:
            keys = [await client.create_job("fallback") for _ in range(3)]
            async with following(client, after=0, heartbeat_s=0.5) as seen:
                await at_least(seen, 3)
                more = await client.create_job("fallback")
                await at_least(seen, 4)
            with pytest.raises(ProtocolError, match="mode='poll'"):
                await anext(aiter(client.follow_job_events(mode="stream")))
        await store.aclose()
        assert [r.job_key for r in seen] == [*keys, more]

    async def test_a_server_without_an_event_log_is_a_protocol_error(self) -> None:
        def camunda(request: httpx.Request) -> httpx.Response:
            return httpx.Response(404, json={"title": "NOT_FOUND", "status": 404})

        transport = httpx.MockTransport(camunda)
        async with AsyncClient(configuration=config("http://test"), transport=transport) as c:
            for mode in ("auto", "poll"):
                with pytest.raises(
                    ProtocolError, match="job events are not supported by this server"
                ):
                    await anext(aiter(c.follow_job_events(mode=mode)))


EVENT_STREAM = {"content-type": "text/event-stream"}


def refusing_streams(app: ASGIApp) -> ASGIApp:
    """``app`` behind a proxy that answers 406 to every event-stream request."""

    async def proxy(scope: Scope, receive: Receive, send: Send) -> None:
        accept = dict(scope.get("headers", [])).get(b"accept", b"")
        if scope["type"] == "http" and b"text/event-stream" in accept:
            await PlainTextResponse("no streaming here", status_code=406)(scope, receive, send)
            return
        await app(scope, receive, send)

    return proxy
