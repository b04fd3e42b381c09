"""The transport's own HTTP/1.1 connections for plain JSON calls, against a scripted server
on a loopback port: answers in every framing, keep-alive reuse and its limits, broken and
slow servers, cancellation, and the pool bound."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import httpx
import pytest

from sdk.broker import RunningBroker
from sdk.client import AsyncClient
from sdk.client import _http1 as http1
from sdk.client._http1 import Http1Connections
from sdk.errors import ServerUnreachableError
from sdk.testing import wait_until

pytestmark = pytest.mark.anyio

TIMEOUT = {"connect": 2.0, "read": 2.0, "write": 2.0, "pool": 2.0}
JSON = {"content-type": "application/json", "accept": "application/json"}

Answer = Callable[[bytes], bytes | None]
"""Given a request's head and body, the bytes to answer (``None``: close the connection)."""


def plain(status: int = 200, body: bytes = b"{}", extra: str = "") -> bytes:
    return f"HTTP/1.1 {status} X\r\ncontent-length: {len(body)}\r\n{extra}\r\n".encode() + body


@dataclass
class Server:
    """Answers each request on a connection with ``answer``; counts what it saw."""

    answer: Answer = field(default=lambda request: plain())
    connections: int = 0
    open_now: int = 0
    most_open: int = 0
    requests: list[bytes] = field(default_factory=list)
    port: int = 0
    close_after_answer: bool = False

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.open_now += 1
        self.most_open = max(self.most_open, self.open_now)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                request = head + await reader.readexactly(length)
                self.requests.append(request)
                answer = self.answer(request)
                if answer is None:
                    break
                if answer:
                    writer.write(answer)
                    await writer.drain()
                if self.close_after_answer:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.open_now -= 1
            writer.close()


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    scripted = Server()
    listener = await asyncio.start_server(scripted.handle, "127.0.0.1", 0)
    scripted.port = listener.sockets[0].getsockname()[1]
    async with listener:
        yield scripted


def url(server: Server, path: str = "/v2/topology") -> str:
    return f"http://127.0.0.1:{server.port}{path}"


async def call(
    pool: Http1Connections, server: Server, method: str = "POST", body: bytes | None = b"{}"
) -> httpx.Response:
    return await pool.send(method, url(server), JSON, body, TIMEOUT)


async def test_a_call_is_one_request_with_its_headers_and_body(server: Server) -> None:
    pool = Http1Connections(max_connections=4)
    server.answer = lambda request: plain(200, b'{"ok":true}', "x-seen: 1\r\n")
    response = await call(pool, server, body=b'{"a":1}')
    assert (response.status_code, response.json(), response.headers["x-seen"]) == (
        200,
        {"ok": True},
        "1",
    )
    (request,) = server.requests
    head, _, body = request.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"POST /v2/topology HTTP/1.1"
    assert f"host: 127.0.0.1:{server.port}".encode() in lines
    assert b"content-type: application/json" in lines and b"content-length: 7" in lines
    assert body == b'{"a":1}'
    await pool.aclose()


async def test_a_target_is_percent_encoded_and_a_header_may_not_break_lines(
    server: Server,
) -> None:
    pool = Http1Connections(max_connections=4)
    await pool.send("GET", url(server, "/v2/ext/schedules/ä b"), JSON, None, TIMEOUT)
    assert server.requests[0].startswith(b"GET /v2/ext/schedules/%C3%A4%20b HTTP/1.1\r\n")
    with pytest.raises(httpx.LocalProtocolError):
        await pool.send("GET", url(server), {"x-token": "a\r\nx-evil: 1"}, None, TIMEOUT)
    assert len(server.requests) == 1
    await pool.aclose()


async def test_sequential_calls_share_one_connection(server: Server) -> None:
    pool = Http1Connections(max_connections=4)
    for _ in range(5):
        assert (await call(pool, server)).status_code == 200
    assert (server.connections, len(server.requests)) == (1, 5)
    await pool.aclose()


async def test_chunked_and_compressed_answers_are_read_whole(server: Server) -> None:
    packed = gzip.compress(b'{"jobs":[1,2,3]}')
    half = len(packed) // 2
    server.answer = lambda request: (
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ncontent-encoding: gzip\r\n\r\n"
        + f"{half:x}\r\n".encode()
        + packed[:half]
        + f"\r\n{len(packed) - half:x}\r\n".encode()
        + packed[half:]
        + b"\r\n0\r\n\r\n"
    )
    pool = Http1Connections(max_connections=4)
    assert (await call(pool, server)).json() == {"jobs": [1, 2, 3]}
    assert (await call(pool, server)).json() == {"jobs": [1, 2, 3]}
    assert server.connections == 1  # the chunked framing ended the answer, not the close
    await pool.aclose()


async def test_an_answer_ended_by_the_close(server: Server) -> None:
    server.answer = lambda request: b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n{}"
    server.close_after_answer = True
    pool = Http1Connections(max_connections=4)
    assert (await call(pool, server)).json() == {}
    assert (await call(pool, server)).json() == {}
    assert server.connections == 2
    await pool.aclose()


async def test_a_204_and_a_get_without_body(server: Server) -> None:
    server.answer = lambda request: b"HTTP/1.1 204 No Content\r\n\r\n"
    pool = Http1Connections(max_connections=4)
    assert (await call(pool, server, "GET", None)).status_code == 204
    assert (await call(pool, server, "POST", None)).status_code == 204
    get, post = server.requests
    assert b"content-length" not in get and b"content-length: 0" in post
    assert server.connections == 1
    await pool.aclose()


