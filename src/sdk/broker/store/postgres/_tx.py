"""Transactions of the PostgreSQL store on its connection pool (``psycopg_pool``).

Each operation borrows a connection for one transaction, so a broker runs as many at once as
its pool holds, and never blocks its event loop. Statements are pipelined: a transaction
waits on the network only where it needs an answer (to check a row, say), and its last step
(events, notifications, ``COMMIT``) costs one round trip.

PostgreSQL settles conflicts between concurrent transactions by aborting one of them: a
deadlock (SQLSTATE 40P01), a serialisation failure (40001) or a lock wait past
``LOCK_TIMEOUT_MS`` (55P03). Such a transaction is rolled back whole, so it is run again here,
a few times with a jittered back-off, instead of answering 503 at once. A lost connection is
retried once on a checked pool when the transaction had not reached its commit (else whether
it committed is unknown); a database that is really away answers ``StoreUnavailable`` (503)
with the URL's password hidden, and the pool reconnects by itself when it is back.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import anyio
import psycopg
from loguru import logger
from psycopg import errors
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool, PoolClosed, PoolTimeout

from ..._problems import StoreUnavailable
from ..._redact import redact, redact_text
from .._rules import HistoryRow, history_row
from .._search import EVENT_COLUMNS

T = TypeVar("T")

Connection = psycopg.AsyncConnection[DictRow]
Cursor = psycopg.AsyncCursor[DictRow]

JOBS_CHANNEL = "sdk_jobs"
"""``NOTIFY`` payload ``origin:type``: a job of ``type`` may have become activatable."""
EVENTS_CHANNEL = "sdk_events"
"""``NOTIFY`` payload ``origin``: the event log grew."""
EVENT_LOG_LOCK = 0x5D6B_0002
"""Advisory lock that orders the event log's appends with their commits (see ``_commit``)."""
CONNECT_TIMEOUT_S = 5
POOL_TIMEOUT_S = 5.0
"""Longest wait for a free connection (or for the database to come back) before a 503."""
RECONNECT_TIMEOUT_S = 5.0
"""How long the pool retries a lost connection in the background; after that it connects
again when a request asks for one, so the broker recovers however long the database was away."""
CLOSE_TIMEOUT_S = 1.0
"""Longest wait at shutdown for the pool's background connection attempts: when the database
is going away too (a whole stack stopping), they would otherwise hold the exit past the
container's stop grace period."""
LOCK_TIMEOUT_MS = 2_000
"""Longest wait for a row lock; past it the transaction is retried (as a deadlock is)."""
ATTEMPTS = 5
"""Runs of a transaction that PostgreSQL aborted for a conflict, before a 503."""
BACKOFF_S = (0.005, 0.2)
"""First and longest pause before running a conflicting transaction again (jittered)."""

CONFLICTS = (errors.DeadlockDetected, errors.SerializationFailure, errors.LockNotAvailable)


class _Lost(Exception):
    """The connection broke before the transaction reached its commit: safe to run again."""


class Tx:
    """One transaction: its connection, the history rows it appends, the types it wakes."""

    __slots__ = ("committing", "conn", "events", "woken")

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.events: list[HistoryRow] = []
        self.woken: set[str] = set()
        self.committing = False

    async def execute(self, sql: str, args: Sequence[Any] = ()) -> Cursor:
        """Send a statement; its result is read (and waited for) only when fetched."""
        return await self.conn.execute(sql.encode(), args)

    async def one(self, sql: str, args: Sequence[Any] = ()) -> DictRow | None:
        return await (await self.execute(sql, args)).fetchone()

    async def all(self, sql: str, args: Sequence[Any] = ()) -> list[DictRow]:
        return await (await self.execute(sql, args)).fetchall()

    def event(self, key: int, job_type: str, at: int, event: str, **fields: Any) -> None:
        """Buffer a history row; it is appended (and numbered) just before the commit."""
        self.events.append(history_row(key, job_type, at, event, fields))


async def _configure(conn: Connection) -> None:
    await conn.execute(f"SET lock_timeout = {LOCK_TIMEOUT_MS}".encode())


