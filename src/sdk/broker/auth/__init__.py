"""Who may use the broker: its users and API keys, and the local OAuth token endpoint."""

from ._access import AuthMiddleware as AuthMiddleware
from ._access import BrokerAuth as BrokerAuth
from ._access import BrokerAuthSettings as BrokerAuthSettings
from ._access import BrokerUser as BrokerUser
from ._access import Principal as Principal
