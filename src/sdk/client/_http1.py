"""Plain JSON calls on HTTP/1.1 connections of the transport's own, parsed by httptools.

A worker's every request is a small JSON call to one server. aiohttp's request path (URL and
header objects, a timer context, trace hooks, a response object with its streams) costs more
CPU than such a call needs; here a request is one ``write`` of bytes made from the call's
parts, and httptools parses the answer into status, headers and body as it arrives.

- One deadline per answer: the read timeout covers the whole answer (a long poll passes its
  own), a connection is opened within the connect timeout, a free one waited for within the
  pool timeout; a timer exists only while an answer is awaited.
- A connection goes back to the pool only after a complete answer that keeps it alive, and
  is reused while younger than ``KEEPALIVE_S`` idle (under common servers' keep-alive
  limits); one that failed, timed out or was cancelled mid-call is closed.
- A reused connection that ends without a byte of answer is replaced once for an idempotent
  method (the server most likely closed it while idle), as aiohttp does; any other broken
  exchange is an ``httpx`` transport error of the kind httpx raises, so the client's retry
  policy treats both ways alike.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

import httptools
import httpx

from ._answer import whole_answer

KEEPALIVE_S = 4.0
"""Idle connections older than this are closed rather than reused."""
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_BREAKS = frozenset("\r\n")
_TARGET_SAFE = "/%?=&:@!$'()*+,;~"
"""Characters of a request target kept as they are (the rest is percent-encoded)."""
_FRAMING = frozenset({b"content-length", b"transfer-encoding"})
_MAX_HEADS = 64
"""Header sets kept ready as bytes (a bound: callers may pass a new set each time)."""


class _Lost(Exception):
    """The connection ended before its answer did (``answered``: some of it had come)."""

    def __init__(self, answered: bool, reason: str) -> None:
        super().__init__(reason)
        self.answered = answered


class _Connection(asyncio.Protocol):
    """One keep-alive connection: one exchange at a time, its answer parsed as it arrives."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._parser = httptools.HttpResponseParser(self)
        self._transport: asyncio.Transport | None = None
        self.usable = False
        """Open, and its last exchange ended with a whole answer that keeps it alive."""
        self.idle_since = 0.0
        self._waiter: asyncio.Future[None] | None = None
        self._started = False
        self._until_close = False
        self._status = 0
        self._headers: list[tuple[bytes, bytes]] = []
        self._body: list[bytes] = []

    # -- asyncio.Protocol ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self.usable = True

    def connection_lost(self, exc: Exception | None) -> None:
        self.usable = False
        waiter = self._waiter
        if exc is None and self._until_close and waiter is not None and not waiter.done():
            waiter.set_result(None)  # an answer without length or chunks ends with the stream
            return
        reason = f"{type(exc).__name__}: {exc}" if exc else "the server closed the connection"
        self._fail(_Lost(self._started, reason))

    def data_received(self, data: bytes) -> None:
        self._started = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(httpx.RemoteProtocolError(f"unreadable HTTP answer: {exc}"))
            self.close()

    # -- httptools callbacks ------------------------------------------------------------------

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        self._status = status = self._parser.get_status_code()
        framed = any(name.lower() in _FRAMING for name, _ in self._headers)
        self._until_close = not framed and status >= 200 and status not in (204, 304)

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        keep_alive = self._parser.should_keep_alive()
        waiter = self._waiter
        if waiter is None or waiter.done():  # an answer nobody asked for: the stream is off
            self.close()
            return
        if not keep_alive:
            self.close()
        waiter.set_result(None)

    # -- use ----------------------------------------------------------------------------------

    async def exchange(self, request: bytes, read_s: float | None) -> httpx.Response:
        """Send ``request``, return its whole answer (an encoded body is decoded by httpx)."""
        assert self._transport is not None
        loop = self._loop
        self.usable = False
        self._started = False
        self._until_close = False
        self._status = 0
        self._headers = []
        self._body = []
        waiter = self._waiter = loop.create_future()
        self._transport.write(request)
        timer = None if read_s is None else loop.call_later(read_s, self._timed_out, read_s)
        try:
            await waiter
        finally:
            self._waiter = None
            if timer is not None:
                timer.cancel()
        self.usable = not self._transport.is_closing()
        self.idle_since = time.monotonic()
        body = self._body[0] if len(self._body) == 1 else b"".join(self._body)
        return whole_answer(self._status, self._headers, body)

    def close(self) -> None:
        self.usable = False
        if self._transport is not None:
            self._transport.close()

    def abort(self) -> None:
        self.usable = False
        if self._transport is not None:
            self._transport.abort()

    def _timed_out(self, read_s: float) -> None:
        self._fail(httpx.ReadTimeout(f"no whole answer within {read_s:g} s"))
        self.abort()

    def _fail(self, exc: Exception) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)


