"""The PostgreSQL store's schema: versioned steps, applied in one transaction at start-up.

``sdk_schema`` holds the version. A database written by a newer broker is refused (its rows
may mean something this code does not know); an older one is brought up to date step by step,
all or nothing. Replicas starting together serialise on an advisory lock, so one creates.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import tuple_row

from .. import (
    _clock,
    _instances,
    _messages,
    _progress,
    _results,
    _scheduling,
    _start_timers,
    _user_tasks,
)
from .._rules import FIRST_KEY, StoreVersionError
from . import _deployments, _idempotency, _limits, _schedules

SCHEMA_VERSION = 13
SCHEMA_LOCK = 0x5D6B_0001
"""Advisory lock key held while the schema is checked or changed."""

MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        f"CREATE SEQUENCE job_keys START WITH {FIRST_KEY}",
        """CREATE TABLE jobs (
            key BIGINT PRIMARY KEY,
            type TEXT NOT NULL,
            state TEXT NOT NULL,
            retries INTEGER NOT NULL,
            available_at BIGINT NOT NULL,
            deadline BIGINT,
            worker TEXT,
            lease BIGINT NOT NULL DEFAULT 0,
            leased INTEGER NOT NULL DEFAULT 0,
            variables TEXT NOT NULL,
            custom_headers TEXT NOT NULL,
            error_code TEXT,
            error_message TEXT,
            tenant_id TEXT NOT NULL,
            process_definition_id TEXT NOT NULL,
            element_id TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL
        )""",
        "CREATE INDEX jobs_live ON jobs (type, available_at)"
        " WHERE state IN ('ACTIVATABLE', 'ACTIVATED')",
        "CREATE INDEX jobs_type_state ON jobs (type, state)",
        """CREATE TABLE job_events (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            job_key BIGINT NOT NULL,
            job_type TEXT NOT NULL,
            at BIGINT NOT NULL,
            event TEXT NOT NULL,
            worker TEXT,
            retries INTEGER,
            message TEXT
        )""",
    ),
    2: ("CREATE INDEX job_events_key ON job_events (job_key)",),
    3: _idempotency.TABLES + _limits.TABLES,
    4: _deployments.TABLES,
    5: _instances.postgres_tables(),
    6: _clock.postgres_tables(),
    7: _user_tasks.postgres_tables(),
    8: _start_timers.postgres_tables(),
    9: _messages.postgres_tables(),
    10: _scheduling.POSTGRES_MIGRATION + _limits.KEYED_COLUMNS,
    11: _schedules.TABLES,
    12: (*_results.postgres_tables(), *_progress.postgres_tables()),
    13: _scheduling.POSTGRES_READY_BY_KEY,
}
"""Version → the statements that lead to it from the one before."""


def stored_version(conn: psycopg.Connection[Any]) -> int:
    """0 for an empty database."""
    cur = conn.cursor(row_factory=tuple_row)
    row = cur.execute("SELECT to_regclass('sdk_schema') IS NOT NULL").fetchone()
    if row is None or not row[0]:
        return 0
    version = cur.execute("SELECT MAX(version) FROM sdk_schema").fetchone()
    return int(version[0] or 0) if version else 0


def ensure_schema(conn: psycopg.Connection[Any], where: str, target: int = SCHEMA_VERSION) -> int:
    """Create or migrate the schema to ``target``; return the version found before.

    ``conn`` must be in autocommit mode; the check and every step run in one transaction.
    """
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
        found = stored_version(conn)
        if found > target:
            raise StoreVersionError(
                f"the database {where} holds store schema version {found}, newer than this"
                f" broker's {target}: upgrade the broker, or point --database-url at another"
                " database"
            )
        for version in range(found + 1, target + 1):
            for statement in MIGRATIONS[version]:
                conn.execute(statement.encode())
        if found == 0:
            conn.execute("CREATE TABLE sdk_schema (version INTEGER NOT NULL)")
            conn.execute("INSERT INTO sdk_schema (version) VALUES (%s)", (target,))
        elif found < target:
            conn.execute("UPDATE sdk_schema SET version = %s", (target,))
    return found
