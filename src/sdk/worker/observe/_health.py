"""The worker's optional HTTP endpoint: ``/healthz``, ``/readyz`` and ``/metrics``.

A plain ASGI function (three GET routes need no framework) served by uvicorn inside the
worker's task group through ``sdk._serving``, as the embedded broker is.

/healthz  200 while the worker's event loop answers (liveness)
/readyz   200 while the server was reached and the worker is not draining, else 503 (readiness)
/metrics  Prometheus text format, from the worker's own registry
"""

from __future__ import annotations

import json
import socket
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Protocol

import anyio
from anyio.abc import TaskStatus

from ..._logging import Log
from ..._serving import serving
from ...errors import ConfigurationError

DEFAULT_HTTP_HOST = "127.0.0.1"
SHUTDOWN_GRACE_S = 1
NOT_FOUND = b"not found: try /healthz, /readyz or /metrics\n"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


class HealthSource(Protocol):
    """What the endpoint reads from a worker."""

    name: str

    @property
    def in_flight(self) -> int: ...

    @property
    def readiness(self) -> tuple[bool, str]: ...

    def render_metrics(self) -> bytes: ...


def bind_http(host: str, port: int) -> socket.socket:
    """Bind the endpoint's socket now, so a taken port is a start-up error with a clear message.

    Raises:
        ConfigurationError: the address cannot be bound.
    """
    if not 0 <= port <= 65535:
        raise ConfigurationError(f"the health endpoint's port must be 0..65535, not {port}")
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )[0]
        sock = socket.socket(family, kind, proto)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
            sock.listen(128)
        except OSError:
            sock.close()
            raise
    except OSError as exc:
        raise ConfigurationError(
            f"cannot serve the health endpoint on {host}:{port}: {exc.strerror or exc};"
            " choose another port with --http-port / SDK_HTTP_PORT"
        ) from None
    return sock


def http_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def health_app(source: HealthSource) -> App:
    """The ASGI app of the endpoint, reading ``source`` at each request."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if scope["method"] not in ("GET", "HEAD"):
            await _answer(send, 405, b"method not allowed\n", "text/plain", allow="GET, HEAD")
            return
        path = scope["path"]
        if path == "/healthz":
            body = {"status": "alive", "worker": source.name, "in_flight": source.in_flight}
            await _answer_json(send, 200, body)
        elif path == "/readyz":
            ready, reason = source.readiness
            await _answer_json(send, 200 if ready else 503, {"ready": ready, "reason": reason})
        elif path == "/metrics":
            from prometheus_client import CONTENT_TYPE_LATEST  # loaded when first scraped

            await _answer(send, 200, source.render_metrics(), CONTENT_TYPE_LATEST)
        else:
            await _answer(
                send, 404, b"not found: try /healthz, /readyz or /metrics\n", "text/plain"
            )

    return app


async def _answer_json(send: Send, status: int, body: dict[str, Any]) -> None:
    await _answer(send, status, json.dumps(body).encode() + b"\n", "application/json")


async def _answer(
    send: Send, status: int, body: bytes, content_type: str, *, allow: str | None = None
) -> None:
    headers = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
    ]
    if allow is not None:
        headers.append((b"allow", allow.encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def serve_http(
    app: App,
    sock: socket.socket,
    log: Log,
    *,
    task_status: TaskStatus[str] = anyio.TASK_STATUS_IGNORED,
) -> None:
    """Serve ``app`` on the bound ``sock`` until cancelled; ``task_status`` gets its URL."""
    url = http_url(sock)
    async with serving(app, sock, shutdown_grace_s=SHUTDOWN_GRACE_S) as server:
        log.info("health and metrics on {} (/healthz, /readyz, /metrics)", url)
        task_status.started(url)
        await server.main_loop()
