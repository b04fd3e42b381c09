"""A loopback TCP proxy that injects network faults between a worker and the broker.

It forwards bytes both ways and, when told to, misbehaves the way real networks do:

- ``drop_responses(marker, n)``: the next ``n`` requests whose request line contains
  ``marker`` reach the broker, but their answer is thrown away and the client's connection
  is reset: the server acted, the client cannot know.
- ``stall_responses(marker, n)``: the same, except the connection just goes silent until the
  client gives up (a read timeout), as with a dead route.
- ``reset_all()``: reset every open connection now (TCP RST), whatever is in flight.
- ``pause()`` / ``resume()``: a black hole: nothing is forwarded and new connections are
  held, until ``resume``.

HTTP/1.1 without pipelining is assumed: a client sends its next request on a connection only
after it has read the previous answer, so "the next bytes from upstream" answer the request
seen last.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass, field

import anyio
from anyio.abc import SocketAttribute, SocketStream, TaskStatus

_HOST = "127.0.0.1"
_CHUNK = 65536


@dataclass
class _Fault:
    marker: bytes
    left: int
    stall: bool


@dataclass(eq=False)  # hashed by identity: kept in a set of open connections
class _Connection:
    client: SocketStream
    upstream: SocketStream | None = None
    scope: anyio.CancelScope = field(default_factory=anyio.CancelScope)
    fault: _Fault | None = None
    """Set when a faulted request went upstream: its answer must not come back."""

    def reset(self) -> None:
        """Abort both sides with RST (not a polite FIN) and stop forwarding."""
        for stream in (self.client, self.upstream):
            if stream is not None:
                _linger_zero(stream)
        self.scope.cancel()


@dataclass
class ProxyStats:
    connections: int = 0
    dropped: int = 0
    stalled: int = 0
    abandoned: int = 0
    """Stalled connections the client closed while waiting for an answer."""
    resets: int = 0
    waiting: int = 0
    """Requests (or new connections) held right now by ``pause``."""


class FaultyProxy:
    """Forward ``127.0.0.1:<port>`` to ``upstream_port``; run with ``await tg.start(proxy.run)``."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = 0
        self.stats = ProxyStats()
        self._faults: list[_Fault] = []
        self._open: set[_Connection] = set()
        self._flowing = anyio.Event()
        self._flowing.set()

    @property
    def address(self) -> str:
        return f"http://{_HOST}:{self.port}"

    async def run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        listener = await anyio.create_tcp_listener(local_host=_HOST, local_port=0)
        async with listener:
            self.port = listener.extra(SocketAttribute.local_port)
            task_status.started()
            await listener.serve(self._handle)

    # -- faults --------------------------------------------------------------------------------

    def drop_responses(self, marker: bytes, count: int = 1) -> None:
        self._faults.append(_Fault(marker, count, stall=False))

    def stall_responses(self, marker: bytes, count: int = 1) -> None:
        self._faults.append(_Fault(marker, count, stall=True))

    def reset_all(self) -> int:
        """Reset every open connection; returns how many there were."""
        connections = list(self._open)
        for connection in connections:
            connection.reset()
        self.stats.resets += len(connections)
        return len(connections)

    def pause(self) -> None:
        if self._flowing.is_set():
            self._flowing = anyio.Event()

    def resume(self) -> None:
        self._flowing.set()

    @property
    def faults_pending(self) -> int:
        return sum(f.left for f in self._faults)

    # -- forwarding ------------------------------------------------------------------------------

    async def _handle(self, client: SocketStream) -> None:
        connection = _Connection(client)
        self.stats.connections += 1
        self._open.add(connection)
        try:
            with connection.scope:
                await self._until_flowing()
                connection.upstream = await anyio.connect_tcp(_HOST, self.upstream_port)
                async with connection.upstream, anyio.create_task_group() as tg:
                    tg.start_soon(self._requests, connection, tg.cancel_scope)
                    tg.start_soon(self._responses, connection, tg.cancel_scope)
        except OSError:  # the broker is away: the client sees its connection closed
            pass
        finally:
            self._open.discard(connection)
            await client.aclose()

    async def _requests(self, connection: _Connection, done: anyio.CancelScope) -> None:
        assert connection.upstream is not None
        try:
            async for chunk in connection.client:
                await self._until_flowing()
                fault = self._take_fault(chunk)
                if fault is not None:
                    connection.fault = fault
                await connection.upstream.send(chunk)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
            pass
        if connection.fault is not None and connection.fault.stall:
            self.stats.abandoned += 1  # the client hung up on a request we kept unanswered
        done.cancel()

    async def _responses(self, connection: _Connection, done: anyio.CancelScope) -> None:
        assert connection.upstream is not None
        try:
            async for chunk in connection.upstream:
                await self._flowing.wait()
                fault = connection.fault
                if fault is None:
                    await connection.client.send(chunk)
                elif fault.stall:
                    self.stats.stalled += 1
                    await anyio.sleep_forever()  # until the client gives up (or a reset)
                else:
                    self.stats.dropped += 1
                    connection.reset()
                    return
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
            pass
        done.cancel()

    async def _until_flowing(self) -> None:
        if self._flowing.is_set():
            return
        self.stats.waiting += 1
        try:
            await self._flowing.wait()
        finally:
            self.stats.waiting -= 1

    def _take_fault(self, chunk: bytes) -> _Fault | None:
        request_line = chunk.split(b"\r\n", 1)[0]
        for fault in self._faults:
            if fault.left > 0 and fault.marker in request_line:
                fault.left -= 1
                return fault
        return None


def _linger_zero(stream: SocketStream) -> None:
    """Make the next close send RST: the peer sees "connection reset", not an orderly end."""
    try:
        sock = stream.extra(SocketAttribute.raw_socket)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
