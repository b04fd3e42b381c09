"""Where the embedded broker listens and keeps its jobs unless told otherwise, and how much
it reads of one request.

Shared by ``python -m sdk.broker`` and the worker's embedded broker, so both agree.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_PORT = 8080
DEFAULT_HOST = "127.0.0.1"
DEFAULT_POOL_SIZE = 10
"""Connections one broker keeps to PostgreSQL: its concurrent transactions."""
MAX_BODY_BYTES = 4 * 1024 * 1024
"""Largest request body the broker reads (the job API and the token endpoint alike)."""


def default_db_path() -> Path:
    """``$SDK_DATA_DIR/broker.db``, else under ``$XDG_DATA_HOME`` (``~/.local/share``)."""
    base = os.environ.get("SDK_DATA_DIR")
    if base:
        return Path(base) / "broker.db"
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "sdk" / "broker.db"
