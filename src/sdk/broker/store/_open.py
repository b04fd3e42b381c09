"""Choosing the store's backend from where it lives: a file (SQLite) or a database URL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ...errors import ConfigurationError
from .._defaults import DEFAULT_POOL_SIZE
from ._backend import Backend
from .sqlite import SqliteJobs, ThreadedStore

URL_SCHEMES = ("postgresql://", "postgres://")


def is_database_url(where: str | Path) -> bool:
    return str(where).startswith(URL_SCHEMES)


def open_backend(
    where: str | Path,
    *,
    synchronous: str = "FULL",
    pool_size: int = DEFAULT_POOL_SIZE,
    on_change: Callable[[], None],
) -> Backend:
    """The backend for ``where``: a PostgreSQL URL, else a SQLite file (or ``:memory:``);
    ``on_change`` is called after each commit."""
    if not is_database_url(where):
        return ThreadedStore(SqliteJobs(where, synchronous=synchronous), on_change)
    if pool_size < 1:
        raise ConfigurationError(f"the database pool size must be 1 or more, not {pool_size}")
    try:
        from .postgres import PostgresStore
    except ImportError as exc:
        raise ConfigurationError(
            f"a PostgreSQL store needs the driver ({exc}): pip install 'sdk[postgres]'"
        ) from None
    return PostgresStore(str(where), pool_size=pool_size, on_change=on_change)
