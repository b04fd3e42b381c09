"""A small OAuth 2.0 token endpoint (client credentials), for testing the OAUTH flow locally.

``POST /oauth/token`` with ``grant_type=client_credentials`` and a configured client id and
secret (form fields, or HTTP Basic as RFC 6749 section 2.3.1 allows) answers an opaque bearer
token that the broker then accepts until it expires. Tokens live in memory: a restarted broker
forgets them, and clients fetch a new one after the 401, as they would from a real provider.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable, Mapping
from urllib.parse import parse_qs

from pydantic import SecretStr
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .._defaults import MAX_BODY_BYTES

TOKEN_PATH = "/oauth/token"
DEFAULT_TOKEN_TTL_S = 3600.0


def digest(secret: str) -> bytes:
    """A fixed-length digest, so comparisons take the same time whatever the length."""
    return hashlib.sha256(secret.encode()).digest()


class TokenIssuer:
    """Issues and checks bearer tokens for the configured OAuth clients.

    Args:
        clients: Client id → client secret.
        ttl_s: Lifetime of an issued token in seconds. Default 3600.
        clock: Epoch seconds now; tests inject a controllable one.
    """

    def __init__(
        self,
        clients: Mapping[str, SecretStr],
        *,
        ttl_s: float = DEFAULT_TOKEN_TTL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._clients = {cid: digest(s.get_secret_value()) for cid, s in clients.items()}
        self.ttl_s = ttl_s
        self._clock = clock
        self._tokens: dict[bytes, tuple[float, str]] = {}
        """Digest of a token → (when it expires, the client it was issued to)."""
        self.issued = 0
        """Tokens handed out so far (tests use it to count fetches)."""

    def __repr__(self) -> str:
        return f"TokenIssuer(clients={sorted(self._clients)}, ttl_s={self.ttl_s:g})"

    def authenticate(self, client_id: str, client_secret: str) -> bool:
        """Whether ``client_id`` is a configured client and ``client_secret`` its secret."""
        expected = self._clients.get(client_id, digest(secrets.token_hex(16)))
        return hmac.compare_digest(expected, digest(client_secret)) and client_id in self._clients

    def issue(self, client_id: str = "") -> str:
        """A new token for ``client_id`` (expired ones are dropped on the way)."""
        now = self._clock()
        self._tokens = {t: entry for t, entry in self._tokens.items() if entry[0] > now}
        token = secrets.token_urlsafe(32)
        self._tokens[digest(token)] = (now + self.ttl_s, client_id)
        self.issued += 1
        return token

    def valid(self, token: str) -> bool:
        return self.client_of(token) is not None

    def client_of(self, token: str) -> str | None:
        """The client a live ``token`` was issued to; ``None`` when unknown or expired."""
        entry = self._tokens.get(digest(token))
        if entry is None or self._clock() >= entry[0]:
            return None
        return entry[1]

    def revoke_all(self) -> None:
        """Forget every issued token (as a restart does); clients must fetch new ones."""
        self._tokens.clear()


def _oauth_error(status: int, error: str, description: str) -> Response:
    headers = {"cache-control": "no-store"}
    if status == 401:
        headers["www-authenticate"] = 'Basic realm="sdk-broker-oauth"'
    body = {"error": error, "error_description": description}
    return JSONResponse(body, status_code=status, headers=headers)


async def _form(request: Request) -> dict[str, str]:
    """The fields of a form-encoded (or JSON) body; a repeated field keeps its first value."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return {}
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if kind == "application/json":
            data = json.loads(body or b"{}")
            return {k: str(v) for k, v in data.items()} if isinstance(data, dict) else {}
        return {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
    except (ValueError, UnicodeDecodeError):
        return {}


def _basic_client(request: Request) -> tuple[str, str] | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, _, secret = (
            base64.b64decode(value.strip(), validate=True).decode().partition(":")
        )
    except (binascii.Error, UnicodeDecodeError):
        return None
    return client_id, secret


def token_route(issuer: TokenIssuer) -> Route:
    """``POST /oauth/token`` answering RFC 6749 token responses and errors."""

    async def token(request: Request) -> Response:
        form = await _form(request)
        client_id, secret = _basic_client(request) or (
            form.get("client_id", ""),
            form.get("client_secret", ""),
        )
        if not issuer.authenticate(client_id, secret):
            return _oauth_error(401, "invalid_client", "unknown client or wrong client secret")
        if form.get("grant_type") != "client_credentials":
            return _oauth_error(
                400, "unsupported_grant_type", "only grant_type=client_credentials is supported"
            )
        body = {
            "access_token": issuer.issue(client_id),
            "token_type": "Bearer",
            "expires_in": max(int(issuer.ttl_s), 1),
        }
        return JSONResponse(body, headers={"cache-control": "no-store"})

    return Route(TOKEN_PATH, token, methods=["POST"])
