"""``httpx.Auth`` for the configured strategy: nothing, HTTP Basic, OAuth, or a static token."""

from __future__ import annotations

import base64
from collections.abc import Generator

import httpx
from pydantic import SecretStr

from ..errors import ConfigurationError
from ._oauth import OAuthClientCredentials, TokenCache
from ._settings import AuthStrategy, Settings


class StaticAuth(httpx.Auth):
    """The same ``Authorization`` header on every request (BASIC, BEARER); the secret stays
    out of reprs. Having no flow, it lets the client's hot calls skip httpx's auth step."""

    def __init__(self, scheme: str, credentials: str) -> None:
        self._scheme = scheme
        self._header = f"{scheme} {credentials}"

    @classmethod
    def basic(cls, username: str, password: SecretStr) -> StaticAuth:
        """What ``httpx.BasicAuth`` sends: ``user:password`` in UTF-8, base64-encoded."""
        pair = f"{username}:{password.get_secret_value()}".encode()
        return cls("Basic", base64.b64encode(pair).decode("ascii"))

    @classmethod
    def bearer(cls, token: SecretStr) -> StaticAuth:
        return cls("Bearer", token.get_secret_value())

    @property
    def header(self) -> str:
        return self._header

    def __repr__(self) -> str:
        return f"StaticAuth({self._scheme} ***)"

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
        return StaticAuth.basic(settings.basic_auth_username, settings.basic_auth_password)
    if strategy is AuthStrategy.BEARER:
        if settings.oauth_token is None:
            raise ConfigurationError("BEARER auth needs CAMUNDA_OAUTH_TOKEN (the token or API key)")
        return StaticAuth.bearer(settings.oauth_token)
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


def clear_token_cache(settings: Settings) -> None:
    """Delete the OAuth token that clients with ``settings`` keep on disk (none: nothing to do).

    ``sdk login`` clears it so that the new secret is what gets checked, ``sdk logout`` so that
    no token outlives its profile.
    """
    if settings.token_cache_dir is None or settings.client_id is None:
        return
    TokenCache.of_client(
        settings.token_cache_dir, settings.oauth_url, settings.client_id, settings.token_audience
    ).clear()