class Http1Connections:
    """A pool of HTTP/1.1 connections to the servers its calls name (usually one)."""

    def __init__(
        self, *, max_connections: int | None, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        self._max = max_connections
        self._ssl = ssl_context
        self._slots: asyncio.Semaphore | None = None
        self._idle: dict[str, list[_Connection]] = {}
        self._origins: dict[str, tuple[str, str, int, bytes]] = {}
        self._heads: dict[tuple[Any, ...], bytes] = {}
        self._open: set[_Connection] = set()

    async def send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        content: bytes | None,
        timeout: Mapping[str, Any],
    ) -> httpx.Response:
        """The whole answer to one call; an ``httpx.TransportError`` when there is none."""
        origin, target = _split(url)
        if origin not in self._origins:
            if len(self._origins) >= _MAX_HEADS:
                self._origins.clear()
                self._heads.clear()
            self._origins[origin] = _parse_origin(origin)
        request = self._head(origin, method, target, headers, content)
        slots = self._slots
        if slots is None and self._max is not None:
            slots = self._slots = asyncio.Semaphore(self._max)
        if slots is not None:
            await _acquire(slots, timeout.get("pool"))
        try:
            return await self._exchange(origin, request, timeout, method in _IDEMPOTENT)
        finally:
            if slots is not None:
                slots.release()

    async def _exchange(
        self, origin: str, request: bytes, timeout: Mapping[str, Any], idempotent: bool
    ) -> httpx.Response:
        for _attempt in range(2):
            conn, reused = await self._connection(origin, timeout.get("connect"))
            try:
                response = await conn.exchange(request, timeout.get("read"))
            except _Lost as lost:
                conn.abort()
                if reused and idempotent and not lost.answered:
                    continue  # most likely closed while idle; harmless to send again anyway
                raise httpx.RemoteProtocolError(str(lost)) from None
            except BaseException:
                conn.abort()  # mid-exchange: the stream's state is unknown
                raise
            finally:
                if not conn.usable:
                    self._open.discard(conn)
            if conn.usable:
                self._idle.setdefault(origin, []).append(conn)
            return response
        raise httpx.RemoteProtocolError("the server closed the connection twice")

    async def aclose(self) -> None:
        for conn in list(self._open):
            conn.close()
        self._open.clear()
        self._idle.clear()

    async def _connection(self, origin: str, connect_s: float | None) -> tuple[_Connection, bool]:
        """A live idle connection to ``origin`` (reused: ``True``), or a new one."""
        idle = self._idle.get(origin)
        if idle:
            now = time.monotonic()  # the loop's clock, without finding the loop (a getpid)
            while idle:
                conn = idle.pop()
                if conn.usable and now - conn.idle_since < KEEPALIVE_S:
                    return conn, True
                conn.close()
                self._open.discard(conn)
        scheme, host, port, _ = self._origins[origin]
        loop = asyncio.get_running_loop()
        tls = scheme == "https"
        if tls and self._ssl is None:
            self._ssl = ssl.create_default_context()
        try:
            _, conn = await asyncio.wait_for(
                loop.create_connection(
                    lambda: _Connection(loop),
                    host,
                    port,
                    ssl=self._ssl if tls else None,
                    server_hostname=host if tls else None,
                ),
                connect_s,
            )
        except asyncio.TimeoutError:
            raise httpx.ConnectTimeout(f"no connection to {origin} within {connect_s} s") from None
        except OSError as exc:
            raise httpx.ConnectError(f"{type(exc).__name__}: {exc}") from exc
        self._open.add(conn)
        return conn, False

    def _head(
        self,
        origin: str,
        method: str,
        target: str,
        headers: Mapping[str, str],
        content: bytes | None,
    ) -> bytes:
        key = (origin, *headers.items())
        fixed = self._heads.get(key)
        if fixed is None:  # the lane sends the same few header sets every time
            if len(self._heads) >= _MAX_HEADS:
                self._heads.clear()
            host = self._origins[origin][3]
            if any(_BREAKS & set(k + v) for k, v in headers.items()):
                raise httpx.LocalProtocolError("a header name or value holds a line break")
            lines = b"".join(f"{k}: {v}\r\n".encode("latin-1") for k, v in headers.items())
            fixed = self._heads[key] = b"host: " + host + b"\r\n" + lines
        if not target.isascii() or " " in target:  # as httpx would send it
            target = quote(target, safe=_TARGET_SAFE)
        line = f"{method} {target} HTTP/1.1\r\n".encode()
        if content is None:
            if method in _BODY_METHODS:
                return line + fixed + b"content-length: 0\r\n\r\n"
            return line + fixed + b"\r\n"
        length = f"content-length: {len(content)}\r\n\r\n".encode()
        return b"".join((line, fixed, length, content))


def _parse_origin(origin: str) -> tuple[str, str, int, bytes]:
    """Scheme, host to connect to, port, and the ``host`` header of ``scheme://host[:port]``."""
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise httpx.UnsupportedProtocol(f"cannot send a call to {origin!r}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        host = parts.netloc.encode("ascii")
    except UnicodeEncodeError:  # an internationalised name: its ASCII form
        host = parts.hostname.encode("idna") + (b":%d" % parts.port if parts.port else b"")
    return parts.scheme, parts.hostname, port, host


def _split(url: str) -> tuple[str, str]:
    """``url``'s origin and its request target."""
    slash = url.find("/", url.find("//") + 2)
    if slash < 0:
        return url, "/"
    return url[:slash], url[slash:]


async def _acquire(slots: asyncio.Semaphore, pool_s: float | None) -> None:
    if not slots.locked():
        await slots.acquire()  # a free slot: no timer
        return
    try:
        await asyncio.wait_for(slots.acquire(), pool_s)
    except asyncio.TimeoutError:
        raise httpx.PoolTimeout(f"no free connection within {pool_s} s") from None
