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

from ._server import BrokerStartError, bind, serve

DEFAULT_PORT = 8080
DEFAULT_HOST = "127.0.0.1"


def default_db_path() -> Path:
    """``$SDK_DATA_DIR/broker.db``, else under ``$XDG_DATA_HOME`` (``~/.local/share``)."""
    base = os.environ.get("SDK_DATA_DIR")
    if base:
        return Path(base) / "broker.db"
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "sdk" / "broker.db"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m sdk.broker", description=__doc__)
    p.add_argument(
        "--db",
        type=Path,
        default=default_db_path(),
        help=f"SQLite file, or :memory: (default: {default_db_path()})",
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
    return p


async def _run(args: argparse.Namespace) -> None:
    async with anyio.create_task_group() as tg:
        await tg.start(partial(serve, args.db, sock=args.sock, synchronous=args.synchronous))
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for signum in signals:
                logger.info("broker: {} received, stopping", signal.Signals(signum).name)
                tg.cancel_scope.cancel()
                break


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        args.sock = bind(args.host, args.port)
        anyio.run(_run, args)
    except BrokerStartError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
