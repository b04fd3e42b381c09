"""Clients of the Camunda 8 REST v2 job API: ``AsyncClient`` and its blocking twin ``Client``.

Also the pieces a command line or a test needs around them: the stored connection profiles
(``ProfileStore``; ``SDK_PROFILE`` selects one) and the OAuth token they cache on disk.
"""

from ._async_client import AsyncClient as AsyncClient
from ._auth import clear_token_cache as clear_token_cache
from ._event_stream import EventMode as EventMode
from ._profiles import PROFILE_VARIABLE as PROFILE_VARIABLE
from ._profiles import Profile as Profile
from ._profiles import ProfileStore as ProfileStore
from ._profiles import check_profile_name as check_profile_name
from ._retry import HttpRetryPolicy as HttpRetryPolicy
from ._settings import DEFAULT_OAUTH_URL as DEFAULT_OAUTH_URL
from ._settings import DEFAULT_REST_ADDRESS as DEFAULT_REST_ADDRESS
from ._settings import DEFAULT_TOKEN_AUDIENCE as DEFAULT_TOKEN_AUDIENCE
from ._settings import AuthStrategy as AuthStrategy
from ._settings import Settings as Settings
from ._sync_client import Client as Client
from ._transport import HttpTransport as HttpTransport

__all__ = [
    "DEFAULT_OAUTH_URL",
    "DEFAULT_REST_ADDRESS",
    "DEFAULT_TOKEN_AUDIENCE",
    "PROFILE_VARIABLE",
    "AsyncClient",
    "AuthStrategy",
    "Client",
    "EventMode",
    "HttpRetryPolicy",
    "HttpTransport",
    "Profile",
    "ProfileStore",
    "Settings",
    "check_profile_name",
    "clear_token_cache",
]
