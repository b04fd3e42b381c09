"""An activation reads the ready index in activation order and stops at its limit: it never
sorts every due job of the type (a backlog made that cost grow with its size)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest

from sdk.broker import JobStore
from sdk.broker.store import Activation
from sdk.broker.store.postgres._store import PICK
from sdk.broker.store.postgres._store import SQL as POSTGRES_SQL
from sdk.broker.store.sqlite._jobs import READY
from sdk.broker.store.sqlite._jobs import SQL as SQLITE_SQL
from sdk.models import JobSpec

from _support.clocks import FakeClock

pytestmark = pytest.mark.anyio

START_MS = 1_700_000_000_000
BACKLOG = 2_000
QUERY = Activation(job_type="t", worker="w", timeout_ms=60_000, max_jobs=32)


async def backlog(path: str) -> None:
    """One bulk creation: every job due at the same millisecond, as a bench's backlog is."""
    store = JobStore(path, clock=FakeClock(START_MS))
    try:
        await store.create([JobSpec(type="t")] * BACKLOG)
        taken = await store.activate(QUERY, -1)
        assert len(taken) == QUERY.max_jobs  # the statement below is the one that ran
    finally:
        await store.aclose()


async def test_sqlite_walks_the_ready_index_without_a_sort(tmp_path: Path) -> None:
    path = str(tmp_path / "jobs.sqlite3")
    await backlog(path)
    where, args = SQLITE_SQL.candidates(QUERY)
    with sqlite3.connect(path) as db:
        plan = db.execute(
            f"EXPLAIN QUERY PLAN {READY.format(where=where)} LIMIT ?",
            (*args, START_MS, QUERY.max_jobs),
        ).fetchall()
    details = [row[3] for row in plan]
    assert any("jobs_ready" in d for d in details), details
    assert not any("TEMP B-TREE" in d for d in details), details


async def test_postgres_walks_the_ready_index_without_a_sort(postgres_url: str) -> None:
    await backlog(postgres_url)
    where, args = POSTGRES_SQL.candidates(QUERY)
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("ANALYZE jobs")
        rows = conn.execute(
            f"EXPLAIN {PICK.format(where=where)}".encode(),
            (*args, START_MS, QUERY.max_jobs),
        ).fetchall()
    plan = "\n".join(row[0] for row in rows)
    assert "jobs_ready" in plan, plan
    assert "Sort" not in plan, plan  # neither a sort nor an incremental sort of ties
