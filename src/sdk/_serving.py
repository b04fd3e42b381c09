"""One uvicorn server inside the caller's event loop and task group (the broker, and a
worker's health endpoint): no signal handlers of its own, stopped by cancellation."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio

if TYPE_CHECKING:
    import uvicorn


@asynccontextmanager
async def serving(
    app: Any,
    sock: socket.socket,
    *,
    shutdown_grace_s: int,
    before_shutdown: Callable[[], None] | None = None,
) -> AsyncIterator[uvicorn.Server]:
    """Start serving ASGI ``app`` on the bound, listening ``sock`` and yield the server
    (``await server.main_loop()`` serves until cancelled); on the way out, shielded: call
    ``before_shutdown``, shut the server down (open requests get ``shutdown_grace_s``) and
    close ``sock``."""
    import uvicorn  # a worker without an endpoint never pays for it

    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=shutdown_grace_s,
    )
    config.load()
    server = uvicorn.Server(config)
    server.lifespan = config.lifespan_class(config)
    try:
        await server.startup(sockets=[sock])
        yield server
    finally:
        with anyio.CancelScope(shield=True):
            if before_shutdown is not None:
                before_shutdown()
            if server.started:
                await server.shutdown(sockets=[sock])
            sock.close()
