"""OAuth 2.0 client credentials as an ``httpx.Auth`` flow (``CAMUNDA_AUTH_STRATEGY=OAUTH``).

The token is fetched lazily by the first request that needs one; concurrent requests wait for
that one fetch instead of each asking (a lock held across the token request). It is renewed
shortly before it expires, and once when the server answers 401 to it (revoked, or the server
restarted). With a cache folder it is kept on disk (file mode 0600) so short-lived processes
share one token instead of asking the identity provider at every start.

The client secret is only ever put in the token request's form body: never in a log line, a
repr or an exception message (messages are scrubbed of it, in case a server echoes it).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import AsyncGenerator, Callable, Generator
from dataclasses import dataclass
from pathlib import Path

import anyio
import anyio.to_thread
import httpx
from loguru import logger
from pydantic import SecretStr

from ..errors import ApiError, ProtocolError, UnauthorizedError, error_class_for, one_line
from ..models import ProblemDetail
from ._private_file import write_private

DEFAULT_LIFETIME_S = 300.0
"""Assumed token lifetime when the identity provider does not say (``expires_in`` is optional)."""
MAX_REFRESH_MARGIN_S = 30.0
REJECTED_STATUSES = frozenset({400, 401, 403})
"""Token endpoint answers that mean "these credentials are wrong" (RFC 6749 section 5.2)."""


@dataclass(frozen=True)
class Token:
    """An access token and the epoch second after which it is not used any more."""

    value: str
    refresh_at_s: float

    @property
    def header(self) -> str:
        return f"Bearer {self.value}"

    def __repr__(self) -> str:
        return f"Token(refresh_at_s={self.refresh_at_s:.0f})"


def refresh_at(now_s: float, lifetime_s: float) -> float:
    """When to renew a token: 10 % of its lifetime (at most 30 s) before it expires."""
    return now_s + lifetime_s - min(MAX_REFRESH_MARGIN_S, lifetime_s * 0.1)


class TokenCache:
    """One token in a JSON file (mode 0600) under ``folder``, keyed by endpoint and client."""

    def __init__(self, folder: Path, key: str) -> None:
        digest = hashlib.sha256(key.encode()).hexdigest()[:24]
        self.path = folder.expanduser() / f"oauth-token-{digest}.json"
        self._warned = False

    @classmethod
    def of_client(cls, folder: Path, oauth_url: str, client_id: str, audience: str) -> TokenCache:
        """The cache of one client's tokens (``python -m sdk logout`` deletes it by this key)."""
        return cls(folder, f"{oauth_url}|{client_id}|{audience}")

    def clear(self) -> None:
        """Delete the cached token, whichever it is."""
        self.path.unlink(missing_ok=True)

    def load(self) -> Token | None:
        """The cached token, or ``None`` when there is none or it cannot be read."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return Token(str(data["access_token"]), float(data["refresh_at_s"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def save(self, token: Token) -> None:
        """Write atomically with mode 0600; a folder that cannot be written is warned about once."""
        body = json.dumps({"access_token": token.value, "refresh_at_s": token.refresh_at_s})
        try:
            write_private(self.path, body)
        except OSError as exc:
            if not self._warned:
                self._warned = True
                logger.warning(
                    "oauth: cannot write the token cache in {} ({}); keeping the token in memory",
                    self.path.parent,
                    exc.strerror or type(exc).__name__,
                )

    def forget(self, token: Token) -> None:
        """Delete the file if it still holds ``token`` (another process may have renewed it)."""
        if self.load() == token:
            self.path.unlink(missing_ok=True)


class OAuthClientCredentials(httpx.Auth):
    """Bearer tokens from an OAuth 2.0 token endpoint (client credentials grant).

    Args:
        oauth_url: The token endpoint (``CAMUNDA_OAUTH_URL``).
        client_id: The client id (``CAMUNDA_CLIENT_ID``).
        client_secret: The client secret (``CAMUNDA_CLIENT_SECRET``).
        audience: The token audience (``CAMUNDA_TOKEN_AUDIENCE``).
        cache_dir: Folder of the on-disk token cache; ``None``: memory only.
        timeout_s: Timeout of the token request in seconds. Default 10.
        clock: Epoch seconds now; tests inject a controllable one.
    """

    def __init__(
        self,
        *,
        oauth_url: str,
        client_id: str,
        client_secret: SecretStr,
        audience: str,
        cache_dir: Path | None = None,
        timeout_s: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.oauth_url = oauth_url
        self.client_id = client_id
        self.audience = audience
        self._secret = client_secret
        self._timeout = httpx.Timeout(timeout_s).as_dict()
        self._clock = clock
        self._cache = (
            TokenCache.of_client(cache_dir, oauth_url, client_id, audience) if cache_dir else None
        )
        self._token: Token | None = None
        self._thread_lock = threading.Lock()
        self._async_lock: anyio.Lock | None = None
        self.fetches = 0
        """Token requests sent so far (for tests and metrics)."""

    def __repr__(self) -> str:
        return (
            f"OAuthClientCredentials(oauth_url={self.oauth_url!r}, client_id={self.client_id!r},"
            f" audience={self.audience!r})"
        )

    # -- the flows: the same steps, one blocking and one async -------------------------------

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        with self._thread_lock:
            token = self._fresh(None) or self._fresh(self._load())
            if token is None:
                answer = yield self._token_request()
                answer.read()
                token = self._accept(answer)
                self._save(token)
        request.headers["Authorization"] = token.header
        response = yield request
        if response.status_code != 401:
            return
        with self._thread_lock:
            if self._token in (token, None):  # nobody renewed it meanwhile: renew once
                self._token = None
                self._forget(token)
                answer = yield self._token_request()
                answer.read()
                token = self._accept(answer)
                self._save(token)
            else:
                token = self._token
        request.headers["Authorization"] = token.header
        yield request

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        async with self._lock():
            token = self._fresh(None) or self._fresh(await self._off_loop(self._load))
            if token is None:
                answer = yield self._token_request()
                await answer.aread()
                token = self._accept(answer)
                await self._off_loop(self._save, token)
        request.headers["Authorization"] = token.header
        response = yield request
        if response.status_code != 401:
            return
        async with self._lock():
            if self._token in (token, None):
                self._token = None
                await self._off_loop(self._forget, token)
                answer = yield self._token_request()
                await answer.aread()
                token = self._accept(answer)
                await self._off_loop(self._save, token)
            else:
                token = self._token
        request.headers["Authorization"] = token.header
        yield request

    # -- the steps ------------------------------------------------------------------------------

    def _lock(self) -> anyio.Lock:
        if self._async_lock is None:  # created on first use, inside the event loop
            self._async_lock = anyio.Lock()
        return self._async_lock

    async def _off_loop(self, func: Callable[..., Token | None], *args: Token) -> Token | None:
        if self._cache is None:
            return None
        return await anyio.to_thread.run_sync(func, *args)

    def _load(self) -> Token | None:
        return self._cache.load() if self._cache else None

    def _save(self, token: Token) -> None:
        if self._cache:
            self._cache.save(token)

    def _forget(self, token: Token) -> None:
        if self._cache:
            self._cache.forget(token)

    def _fresh(self, cached: Token | None) -> Token | None:
        """The token to use now without asking the endpoint, if any (memory, then disk)."""
        now = self._clock()
        for token in (self._token, cached):
            if token is not None and now < token.refresh_at_s:
                self._token = token
                return token
        return None

    def _token_request(self) -> httpx.Request:
        self.fetches += 1
        logger.debug(
            "oauth: requesting a token for client {} from {}", self.client_id, self.oauth_url
        )
        return httpx.Request(
            "POST",
            self.oauth_url,
            data={
                "grant_type": "client_credentials",
                "client_id": self.client_id,
                "client_secret": self._secret.get_secret_value(),
                "audience": self.audience,
            },
            headers={"accept": "application/json"},
            extensions={"timeout": self._timeout},
        )

    def _accept(self, response: httpx.Response) -> Token:
        """The token in a token endpoint's answer, or a typed error saying what went wrong."""
        if not response.is_success:
            raise self._rejected(response)
        try:
            body = response.json()
            value = body["access_token"]
            lifetime_s = float(body.get("expires_in") or DEFAULT_LIFETIME_S)
        except (ValueError, KeyError, TypeError, AttributeError):
            raise ProtocolError(
                f"the token endpoint {self.oauth_url} answered {response.status_code} without"
                " a JSON access_token; is CAMUNDA_OAUTH_URL the token endpoint?",
                status=response.status_code,
            ) from None
        if not isinstance(value, str) or not value:
            raise ProtocolError(f"the token endpoint {self.oauth_url} sent an empty access_token")
        self._token = Token(value, refresh_at(self._clock(), lifetime_s))
        return self._token

    def _rejected(self, response: httpx.Response) -> ApiError:
        status = response.status_code
        try:
            body = response.json()
            reason = f"{body.get('error', '')}: {body.get('error_description', '')}".strip(": ")
        except (ValueError, AttributeError):
            reason = ""
        reason = reason or response.reason_phrase or "no reason given"
        cls = UnauthorizedError if status in REJECTED_STATUSES else error_class_for(status)
        detail = self._scrub(
            f"the token endpoint rejected client {self.client_id!r} ({reason}); check"
            " CAMUNDA_CLIENT_ID, CAMUNDA_CLIENT_SECRET and CAMUNDA_TOKEN_AUDIENCE"
            if cls is UnauthorizedError
            else f"the token endpoint failed ({reason})"
        )
        problem = ProblemDetail(title="OAUTH_TOKEN_REQUEST_FAILED", status=status, detail=detail)
        return cls(status, problem, method="POST", url=self.oauth_url)

    def _scrub(self, text: str) -> str:
        secret = self._secret.get_secret_value()
        return one_line(text.replace(secret, "***") if secret else text)