class Database:
    """The store's connection pool to ``url``; ``on_commit`` is called after each commit
    that appended events.

    The pool opens on first use (it needs the running event loop), holds one connection
    while idle and grows to ``pool_size`` while requests wait for one.
    """

    def __init__(
        self, url: str, *, pool_size: int, origin: str, on_commit: Callable[[], None]
    ) -> None:
        self.url = url
        self.path = redact(url)
        self.origin = origin
        self._on_commit = on_commit
        self._pool: AsyncConnectionPool[Connection] = AsyncConnectionPool(
            url,
            connection_class=psycopg.AsyncConnection[DictRow],
            kwargs={
                "autocommit": True,  # transactions are begun explicitly, in the pipeline
                "row_factory": dict_row,
                "connect_timeout": CONNECT_TIMEOUT_S,
                "application_name": "sdk-broker",
            },
            min_size=1,
            max_size=pool_size,
            open=False,
            configure=_configure,
            name="sdk-broker",
            timeout=POOL_TIMEOUT_S,
            reconnect_timeout=RECONNECT_TIMEOUT_S,
            reconnect_failed=self._unreachable,
        )
        self._opened = False

    async def _unreachable(self, pool: AsyncConnectionPool[Connection]) -> None:
        logger.warning(
            "broker: cannot reach the job database {}; connecting again when asked", self.path
        )

    async def aclose(self) -> None:
        self._opened = True  # a closed pool is not opened again
        await self._pool.close(timeout=CLOSE_TIMEOUT_S)

    def unavailable(self, exc: BaseException, what: str = "unavailable") -> StoreUnavailable:
        """A 503 for a database error, with the password kept out of the message."""
        detail = redact_text(str(exc).strip(), self.url) or type(exc).__name__
        return StoreUnavailable(f"the job database {self.path} is {what}, retry later: {detail}")

    async def write(self, body: Callable[[Tx], Awaitable[T]]) -> T:
        """Run ``body`` in a transaction and commit it with its events (see ``_commit``)."""
        return await self._attempts(body, write=True)

    async def read(self, body: Callable[[Tx], Awaitable[T]]) -> T:
        """Run ``body``'s statements (reads, without a transaction of their own)."""
        return await self._attempts(body, write=False)

    async def _attempts(self, body: Callable[[Tx], Awaitable[T]], *, write: bool) -> T:
        conflicts = 0
        lost = False
        while True:
            try:
                # A transaction runs to its end once begun: a cancelled caller (a client gone)
                # must not leave a connection halfway through a statement.
                with anyio.CancelScope(shield=True):
                    result, tx = await self._once(body, write)
            except CONFLICTS as exc:
                conflicts += 1
                if conflicts >= ATTEMPTS:
                    raise self.unavailable(exc, f"busy ({ATTEMPTS} conflicting attempts)") from None
                pause_s = min(BACKOFF_S[0] * 2**conflicts, BACKOFF_S[1])
                await anyio.sleep(pause_s * random.uniform(0.5, 1.0))  # jittered: apart again
                continue
            except _Lost as exc:
                if lost:
                    raise self.unavailable(exc.__cause__ or exc) from None
                lost = True
                with anyio.CancelScope(shield=True):
                    await self._pool.check()  # drop every connection the same outage broke
                continue
            if tx.events:
                self._on_commit()  # the log grew: event streams look again
            return result

    async def _once(self, body: Callable[[Tx], Awaitable[T]], write: bool) -> tuple[T, Tx]:
        if not self._opened:
            self._opened = True
            await self._pool.open()
        tx: Tx | None = None
        try:
            async with self._pool.connection() as conn:
                tx = Tx(conn)
                async with conn.pipeline():
                    if write:
                        await conn.execute(b"BEGIN")
                    result = await body(tx)
                    if write:
                        await self._commit(tx)
            return result, tx
        except CONFLICTS:
            raise
        except PoolTimeout as exc:
            what = f"unavailable (no connection within {POOL_TIMEOUT_S:g} s)"
            raise self.unavailable(exc, what) from None
        except PoolClosed as exc:
            raise self.unavailable(exc, "closed") from None
        except psycopg.OperationalError as exc:
            if tx is not None and tx.conn.broken and not tx.committing:
                raise _Lost() from exc
            raise self.unavailable(exc) from None

    async def _commit(self, tx: Tx) -> None:
        """Append the transaction's events, announce it and commit, in one round trip.

        Why a follower of the log (``events_after``) never skips an id: ids come from an
        identity column (a sequence without a cache: every ``nextval`` is larger than every
        one before, across sessions) when the rows are inserted, and only a transaction
        holding ``EVENT_LOG_LOCK`` inserts them. The lock is released after the commit has
        become visible (PostgreSQL marks a transaction committed before it releases its
        locks), so appends happen one transaction at a time, each visible before the next
        one takes its ids: every id below one a reader sees is already visible (or was
        rolled back, a gap that is never filled later).

        Why it costs little: the lock is taken in the transaction's last step, sent with the
        insert, the ``NOTIFY`` and ``COMMIT`` in one pipelined batch, so it is held for no
        round trip, only while the server appends and commits. PostgreSQL itself already
        commits notifying transactions one at a time (``NOTIFY`` holds a database-wide lock
        from its pre-commit to the end of the commit), and every transaction with events
        notifies; the lock widens that window only by the insert.
        """
        channels = [JOBS_CHANNEL] * len(tx.woken)
        payloads = [f"{self.origin}:{job_type}" for job_type in sorted(tx.woken)]
        if tx.events:
            columns = list(zip(*tx.events, strict=True))
            await tx.execute("SELECT pg_advisory_xact_lock(%s)", (EVENT_LOG_LOCK,))
            await tx.execute(
                f"INSERT INTO job_events ({EVENT_COLUMNS}) SELECT * FROM unnest("
                "%s::bigint[], %s::text[], %s::bigint[], %s::text[], %s::text[], %s::int[],"
                " %s::text[])",
                [list(c) for c in columns],
            )
            channels.append(EVENTS_CHANNEL)
            payloads.append(self.origin)
        if channels:
            await tx.execute(
                "SELECT pg_notify(c, p) FROM unnest(%s::text[], %s::text[]) AS n(c, p)",
                (channels, payloads),
            )
        tx.committing = True
        await tx.execute("COMMIT")
