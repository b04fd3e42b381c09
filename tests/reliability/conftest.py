"""Fixtures of the reliability suite, and the ``slow`` marker.

Tests marked ``slow`` (heavier versions of the fault tests) are skipped unless asked for:

    .venv/bin/pytest tests/reliability --run-slow
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest

from sdk.broker import RunningBroker, serve


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--run-slow",
        action="store_true",
        default=False,
        help="also run tests marked slow (pass the tests/reliability path with it)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "slow: a heavier fault test, run only with --run-slow (tests/reliability)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-slow", default=False):
        return
    skip = pytest.mark.skip(reason="slow: run with `pytest tests/reliability --run-slow`")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
async def file_broker(tmp_path: Path) -> AsyncIterator[RunningBroker]:
    """An in-process broker over a SQLite file (WAL, fsync), on a free loopback port."""
    async with anyio.create_task_group() as tg:
        broker: RunningBroker = await tg.start(serve, tmp_path / "jobs.sqlite3", "127.0.0.1", 0)
        yield broker
        tg.cancel_scope.cancel()
