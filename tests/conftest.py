"""Fixtures and options of the whole suite.

Tests marked ``slow`` (heavier versions of the fault tests) are skipped unless asked for:

    .venv/bin/python -m pytest --run-slow
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from sdk.testing.postgres import (
    URL_VARIABLE,
    PostgresCluster,
    drop_database,
    fresh_database,
    server_binaries,
)

from _support.projects import write_project


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--run-slow", action="store_true", default=False, help="also run tests marked slow"
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: a heavier fault test, run only with --run-slow")
    config.addinivalue_line(
        "markers",
        "project(module, source, dirs=()): what the `project` fixture writes (see write_project)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-slow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --run-slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def project(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """A user's project folder holding the handler module that the test's (or its module's)
    ``project`` mark gives: ``pytest.mark.project("workers.shouting", HANDLERS)``."""
    mark = request.node.get_closest_marker("project")
    if mark is None:
        pytest.fail("the project fixture needs a pytest.mark.project(module, source) mark")
    return write_project(tmp_path, *mark.args, **mark.kwargs)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a PostgreSQL server for the tests (CI's, else a private cluster), or a skip
    saying why there is none."""
    url = os.environ.get(URL_VARIABLE)
    if url:
        yield url
        return
    binaries = server_binaries()
    if binaries is None:
        pytest.skip(f"no PostgreSQL: set {URL_VARIABLE} or install postgresql (initdb, pg_ctl)")
    try:
        cluster = PostgresCluster(binaries)
        cluster.start()
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        pytest.skip(f"cannot start a PostgreSQL cluster: {exc} {detail.decode(errors='replace')}")
    try:
        yield cluster.url
    finally:
        cluster.remove()


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty database of its own for one test."""
    url = fresh_database(postgres_server)
    try:
        yield url
    finally:
        drop_database(postgres_server, url)
