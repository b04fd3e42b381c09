"""Who may use the broker: HTTP Basic users, bearer API keys, and OAuth clients' tokens.

With ``create_app(store, auth=BrokerAuth(...))`` one ASGI middleware guards the whole app, so
every route, including routes mounted later (the web UI), needs credentials; the only open
path is the token endpoint, which checks client credentials itself. Missing or wrong
credentials answer 401 problem+json with ``WWW-Authenticate`` challenges; a viewer (read-only
user) asking to change something answers 403. No auth configured: the broker is open, which is
fine on loopback and warned about loudly on any other address.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ...errors import ConfigurationError
from .._problems import problem_response
from ._oauth import DEFAULT_TOKEN_TTL_S, TOKEN_PATH, TokenIssuer, digest, token_route

REALM = "sdk-broker"
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
READ_ONLY_POSTS = frozenset({"/v2/ext/jobs/search", "/v2/process-definitions/search"})
"""POST routes that only read, open to viewers."""


@dataclass(frozen=True)
class BrokerUser:
    """A BASIC user; a viewer (``read_only``) may read jobs but not change them."""

    name: str
    password: SecretStr
    read_only: bool = False


@dataclass(frozen=True)
class Principal:
    """Who a request was authenticated as (``request.scope["state"]["principal"]``)."""

    name: str
    read_only: bool = False
    kind: str = "user"
    """``user`` (HTTP Basic), ``api-key`` or ``client`` (an OAuth client's token)."""


class BrokerAuth:
    """The credentials the broker accepts.

    Args:
        users: HTTP Basic users (and viewers).
        api_keys: Bearer tokens accepted as they are (``Authorization: Bearer <key>``).
        oauth_clients: Client id → secret for the ``/oauth/token`` endpoint; the tokens it
            issues are accepted as bearer tokens until they expire.
        token_ttl_s: Lifetime of issued tokens in seconds. Default 3600.
        clock: Epoch seconds now, for token expiry; tests inject a controllable one.
    """

    def __init__(
        self,
        *,
        users: Iterable[BrokerUser] = (),
        api_keys: Iterable[SecretStr] = (),
        oauth_clients: Mapping[str, SecretStr] | None = None,
        token_ttl_s: float = DEFAULT_TOKEN_TTL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._users = {u.name: (digest(u.password.get_secret_value()), u.read_only) for u in users}
        self._api_keys = [digest(k.get_secret_value()) for k in api_keys]
        self.tokens = TokenIssuer(oauth_clients or {}, ttl_s=token_ttl_s, clock=clock)
        self._oauth = bool(oauth_clients)
        if not (self._users or self._api_keys or self._oauth):
            raise ConfigurationError("BrokerAuth needs at least one user, API key or OAuth client")

    def __repr__(self) -> str:
        return (
            f"BrokerAuth(users={sorted(self._users)}, api_keys={len(self._api_keys)},"
            f" oauth={self.tokens!r})"
        )

    @property
    def open_paths(self) -> frozenset[str]:
        """Paths served without credentials: only the token endpoint, when there is one."""
        return frozenset({TOKEN_PATH}) if self._oauth else frozenset()

    def routes(self) -> list[Route]:
        """Routes auth adds to the app (the token endpoint for OAuth clients)."""
        return [token_route(self.tokens)] if self._oauth else []

    def challenges(self, bearer_rejected: bool) -> list[str]:
        """``WWW-Authenticate`` values for a 401, one per accepted scheme."""
        found: list[str] = []
        if self._users:
            found.append(f'Basic realm="{REALM}", charset="UTF-8"')
        if self._api_keys or self._oauth:
            error = ', error="invalid_token"' if bearer_rejected else ""
            found.append(f'Bearer realm="{REALM}"{error}')
        return found

    def authenticate(self, authorization: str) -> Principal | None:
        """The principal an ``Authorization`` header proves, or ``None``."""
        scheme, _, value = authorization.partition(" ")
        scheme = scheme.lower()
        if scheme == "basic":
            return self._basic(value.strip())
        if scheme == "bearer":
            return self._bearer(value.strip())
        return None

    def _basic(self, value: str) -> Principal | None:
        try:
            decoded = base64.b64decode(value, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        name, _, password = decoded.partition(":")
        expected, read_only = self._users.get(name, (digest(secrets.token_hex(16)), False))
        if hmac.compare_digest(expected, digest(password)) and name in self._users:
            return Principal(name, read_only)
        return None

    def _bearer(self, token: str) -> Principal | None:
        presented = digest(token)
        if any(hmac.compare_digest(key, presented) for key in self._api_keys):
            return Principal("api-key", kind="api-key")
        client_id = self.tokens.client_of(token)
        return None if client_id is None else Principal(client_id or "oauth-client", kind="client")


class AuthMiddleware:
    """Guards every HTTP and websocket request of the app it wraps (pure ASGI, no buffering)."""

    def __init__(self, app: ASGIApp, auth: BrokerAuth) -> None:
        self.app = app
        self.auth = auth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"] in self.auth.open_paths:
            await self.app(scope, receive, send)
            return
        authorization = Headers(scope=scope).get("authorization", "")
        principal = self.auth.authenticate(authorization) if authorization else None
        method = scope.get("method", "GET")
        if principal is not None and (
            not principal.read_only or method in READ_METHODS or scope["path"] in READ_ONLY_POSTS
        ):
            scope.setdefault("state", {})["principal"] = principal
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})  # policy violation
            return
        request = Request(scope)
        if principal is not None:
            response = problem_response(
                request, 403, "FORBIDDEN", f"user {principal.name!r} may only read (a viewer)"
            )
        else:
            detail = (
                "the credentials were not accepted"
                if authorization
                else "this broker requires credentials: HTTP Basic or a bearer token"
            )
            response = problem_response(request, 401, "UNAUTHORIZED", detail)
            bearer_rejected = authorization.lower().startswith("bearer ")
            for challenge in self.auth.challenges(bearer_rejected):
                response.headers.append("www-authenticate", challenge)
        await response(scope, receive, send)


class BrokerAuthSettings(BaseSettings):
    """Credentials of the embedded broker, from the environment (or ``.env``)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    users: SecretStr | None = Field(
        default=None,
        validation_alias="SDK_BROKER_USERS",
        description="Broker users who may do everything, `NAME:PASSWORD` comma-separated"
        " (HTTP Basic).",
    )
    viewers: SecretStr | None = Field(
        default=None,
        validation_alias="SDK_BROKER_VIEWERS",
        description="Broker users who may only read, `NAME:PASSWORD` comma-separated.",
    )
    api_keys: SecretStr | None = Field(
        default=None,
        validation_alias="SDK_BROKER_API_KEYS",
        description="Bearer API keys the broker accepts, comma-separated.",
    )
    oauth_clients: SecretStr | None = Field(
        default=None,
        validation_alias="SDK_BROKER_OAUTH_CLIENTS",
        description="OAuth clients of the broker's `/oauth/token` endpoint, `ID:SECRET`"
        " comma-separated (for testing the OAUTH flow locally).",
    )
    token_ttl_s: float = Field(
        default=DEFAULT_TOKEN_TTL_S,
        gt=0,
        validation_alias="SDK_BROKER_TOKEN_TTL_S",
        description="Lifetime of tokens from the broker's `/oauth/token` in seconds.",
    )

    @classmethod
    def load(cls) -> BrokerAuthSettings:
        """Read ``.env`` and the environment; a bad value is a ``ConfigurationError``."""
        try:
            return cls()
        except ValidationError as exc:
            names = ", ".join(str(e["loc"][0]) for e in exc.errors(include_url=False))
            raise ConfigurationError(f"invalid broker auth settings: {names}") from None

    def to_auth(
        self,
        *,
        users: Sequence[str] = (),
        viewers: Sequence[str] = (),
        api_keys: Sequence[str] = (),
        oauth_clients: Sequence[str] = (),
    ) -> BrokerAuth | None:
        """The ``BrokerAuth`` of these settings plus extra entries (command-line flags);
        ``None`` when no credential is configured at all.

        Raises:
            ConfigurationError: an entry that is not ``NAME:SECRET`` (the message never
                contains the secret).
        """
        all_users = [
            *_users(_entries(self.users, users, "SDK_BROKER_USERS / --user"), read_only=False),
            *_users(_entries(self.viewers, viewers, "SDK_BROKER_VIEWERS / --viewer"), True),
        ]
        keys = [SecretStr(k) for k in _split(self.api_keys) + list(api_keys) if k]
        clients = dict(_entries(self.oauth_clients, oauth_clients, "SDK_BROKER_OAUTH_CLIENTS"))
        if not (all_users or keys or clients):
            return None
        return BrokerAuth(
            users=all_users,
            api_keys=keys,
            oauth_clients=clients,
            token_ttl_s=self.token_ttl_s,
        )


def _split(value: SecretStr | None) -> list[str]:
    return [] if value is None else [p.strip() for p in value.get_secret_value().split(",")]


def _entries(
    value: SecretStr | None, extra: Sequence[str], where: str
) -> list[tuple[str, SecretStr]]:
    """``NAME:SECRET`` entries as pairs; the secret is everything after the first colon."""
    pairs = []
    for n, entry in enumerate([*_split(value), *extra], start=1):
        if not entry:
            continue
        name, colon, secret = entry.partition(":")
        if not colon or not name.strip() or not secret:
            raise ConfigurationError(
                f"{where}: entry {n} is not NAME:SECRET (a name, a colon, a non-empty secret)"
            )
        pairs.append((name.strip(), SecretStr(secret)))
    return pairs


def _users(pairs: list[tuple[str, SecretStr]], read_only: bool) -> list[BrokerUser]:
    return [BrokerUser(name, password, read_only) for name, password in pairs]
