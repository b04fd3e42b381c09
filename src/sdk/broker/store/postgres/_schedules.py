"""The schedules table in PostgreSQL (the rules and statements: ``store/_schedules.py``)."""

from __future__ import annotations

TABLES: tuple[str, ...] = (
    """CREATE TABLE schedules (
        name TEXT PRIMARY KEY,
        job_type TEXT NOT NULL,
        cron TEXT,
        time_zone TEXT,
        interval TEXT,
        interval_ms BIGINT,
        variables TEXT NOT NULL,
        custom_headers TEXT NOT NULL,
        retries INTEGER NOT NULL,
        overlap TEXT NOT NULL,
        catch_up TEXT NOT NULL,
        paused INTEGER NOT NULL DEFAULT 0,
        next_run_at BIGINT,
        last_run_at BIGINT,
        last_job_key BIGINT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
    )""",
    "CREATE INDEX schedules_due ON schedules (next_run_at) WHERE paused = 0",
)
