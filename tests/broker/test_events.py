"""``GET /v2/ext/events``: the job event log as an SSE stream and as long-polled JSON pages."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import httpx
import pytest
from anyio.abc import TaskStatus
from httpx_sse import EventSource, ServerSentEvent

from sdk.broker import RunningBroker, serve
from sdk.client import AsyncClient
from sdk.models import JobEventPage, JobEventRecord
from sdk.testing import client_for, wait_until

pytestmark = pytest.mark.anyio

SSE = {"accept": "text/event-stream"}
WAIT_S = 10.0


@asynccontextmanager
async def events(
    broker: RunningBroker, headers: dict[str, str] | None = None, **params: str
) -> AsyncIterator[AsyncIterator[ServerSentEvent]]:
    """An open event stream of ``broker`` (its SSE events, comments left out)."""
    async with httpx.AsyncClient(base_url=broker.url, timeout=WAIT_S) as http:
        async with http.stream(
            "GET", "ext/events", params=params, headers={**SSE, **(headers or {})}
        ) as response:
            assert response.status_code == 200, await response.aread()
            assert response.headers["content-type"].startswith("text/event-stream")
            assert response.headers["cache-control"] == "no-cache"
            yield EventSource(response).aiter_sse()


async def take(stream: AsyncIterator[ServerSentEvent], n: int) -> list[ServerSentEvent]:
    got: list[ServerSentEvent] = []
    with anyio.fail_after(WAIT_S):
        async for sse in stream:
            got.append(sse)
            if len(got) == n:
                break
    return got


def records(events: list[ServerSentEvent]) -> list[JobEventRecord]:
    assert all(e.event == "job" for e in events), [e.event for e in events]
    parsed = [JobEventRecord.model_validate_json(e.data) for e in events]
    assert [str(r.id) for r in parsed] == [e.id for e in events]
    return parsed


class TestStream:
    async def test_starts_with_ready_then_streams_new_events(
        self, sdk_broker: RunningBroker, sdk_client: AsyncClient
    ) -> None:
        await sdk_client.create_job("before")  # not streamed: no position was asked for
        last = await sdk_broker.store.last_event_id()
        async with events(sdk_broker) as stream:
            (ready,) = await take(stream, 1)
            assert (ready.event, ready.id, json.loads(ready.data)) == (
                "ready",
                str(last),
                {"lastEventId": last},
            )
            assert ready.retry == 1000
            key = await sdk_client.create_job("streamed", retries=2)
            await sdk_client.activate_jobs("streamed", max_jobs=1, timeout_ms=9_000)
            await sdk_client.fail_job(key, retries=1, error_message="boom")

            got = records(await take(stream, 3))

        assert [(r.job_key, r.job_type, r.event) for r in got] == [
            (key, "streamed", "CREATED"),
            (key, "streamed", "ACTIVATED"),
            (key, "streamed", "FAILED"),
        ]
        assert got[0].id == last + 1 and got[0].retries == 2
        assert got[2].message == "boom"
        assert [r.id for r in got] == sorted({r.id for r in got})

    async def test_last_event_id_resumes_after_that_event(
        self, sdk_broker: RunningBroker, sdk_client: AsyncClient
    ) -> None:
        keys = [await sdk_client.create_job("replay") for _ in range(5)]
        first = await sdk_broker.store.last_event_id() - 4

        async with events(sdk_broker, {"last-event-id": str(first + 1)}, after="0") as stream:
            ready, *rest = await take(stream, 4)

        assert ready.id == str(first + 1)  # the header wins over ?after=
        assert [r.job_key for r in records(rest)] == keys[2:]

    async def test_after_zero_replays_the_whole_log_filtered_by_type(
        self, sdk_broker: RunningBroker, sdk_client: AsyncClient
    ) -> None:
        wanted = [await sdk_client.create_job(t) for t in ("a", "b", "a", "b", "a")][::2]

        async with events(sdk_broker, after="0", type="a") as stream:
            _, *rest = await take(stream, 4)

        assert [r.job_key for r in records(rest)] == wanted

    async def test_sends_heartbeats_while_quiet(self, sdk_broker: RunningBroker) -> None:
        async with httpx.AsyncClient(base_url=sdk_broker.url, timeout=WAIT_S) as http:
            async with http.stream(
                "GET", "ext/events", params={"heartbeatMs": "100"}, headers=SSE
            ) as response:
                pings = 0
                with anyio.fail_after(WAIT_S):
                    async for line in response.aiter_lines():
                        pings += line == ": ping"
                        if pings == 2:
                            break
        assert pings == 2

    async def test_ends_cleanly_when_the_broker_stops(self) -> None:
        stop = anyio.CancelScope()

        async def run_broker(*, task_status: TaskStatus[RunningBroker]) -> None:
            with stop:
                await serve(":memory:", "127.0.0.1", 0, task_status=task_status)

        async with anyio.create_task_group() as tg:
            broker: RunningBroker = await tg.start(run_broker)
            async with events(broker) as stream:
                await take(stream, 1)
                stop.cancel()
                with anyio.fail_after(WAIT_S):
                    rest = [sse async for sse in stream]  # ends without an error
        assert rest == []


class TestPages:
    async def test_without_a_position_answers_where_the_log_stands(
        self, broker: RunningBroker, api: AsyncClient, http: httpx.AsyncClient
    ) -> None:
        await api.create_job("paged")
        response = await http.get("/ext/events", params={"waitMs": "5000"})
        assert response.status_code == 200
        page = JobEventPage.model_validate_json(response.content)
        assert page.items == []
        assert page.last_event_id == await broker.store.last_event_id()

    async def test_pages_through_the_log(self, api: AsyncClient, http: httpx.AsyncClient) -> None:
        keys = [await api.create_job("paged") for _ in range(5)]
        first = JobEventPage.model_validate_json(
            (await http.get("/ext/events", params={"after": "0", "limit": "3"})).content
        )
        second = JobEventPage.model_validate_json(
            (
                await http.get(
                    "/ext/events", params={"after": str(first.last_event_id), "limit": "3"}
                )
            ).content
        )
        assert [r.job_key for r in first.items + second.items] == keys
        assert second.last_event_id == second.items[-1].id

    async def test_a_long_poll_is_answered_by_the_next_write(
        self, broker: RunningBroker, api: AsyncClient, http: httpx.AsyncClient
    ) -> None:
        after = await broker.store.last_event_id()
        answer: list[httpx.Response] = []

        async def poll() -> None:
            params = {"after": str(after), "waitMs": "20000", "type": "woken"}
            answer.append(await http.get("/ext/events", params=params))

        async with anyio.create_task_group() as tg:
            tg.start_soon(poll)
            await api.create_job("ignored")  # filtered out: the poll keeps waiting
            key = await api.create_job("woken")
            await wait_until(lambda: answer, timeout_s=WAIT_S)  # far below the 20 s wait
        page = JobEventPage.model_validate_json(answer[0].content)
        assert [(r.job_key, r.event) for r in page.items] == [(key, "CREATED")]


class TestBadInput:
    @pytest.mark.parametrize(
        ("params", "headers", "detail"),
        [
            ({"after": "-1"}, {}, "after: must be an integer"),
            ({"after": "x"}, {}, "after: must be an integer"),
            ({"limit": "0"}, {}, "limit: must be an integer from 1 to 1000"),
            ({"waitMs": "600000"}, {}, "waitMs: must be an integer from 0 to 60000"),
            ({"heartbeatMs": "5"}, SSE, "heartbeatMs: must be an integer from 100 to 60000"),
            ({}, {"last-event-id": "abc"}, "Last-Event-ID: must be an event id"),
        ],
    )
    async def test_is_a_400_problem(
        self,
        http: httpx.AsyncClient,
        params: dict[str, str],
        headers: dict[str, str],
        detail: str,
    ) -> None:
        response = await http.get("/ext/events", params=params, headers=headers)
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"
        assert detail in response.json()["detail"]


async def test_capabilities_announce_events(sdk_broker: RunningBroker) -> None:
    async with client_for(sdk_broker) as client:
        capabilities = await client.capabilities()
    assert capabilities is not None and "events" in capabilities.extensions
