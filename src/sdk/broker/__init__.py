"""The embedded job server: Camunda's v2 job API (plus a few extensions) over a job store in
SQLite or PostgreSQL.

The names load their modules on first use (PEP 562, as pydantic's face does): a worker
pointed at a remote server reads ``DEFAULT_PORT`` here without importing the server, its
store, Starlette or uvicorn (docs/performance.md: an idle worker's memory).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._app import create_app as create_app
    from ._defaults import DEFAULT_HOST as DEFAULT_HOST
    from ._defaults import DEFAULT_POOL_SIZE as DEFAULT_POOL_SIZE
    from ._defaults import DEFAULT_PORT as DEFAULT_PORT
    from ._defaults import default_db_path as default_db_path
    from ._server import BrokerStartError as BrokerStartError
    from ._server import RunningBroker as RunningBroker
    from ._server import bind as bind
    from ._server import open_store as open_store
    from ._server import serve as serve
    from .auth import BrokerAuth as BrokerAuth
    from .auth import BrokerAuthSettings as BrokerAuthSettings
    from .auth import BrokerUser as BrokerUser
    from .store import JobStore as JobStore
    from .store import wall_clock_ms as wall_clock_ms

_HOMES = {
    "create_app": "_app",
    "BrokerAuth": "auth",
    "BrokerAuthSettings": "auth",
    "BrokerUser": "auth",
    "DEFAULT_HOST": "_defaults",
    "DEFAULT_POOL_SIZE": "_defaults",
    "DEFAULT_PORT": "_defaults",
    "default_db_path": "_defaults",
    "BrokerStartError": "_server",
    "RunningBroker": "_server",
    "bind": "_server",
    "open_store": "_server",
    "serve": "_server",
    "JobStore": "store",
    "wall_clock_ms": "store",
}
"""Each public name → the module (of this package) that holds it."""

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_POOL_SIZE",
    "DEFAULT_PORT",
    "BrokerAuth",
    "BrokerAuthSettings",
    "BrokerStartError",
    "BrokerUser",
    "JobStore",
    "RunningBroker",
    "bind",
    "create_app",
    "default_db_path",
    "open_store",
    "serve",
    "wall_clock_ms",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
