"""Fixtures of the broker suite: a real broker on loopback over both kinds of store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import httpx
import pytest

from sdk.broker import RunningBroker, serve
from sdk.client import AsyncClient
from sdk.testing import client_for

HTTP_TIMEOUT_S = 30.0
"""Longer than every long poll the suite makes, shorter than the per-test timeout."""


@pytest.fixture(params=["memory", "sqlite-file", "postgres"])
def store_path(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where the broker keeps its jobs: in memory, in a SQLite file (WAL, fsync), or in a
    fresh PostgreSQL database (skipped, saying why, where no server can be started)."""
    if request.param == "memory":
        return ":memory:"
    if request.param == "postgres":
        url: str = request.getfixturevalue("postgres_url")
        return url
    return str(tmp_path / "jobs.sqlite3")


@pytest.fixture
async def broker(store_path: str) -> AsyncIterator[RunningBroker]:
    """An embedded broker over ``store_path``, served on a free loopback port."""
    async with anyio.create_task_group() as tg:
        running: RunningBroker = await tg.start(serve, store_path, "127.0.0.1", 0)
        yield running
        tg.cancel_scope.cancel()


@pytest.fixture
async def http(broker: RunningBroker) -> AsyncIterator[httpx.AsyncClient]:
    """Raw HTTP to ``broker``; paths are relative to its ``/v2`` base, e.g. ``/jobs/activation``."""
    # Plain HTTP on loopback: verify=False only skips building a TLS context (~40 ms a client).
    # One connection per request: the broker answers requests after the first on a kept-alive
    # connection ~40 ms late (Nagle; see test_keep_alive_requests_answer_without_delay), which
    # would add ~40 ms to every request of this suite without changing what it checks.
    async with httpx.AsyncClient(
        base_url=broker.url,
        timeout=HTTP_TIMEOUT_S,
        verify=False,
        limits=httpx.Limits(max_keepalive_connections=0),
    ) as client:
        yield client


@pytest.fixture
async def web(broker: RunningBroker) -> AsyncIterator[httpx.AsyncClient]:
    """HTTP to the broker's root, for the dashboard (pages under ``/ui``, API under ``/v2``);
    one connection per request, as ``http``."""
    async with httpx.AsyncClient(
        base_url=broker.url.removesuffix("/v2"),
        timeout=HTTP_TIMEOUT_S,
        verify=False,
        limits=httpx.Limits(max_keepalive_connections=0),
    ) as client:
        yield client


@pytest.fixture
async def api(broker: RunningBroker) -> AsyncIterator[AsyncClient]:
    """The project's own client of ``broker`` (for set-up steps that need no raw HTTP)."""
    async with client_for(broker) as client:
        yield client


@pytest.fixture
async def two_brokers(postgres_url: str) -> AsyncIterator[tuple[RunningBroker, RunningBroker]]:
    """Two replicas on one PostgreSQL database (skipped without one)."""
    async with anyio.create_task_group() as tg:
        one: RunningBroker = await tg.start(serve, postgres_url, "127.0.0.1", 0)
        two: RunningBroker = await tg.start(serve, postgres_url, "127.0.0.1", 0)
        yield one, two
        tg.cancel_scope.cancel()
