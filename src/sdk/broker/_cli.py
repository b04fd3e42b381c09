"""``python -m sdk.broker``: run the embedded job server on its own."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from functools import partial
from pathlib import Path

import anyio
from loguru import logger

from .. import _service
from .._collector import settle_after_start_up
from ..errors import ConfigurationError
from ._defaults import DEFAULT_HOST, DEFAULT_POOL_SIZE, DEFAULT_PORT, default_db_path
from ._redact import redact
from ._server import BrokerStartError, bind, loop_options, open_store, rest_url, serve
from .auth import BrokerAuthSettings
from .store import DEFAULT_RETENTION_MS

MAX_POOL_SIZE = 1_000


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0.001 <= value < 10**12:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def _pool_size(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_POOL_SIZE:
        raise argparse.ArgumentTypeError(
            f"expected a number of connections from 1 to {MAX_POOL_SIZE}, got {text!r}"
        )
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m sdk.broker", description=__doc__)
    p.add_argument(
        "--db",
        type=Path,
        default=default_db_path(),
        help=f"SQLite file, or :memory: (default: {default_db_path()})",
    )
    url = os.environ.get("SDK_BROKER_DATABASE_URL") or None
    p.add_argument(
        "--database-url",
        default=url,
        metavar="postgresql://USER:PASSWORD@HOST/DB",
        help="keep the jobs in PostgreSQL instead of --db (several brokers may share it;"
        " needs sdk[postgres]; default: $SDK_BROKER_DATABASE_URL"
        + (f", now {redact(url)})" if url else ", unset)"),
    )
    p.add_argument(
        "--database-pool-size",
        type=_pool_size,
        default=os.environ.get("SDK_BROKER_DATABASE_POOL_SIZE") or str(DEFAULT_POOL_SIZE),
        metavar="N",
        help="connections to PostgreSQL, i.e. concurrent transactions of this broker"
        f" (default: $SDK_BROKER_DATABASE_POOL_SIZE or {DEFAULT_POOL_SIZE})",
    )
    p.add_argument(
        "--host", default=DEFAULT_HOST, help=f"address to bind (default: {DEFAULT_HOST})"
    )
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default: {DEFAULT_PORT})")
    p.add_argument(
        "--synchronous",
        default="FULL",
        choices=["NORMAL", "FULL", "EXTRA"],
        help="SQLite synchronous mode: FULL survives power loss (default: FULL)",
    )
    p.add_argument(
        "--idempotency-retention",
        type=_positive_seconds,
        default=DEFAULT_RETENTION_MS / 1000,
        metavar="SECONDS",
        help="how long an Idempotency-Key of job creation is remembered (default: 86400, a day)",
    )
    p.add_argument(
        "--clock-control",
        action="store_true",
        default=os.environ.get("SDK_BROKER_CLOCK_CONTROL", "").lower() in ("1", "true", "yes"),
        help="let clients pin the broker's clock (PUT /v2/clock, POST /v2/clock/reset), as"
        " Camunda's zeebe.clock.controlled; for tests (default: $SDK_BROKER_CLOCK_CONTROL)",
    )
    auth = p.add_argument_group(
        "authentication",
        "Without any of these the broker is open (fine on 127.0.0.1). Flags add to the"
        " variables SDK_BROKER_USERS, SDK_BROKER_VIEWERS, SDK_BROKER_API_KEYS and"
        " SDK_BROKER_OAUTH_CLIENTS, which keep secrets out of the process list.",
    )
    auth.add_argument(
        "--user", action="append", default=[], metavar="NAME:PASSWORD", help="a BASIC user"
    )
    auth.add_argument(
        "--viewer",
        action="append",
        default=[],
        metavar="NAME:PASSWORD",
        help="a BASIC user who may only read",
    )
    auth.add_argument(
        "--api-key", action="append", default=[], metavar="KEY", help="an accepted bearer key"
    )
    auth.add_argument(
        "--oauth-client",
        action="append",
        default=[],
        metavar="ID:SECRET",
        help="a client of the /oauth/token endpoint (for testing OAUTH clients)",
    )
    return p


async def _run(args: argparse.Namespace) -> None:
    where = args.database_url or args.db
    store = open_store(  # a clear error, not a group's
        where,
        synchronous=args.synchronous,
        idempotency_retention_ms=int(args.idempotency_retention * 1000),
        pool_size=args.database_pool_size,
    )
    async with anyio.create_task_group() as tg:
        await tg.start(
            partial(
                serve,
                where,
                sock=args.sock,
                synchronous=args.synchronous,
                auth=args.auth,
                store=store,
                clock_control=args.clock_control,
            )
        )
        logger.info("broker: dashboard at {}/ui", rest_url(args.sock).removesuffix("/v2"))
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for signum in signals:
                logger.info("broker: {} received, stopping", signal.Signals(signum).name)
                tg.cancel_scope.cancel()
                break


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        args.auth = BrokerAuthSettings.load().to_auth(
            users=args.user,
            viewers=args.viewer,
            api_keys=args.api_key,
            oauth_clients=args.oauth_client,
        )
        args.sock = bind(args.host, args.port)
        settle_after_start_up()
        _service.run(_run, args, backend_options=loop_options())
    except (BrokerStartError, ConfigurationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
