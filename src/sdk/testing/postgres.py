"""A throwaway PostgreSQL server for tests: ``initdb`` and ``pg_ctl`` in a folder of its own.

For anyone testing code against PostgreSQL (a broker on a shared database, or their own
handlers' database) without a server to set up: ``PostgresCluster().start()``, then
``fresh_database(cluster.url)`` per test. From a shell, ``python -m sdk.testing.postgres start
FOLDER`` prints the server's URL and ``stop FOLDER`` removes it (the project's CI exports that
URL as ``SDK_TEST_POSTGRES_URL``). Run as root, the server runs as ``nobody``, since ``initdb``
refuses root. ``fsync=off`` keeps it fast: meant for tests, which kill processes, not the OS.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import psycopg

URL_VARIABLE = "SDK_TEST_POSTGRES_URL"
SUPERUSER = "sdk"
_SEARCH_PATH = tuple(f"/usr/lib/postgresql/{v}/bin" for v in (17, 16, 15))


def server_binaries() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``, or None when PostgreSQL is not installed."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    for folder in _SEARCH_PATH:
        if (Path(folder) / "initdb").exists():
            return Path(folder)
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresCluster:
    """One PostgreSQL server of our own, on a free loopback port; ``stop``/``start`` keep its
    port and data.

    ``binaries`` default to ``server_binaries()``. ``folder`` (default: a new temporary one)
    is initialised unless it already holds a cluster, which is then taken over, e.g. to stop
    it from another process.
    """

    def __init__(self, binaries: Path | None = None, folder: Path | None = None) -> None:
        if binaries is None:
            binaries = server_binaries()
            if binaries is None:
                raise RuntimeError("PostgreSQL is not installed (no initdb/pg_ctl found)")
        self.binaries = binaries
        self.folder = folder if folder is not None else Path(tempfile.mkdtemp(prefix="sdk-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self._user = "nobody" if os.geteuid() == 0 else None
        if self.data.exists():
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        if self._user is not None:
            entry = pwd.getpwnam(self._user)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        )

    @property
    def url(self) -> str:
        """The server's ``postgres`` database, as its superuser (trust authentication)."""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.binaries / tool), *args]
        if self._user is not None:
            command = ["runuser", "-u", self._user, "--", *command]
        subprocess.run(
            command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=self.folder
        )

    def start(self) -> None:
        options = (
            f"-c port={self.port} -c listen_addresses=127.0.0.1"
            f" -c unix_socket_directories={self.folder} -c fsync=off -c full_page_writes=off"
            " -c max_connections=300"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.folder / "log"),
            "-o",
            options,
            "-w",
            "-t",
            "30",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    def remove(self) -> None:
        """Stop the server at once and delete its folder."""
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass  # not running
        shutil.rmtree(self.folder, ignore_errors=True)


def fresh_database(server_url: str) -> str:
    """Create an empty database on the server at ``server_url``; return its URL."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}".encode())
    base, _, _ = server_url.rpartition("/")
    return f"{base}/{name}"


def drop_database(server_url: str, url: str) -> None:
    name = url.rpartition("/")[2]
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)".encode())


def main(argv: list[str]) -> int:
    """``start FOLDER`` (prints the server's URL) or ``stop FOLDER``: a cluster for a shell."""
    if len(argv) != 2 or argv[0] not in ("start", "stop"):
        print("usage: python -m sdk.testing.postgres start|stop FOLDER", file=sys.stderr)
        return 2
    binaries = server_binaries()
    if binaries is None:
        print("PostgreSQL is not installed (no initdb/pg_ctl found)", file=sys.stderr)
        return 1
    cluster = PostgresCluster(binaries, Path(argv[1]))
    if argv[0] == "start":
        cluster.start()
        print(cluster.url)
    else:
        cluster.remove()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
