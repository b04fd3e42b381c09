from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator

import pytest

from sdk.testing.postgres import (
    URL_VARIABLE,
    PostgresCluster,
    drop_database,
    fresh_database,
    server_binaries,
)


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
