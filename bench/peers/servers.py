"""Private servers for the peers: ``redis-server`` and PostgreSQL, each on a free loopback
port with its files in a temporary folder, stopped when the ``with`` block ends."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import anyio
from anyio.abc import Process

from sdk.testing.postgres import PostgresCluster, free_port, server_binaries

from . import Skipped

REDIS_DEFAULTS = "Redis defaults (RDB snapshots, no fsync per write)"
REDIS_FSYNC = "Redis appendfsync always (every write fsynced)"
REDIS_OPTIONS = {
    REDIS_DEFAULTS: (),
    REDIS_FSYNC: ("--appendonly", "yes", "--appendfsync", "always"),
}
POSTGRES_DURABLE = "PostgreSQL fsync=on, synchronous_commit=on"


@asynccontextmanager
async def redis_server(folder: Path, persistence: str) -> AsyncIterator[str]:
    """A private ``redis-server`` with ``persistence`` (a key of ``REDIS_OPTIONS``); its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise Skipped("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder)]
    command += ["--save", ""] if persistence != REDIS_DEFAULTS else []
    proc = await anyio.open_process(
        [*command, *REDIS_OPTIONS[persistence]], stdout=subprocess.DEVNULL
    )
    try:
        url = f"redis://127.0.0.1:{port}/0"
        await _wait_for_redis(url, proc)
        yield url
    finally:
        proc.terminate()
        await proc.wait()


async def _wait_for_redis(url: str, proc: Process) -> None:
    import redis

    client = redis.Redis.from_url(url)
    try:
        with anyio.fail_after(10):
            while True:
                if proc.returncode is not None:
                    raise Skipped(f"redis-server exited with {proc.returncode} at start-up")
                try:
                    await anyio.to_thread.run_sync(client.ping)
                    return
                except redis.ConnectionError:
                    await anyio.sleep(0.05)
    except TimeoutError:
        raise Skipped("redis-server did not answer within 10 s") from None
    finally:
        client.close()


class DurableCluster(PostgresCluster):
    """The test cluster, but with every commit fsynced (the tests' cluster turns fsync off)."""

    def start(self) -> None:
        options = (
            f"-c port={self.port} -c listen_addresses=127.0.0.1"
            f" -c unix_socket_directories={self.folder} -c fsync=on -c synchronous_commit=on"
            " -c max_connections=300"
        )
        self._run(
            "pg_ctl",
            *("-D", str(self.data), "-l", str(self.folder / "log"), "-o", options),
            *("-w", "-t", "30", "start"),
        )


@contextmanager
def postgres_server() -> Iterator[PostgresCluster]:
    """A private PostgreSQL cluster (``initdb`` in a temporary folder), removed after."""
    if server_binaries() is None:
        raise Skipped("PostgreSQL is not installed (no initdb/pg_ctl found)")
    cluster = DurableCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()
