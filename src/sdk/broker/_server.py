"""Serving the broker over HTTP with uvicorn, inside the caller's event loop and task group."""

from __future__ import annotations

import importlib.util
import ipaddress
import socket
from dataclasses import dataclass
from pathlib import Path

import anyio
from anyio.abc import TaskStatus
from loguru import logger

from .._serving import serving
from ._app import create_app
from ._defaults import DEFAULT_POOL_SIZE
from ._problems import StoreUnavailable
from .auth import BrokerAuth
from .store import DEFAULT_RETENTION_MS, JobStore, StoreVersionError

SHUTDOWN_GRACE_S = 2


class BrokerStartError(RuntimeError):
    """The broker could not start (e.g. the port is taken); the message says what to do."""


@dataclass(frozen=True)
class RunningBroker:
    """A broker being served: ``url`` is the REST base (ending in ``/v2``) clients use."""

    url: str
    store: JobStore


def loop_options() -> dict[str, object]:
    """anyio's backend options for a broker of its own: uvloop when it is installed (the
    ``fast`` extra), as uvicorn's own ``loop="auto"`` would choose. uvicorn likewise parses
    HTTP with httptools when it is installed (``http="auto"``): together they take about a
    third off the broker's CPU per exact Camunda call (docs/performance.md)."""
    return {"use_uvloop": importlib.util.find_spec("uvloop") is not None}


def open_store(
    db: str | Path,
    *,
    synchronous: str = "FULL",
    idempotency_retention_ms: int = DEFAULT_RETENTION_MS,
    pool_size: int = DEFAULT_POOL_SIZE,
) -> JobStore:
    """Open the store at ``db`` (a file or a PostgreSQL URL), or say why it cannot be."""
    try:
        return JobStore(
            db,
            synchronous=synchronous,
            idempotency_retention_ms=idempotency_retention_ms,
            pool_size=pool_size,
        )
    except (StoreVersionError, StoreUnavailable) as exc:
        raise BrokerStartError(f"cannot open the job store: {exc}") from None


def bind(host: str, port: int) -> socket.socket:
    """Bind the listening socket ourselves so a taken port is a clear error, not an exit."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )[0]
        # An explicit IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets
        # whose protocol says TCP, and without it keep-alive answers wait ~40 ms (Nagle).
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
            sock.listen(1024)
        except OSError:
            sock.close()
            raise
        return sock
    except OSError as exc:
        raise BrokerStartError(
            f"cannot listen on {host}:{port}: {exc.strerror}; is another broker running there?"
            " Pick another port or stop the other process."
        ) from None


def is_loopback(sock: socket.socket) -> bool:
    """Whether ``sock`` only accepts connections from this machine."""
    host = str(sock.getsockname()[0]).split("%")[0]
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def warn_if_open(sock: socket.socket, auth: BrokerAuth | None) -> None:
    """A loud warning when a broker without auth listens beyond this machine."""
    if auth is None and not is_loopback(sock):
        logger.warning(
            "broker: !!! listening on {} WITHOUT AUTHENTICATION: anyone who can reach this"
            " address can read, create and complete every job. Configure users or API keys"
            " (SDK_BROKER_USERS, SDK_BROKER_API_KEYS; --user, --api-key) or bind 127.0.0.1 !!!",
            rest_url(sock),
        )


def rest_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/v2"


async def serve(
    db: str | Path,
    host: str = "127.0.0.1",
    port: int = 8080,
    *,
    synchronous: str = "FULL",
    idempotency_retention_s: float = DEFAULT_RETENTION_MS / 1000,
    pool_size: int = DEFAULT_POOL_SIZE,
    sock: socket.socket | None = None,
    auth: BrokerAuth | None = None,
    store: JobStore | None = None,
    clock_control: bool = False,
    task_status: TaskStatus[RunningBroker] = anyio.TASK_STATUS_IGNORED,
) -> None:
    """Serve a broker on ``db`` until cancelled; ``task_status`` receives the running broker.

    ``db`` is a SQLite file (or ``:memory:``) or a PostgreSQL URL, which several brokers may
    share. Signals are left to the caller: this never installs a handler, so a worker process
    that embeds the broker keeps control of its own shutdown. Pass ``sock`` (from ``bind``)
    and ``store`` (from ``open_store``, which serve then owns) to learn of a taken port or an
    unreachable database before any task group wraps the error. Pass ``auth`` to require
    credentials; without it the broker is open (a loud warning when not on loopback).
    ``idempotency_retention_s``: how long job creation's ``Idempotency-Key`` s are remembered;
    ``pool_size``: connections to PostgreSQL (its concurrent transactions).
    ``clock_control``: answer ``PUT /v2/clock`` and ``POST /v2/clock/reset`` (Camunda's
    ``zeebe.clock.controlled``; for tests: pinning the clock fires the timers due by then).
    """
    if sock is None:
        sock = bind(host, port)
    if store is None:
        store = open_store(
            db,
            synchronous=synchronous,
            idempotency_retention_ms=int(idempotency_retention_s * 1000),
            pool_size=pool_size,
        )
    store.clock.controllable = clock_control
    try:
        await store.load_clock()
        async with (
            serving(
                create_app(store, auth=auth),
                sock,
                shutdown_grace_s=SHUTDOWN_GRACE_S,
                before_shutdown=store.release_waiters,
            ) as server,
            anyio.create_task_group() as tg,
        ):
            tg.start_soon(store.follow_other_replicas)
            tg.start_soon(store.processes.run_timers)
            tg.start_soon(store.schedules.run)
            tg.start_soon(store.messages.refresh_quietly)
            url = rest_url(sock)
            warn_if_open(sock, auth)
            logger.info("broker: serving {} (store {})", url, store.path)
            task_status.started(RunningBroker(url=url, store=store))
            await server.main_loop()
            tg.cancel_scope.cancel()
    finally:
        with anyio.CancelScope(shield=True):
            await store.aclose()
            logger.info("broker: stopped")
