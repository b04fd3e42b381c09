"""``httpx.Auth`` for the configured strategy."""

from __future__ import annotations

import httpx

from ..errors import ConfigurationError
from ._settings import AuthStrategy, Settings


def auth_for(settings: Settings) -> httpx.Auth | None:
    """The auth flow for ``settings``; secrets stay inside httpx and never reach a log line."""
    strategy = settings.resolved_auth()
    if strategy is AuthStrategy.NONE:
        return None
    if strategy is AuthStrategy.BASIC:
        if settings.basic_auth_username is None or settings.basic_auth_password is None:
            raise ConfigurationError(
                "BASIC auth needs CAMUNDA_BASIC_AUTH_USERNAME and CAMUNDA_BASIC_AUTH_PASSWORD"
            )
        return httpx.BasicAuth(
            settings.basic_auth_username, settings.basic_auth_password.get_secret_value()
        )
    raise ConfigurationError(
        "CAMUNDA_AUTH_STRATEGY=OAUTH is not supported by this version yet; use NONE or BASIC"
    )
