"""The embedded job server: Camunda's v2 job API (plus a few extensions) over a SQLite store."""

from ._app import create_app as create_app
from ._auth import BrokerAuth as BrokerAuth
from ._auth import BrokerAuthSettings as BrokerAuthSettings
from ._auth import BrokerUser as BrokerUser
from ._defaults import DEFAULT_HOST as DEFAULT_HOST
from ._defaults import DEFAULT_POOL_SIZE as DEFAULT_POOL_SIZE
from ._defaults import DEFAULT_PORT as DEFAULT_PORT
from ._defaults import default_db_path as default_db_path
from ._server import BrokerStartError as BrokerStartError
from ._server import RunningBroker as RunningBroker
from ._server import bind as bind
from ._server import open_store as open_store
from ._server import serve as serve
from ._store import JobStore as JobStore
from ._store import wall_clock_ms as wall_clock_ms

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
