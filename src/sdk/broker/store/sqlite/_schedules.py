"""The schedules table in SQLite (the rules and statements: ``store/_schedules.py``)."""

from __future__ import annotations

SCHEMA = """
CREATE TABLE IF NOT EXISTS schedules (
    name TEXT PRIMARY KEY,
    job_type TEXT NOT NULL,
    cron TEXT,
    time_zone TEXT,
    interval TEXT,
    interval_ms INTEGER,
    variables TEXT NOT NULL,
    custom_headers TEXT NOT NULL,
    retries INTEGER NOT NULL,
    overlap TEXT NOT NULL,
    catch_up TEXT NOT NULL,
    paused INTEGER NOT NULL DEFAULT 0,
    next_run_at INTEGER,
    last_run_at INTEGER,
    last_job_key INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS schedules_due ON schedules (next_run_at) WHERE paused = 0;
"""
