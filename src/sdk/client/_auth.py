"""``httpx.Auth`` for the configured strategy: nothing, HTTP Basic, OAuth, or a static token."""

from __future__ import annotations

from collections.abc import Generator

import httpx
from pydantic import SecretStr

from ..errors import ConfigurationError
from ._oauth import OAuthClientCredentials
from ._settings import AuthStrategy, Settings


class BearerToken(httpx.Auth):
    """``Authorization: Bearer <token>`` on every request; the token stays out of reprs."""

    def __init__(self, token: SecretStr) -> None:
        self._header = f"Bearer {token.get_secret_value()}"

    def __repr__(self) -> str:
        return "BearerToken(***)"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        request.headers["Authorization"] = self._header
        yield request


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
    if strategy is AuthStrategy.BEARER:
        if settings.oauth_token is None:
            raise ConfigurationError("BEARER auth needs CAMUNDA_OAUTH_TOKEN (the token or API key)")
        return BearerToken(settings.oauth_token)
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