async def test_connection_close_is_honoured(server: Server) -> None:
    server.answer = lambda request: plain(extra="connection: close\r\n")
    pool = Http1Connections(max_connections=4)
    await call(pool, server)
    await call(pool, server)
    assert server.connections == 2
    await pool.aclose()


async def test_a_connection_idle_past_the_keepalive_bound_is_not_reused(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    pool = Http1Connections(max_connections=4)
    await call(pool, server)
    await call(pool, server)
    assert server.connections == 1
    monkeypatch.setattr(http1, "KEEPALIVE_S", 0.0)  # every idle connection is now too old
    await call(pool, server)
    assert server.connections == 2
    await pool.aclose()


async def test_a_server_closing_an_idle_connection(server: Server) -> None:
    """Closed after one answer: an idempotent call is sent again on a new connection, a
    POST is an error (it may have reached the server)."""
    answers = iter([plain(), None, plain(), plain(), None, plain()])
    server.answer = lambda request: next(answers)
    pool = Http1Connections(max_connections=4)
    await call(pool, server)  # answered; the server then closes on the next request
    assert (await call(pool, server, "GET", None)).status_code == 200
    assert server.connections == 2
    await call(pool, server)
    with pytest.raises(httpx.RemoteProtocolError):
        await call(pool, server)
    assert server.connections == 2
    await call(pool, server)  # and the pool goes on with a new one
    assert server.connections == 3
    await pool.aclose()


async def test_a_garbled_answer_is_a_protocol_error(server: Server) -> None:
    server.answer = lambda request: b"SMTP ready\r\n\r\n"
    pool = Http1Connections(max_connections=4)
    with pytest.raises(httpx.RemoteProtocolError, match="unreadable"):
        await call(pool, server)
    server.answer = lambda request: plain()
    assert (await call(pool, server)).status_code == 200
    assert server.connections == 2
    await pool.aclose()


async def test_no_answer_in_time_is_a_read_timeout_and_the_connection_is_dropped(
    server: Server,
) -> None:
    server.answer = lambda request: b""  # says nothing
    pool = Http1Connections(max_connections=4)
    with pytest.raises(httpx.ReadTimeout):
        await pool.send("POST", url(server), JSON, b"{}", {**TIMEOUT, "read": 0.2})
    server.answer = lambda request: plain()
    assert (await call(pool, server)).status_code == 200
    assert server.connections == 2
    await pool.aclose()


async def test_a_cancelled_call_leaves_no_answer_behind(server: Server) -> None:
    """The late answer to a cancelled call must never be read as the next call's."""
    first = asyncio.Event()

    def answer(request: bytes) -> bytes:
        if not first.is_set():
            first.set()
            return b""
        return plain(body=b'{"n":2}')

    server.answer = answer
    pool = Http1Connections(max_connections=4)
    task = asyncio.ensure_future(call(pool, server))
    await asyncio.wait_for(first.wait(), 2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert (await call(pool, server)).json() == {"n": 2}
    assert server.connections == 2
    await pool.aclose()


async def test_no_server_is_a_connect_error() -> None:
    pool = Http1Connections(max_connections=4)
    with pytest.raises(httpx.ConnectError):
        await pool.send("GET", "http://127.0.0.1:9/v2/topology", JSON, None, TIMEOUT)


async def test_concurrent_calls_stay_within_the_pool_bound(server: Server) -> None:
    pool = Http1Connections(max_connections=2)
    answers = await asyncio.gather(*(call(pool, server) for _ in range(6)))
    assert [a.status_code for a in answers] == [200] * 6
    assert server.most_open <= 2 and len(server.requests) == 6
    await pool.aclose()


async def test_no_free_connection_in_time_is_a_pool_timeout(server: Server) -> None:
    server.answer = lambda request: b""  # never answers: both connections stay busy
    pool = Http1Connections(max_connections=2)
    holders = [asyncio.ensure_future(call(pool, server)) for _ in range(2)]
    try:
        await wait_until(lambda: len(server.requests) == 2 or None, timeout_s=5)
        with pytest.raises(httpx.PoolTimeout):
            await pool.send("POST", url(server), JSON, b"{}", {**TIMEOUT, "pool": 0.1})
    finally:
        for holder in holders:
            holder.cancel()
        await asyncio.gather(*holders, return_exceptions=True)
    await pool.aclose()


async def test_the_client_uses_them_against_the_broker(sdk_broker: RunningBroker) -> None:
    config = {
        "CAMUNDA_REST_ADDRESS": sdk_broker.url,
        "CAMUNDA_AUTH_STRATEGY": "NONE",
        "SDK_HTTP_TRANSPORT": "aiohttp",
    }
    async with AsyncClient(configuration=config) as c:
        key = await c.create_job("t", {"a": 1})
        (job,) = await c.activate_jobs("t", max_jobs=1, timeout_ms=10_000)
        await c.complete_job(job.job_key, {"b": 2})
        assert (await c.get_job(key)).variables == {"a": 1, "b": 2}


async def test_the_client_maps_a_refused_connection() -> None:
    config = {
        "CAMUNDA_REST_ADDRESS": "http://127.0.0.1:9",
        "SDK_HTTP_TRANSPORT": "aiohttp",
        "SDK_HTTP_RETRIES": 0,
    }
    async with AsyncClient(configuration=config) as c:
        with pytest.raises(ServerUnreachableError):
            await c.complete_job(1)
