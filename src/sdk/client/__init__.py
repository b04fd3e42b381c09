"""Clients of the Camunda 8 REST v2 job API: ``AsyncClient`` and its blocking twin ``Client``."""

from ._async_client import AsyncClient as AsyncClient
from ._event_stream import EventMode as EventMode
from ._retry import HttpRetryPolicy as HttpRetryPolicy
from ._settings import DEFAULT_REST_ADDRESS as DEFAULT_REST_ADDRESS
from ._settings import AuthStrategy as AuthStrategy
from ._settings import Settings as Settings
from ._sync_client import Client as Client
from ._transport import HttpTransport as HttpTransport

__all__ = [
    "DEFAULT_REST_ADDRESS",
    "AsyncClient",
    "AuthStrategy",
    "Client",
    "EventMode",
    "HttpRetryPolicy",
    "HttpTransport",
    "Settings",
]
