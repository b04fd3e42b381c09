"""``httpx.Auth`` for the configured strategy: nothing, HTTP Basic, or OAuth client credentials."""

from __future__ import annotations

import httpx

from ..errors import ConfigurationError
from ._oauth import OAuthClientCredentials
from ._settings import AuthStrategy, Settings


def auth_for(settings: Settings) -> httpx.Auth | None:
    """The auth flow for ``settings``; secrets stay inside it and never reach a log line."""
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
    if settings.client_id is None or settings.client_secret is None:
        raise ConfigurationError("OAUTH auth needs CAMUNDA_CLIENT_ID and CAMUNDA_CLIENT_SECRET")
    return OAuthClientCredentials(
        oauth_url=settings.oauth_url,
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        audience=settings.token_audience,
        cache_dir=settings.token_cache_dir,
        timeout_s=settings.http_timeout_s,
    )
