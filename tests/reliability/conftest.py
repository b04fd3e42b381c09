"""Fixtures of the reliability suite (its ``slow`` tests run with ``--run-slow``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest

from sdk.broker import RunningBroker, serve


@pytest.fixture
async def file_broker(tmp_path: Path) -> AsyncIterator[RunningBroker]:
    """An in-process broker over a SQLite file (WAL, fsync), on a free loopback port."""
    async with anyio.create_task_group() as tg:
        broker: RunningBroker = await tg.start(serve, tmp_path / "jobs.sqlite3", "127.0.0.1", 0)
        yield broker
        tg.cancel_scope.cancel()
