"""Choosing the store's backend from where it lives: a file (SQLite) or a database URL."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path

from ..errors import ConfigurationError
from ._contract import Jobs
from ._notifier import Notifier
from ._sqlite import SqliteJobs

Follower = Callable[[Notifier, Callable[[], None]], Awaitable[None]]
"""Runs until cancelled, waking waiters for changes other processes make to the jobs."""

URL_SCHEMES = ("postgresql://", "postgres://")


def is_database_url(where: str | Path) -> bool:
    return str(where).startswith(URL_SCHEMES)


def open_jobs(where: str | Path, *, synchronous: str = "FULL") -> tuple[Jobs, Follower | None]:
    """The backend for ``where``: a PostgreSQL URL, else a SQLite file (or ``:memory:``)."""
    if not is_database_url(where):
        return SqliteJobs(where, synchronous=synchronous), None
    try:
        from ._pg_follow import follow
        from ._postgres import PostgresJobs
    except ImportError as exc:
        raise ConfigurationError(
            f"a PostgreSQL store needs the driver ({exc}): pip install 'sdk[postgres]'"
        ) from None
    jobs = PostgresJobs(str(where))
    return jobs, partial(follow, jobs.url, jobs.origin)
