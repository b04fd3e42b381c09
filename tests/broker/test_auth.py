"""The broker with auth configured: every route needs credentials; the token endpoint works."""

from __future__ import annotations

import base64
import re
from collections.abc import AsyncIterator
from functools import partial

import anyio
import httpx
import pytest
from loguru import logger
from pydantic import SecretStr
from starlette.routing import BaseRoute, Mount, Route

from sdk.broker import (
    BrokerAuth,
    BrokerAuthSettings,
    BrokerUser,
    RunningBroker,
    create_app,
    serve,
)
from sdk.broker._cli import main as broker_main
from sdk.errors import ConfigurationError

from _support.clocks import FakeClock

pytestmark = pytest.mark.anyio

USER, PASSWORD = "ops", "pw-ops-77aa"
VIEWER, VIEWER_PASSWORD = "eve", "pw-eve-12cd"
API_KEY = "key-4455ee"
CLIENT_ID, CLIENT_SECRET = "app", "secret-9b9b"
SAMPLE_KEY = "2251799813685249"
PROBLEM_FIELDS = {"type", "title", "status", "detail", "instance"}


@pytest.fixture
def clock() -> FakeClock[float]:
    return FakeClock(1_000_000.0)


@pytest.fixture
def auth(clock: FakeClock[float]) -> BrokerAuth:
    return BrokerAuth(
        users=[
            BrokerUser(USER, SecretStr(PASSWORD)),
            BrokerUser(VIEWER, SecretStr(VIEWER_PASSWORD), read_only=True),
        ],
        api_keys=[SecretStr(API_KEY)],
        oauth_clients={CLIENT_ID: SecretStr(CLIENT_SECRET)},
        token_ttl_s=60,
        clock=clock,
    )


@pytest.fixture
async def secured(auth: BrokerAuth) -> AsyncIterator[RunningBroker]:
    async with anyio.create_task_group() as tg:
        broker: RunningBroker = await tg.start(
            partial(serve, ":memory:", "127.0.0.1", 0, auth=auth)
        )
        yield broker
        tg.cancel_scope.cancel()


@pytest.fixture
async def http(secured: RunningBroker) -> AsyncIterator[httpx.AsyncClient]:
    """Raw HTTP to the secured broker's root (not its /v2 base)."""
    root = secured.url.removesuffix("/v2")
    async with httpx.AsyncClient(base_url=root, timeout=10) as client:
        yield client


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"authorization": f"Basic {token}"}


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def concrete_paths(routes: list[BaseRoute], prefix: str = "") -> list[tuple[str, str]]:
    """Every (method, path) the app serves, path parameters filled with a sample key."""
    found: list[tuple[str, str]] = []
    for route in routes:
        if isinstance(route, Route):
            path = re.sub(r"\{[^}]+\}", SAMPLE_KEY, prefix + route.path)
            found += [(method, path) for method in sorted(route.methods or {"GET"})]
        elif isinstance(route, Mount):
            sub = route.routes or []
            found += (
                concrete_paths(sub, prefix + route.path) if sub else [("GET", route.path + "/x")]
            )
    return found


class TestEveryRouteIsGuarded:
    async def test_every_route_answers_401_without_credentials(
        self, secured: RunningBroker, http: httpx.AsyncClient, auth: BrokerAuth
    ) -> None:
        app = create_app(secured.store, auth=auth)  # the same routes, walked from the table
        paths = concrete_paths(app.routes)
        assert ("POST", "/v2/jobs/activation") in paths and ("GET", "/v2/ext/events") in paths
        assert ("POST", "/oauth/token") in paths

        for method, path in paths:
            response = await http.request(method, path)
            assert response.status_code == 401, f"{method} {path}: {response.status_code}"
            challenges = response.headers.get_list("www-authenticate")
            if path == "/oauth/token":  # checks client credentials itself (RFC 6749)
                assert response.json()["error"] == "invalid_client"
                continue
            assert challenges == [
                'Basic realm="sdk-broker", charset="UTF-8"',
                'Bearer realm="sdk-broker"',
            ]
            assert response.headers["content-type"] == "application/problem+json"
            if method == "HEAD":
                continue
            body = response.json()
            assert set(body) == PROBLEM_FIELDS
            assert (body["status"], body["title"], body["instance"]) == (401, "UNAUTHORIZED", path)

    async def test_unknown_paths_do_not_reveal_themselves_either(
        self, http: httpx.AsyncClient
    ) -> None:
        response = await http.get("/v2/no-such-route")
        assert response.status_code == 401


class TestCredentials:
    @pytest.mark.parametrize(
        "headers",
        [basic(USER, PASSWORD), basic(VIEWER, VIEWER_PASSWORD), bearer(API_KEY)],
        ids=["user", "viewer", "api-key"],
    )
    async def test_valid_credentials_are_let_in(
        self, http: httpx.AsyncClient, headers: dict[str, str]
    ) -> None:
        response = await http.get("/v2/topology", headers=headers)
        assert response.status_code == 200, response.text

    @pytest.mark.parametrize(
        ("headers", "bearer_error"),
        [
            (basic(USER, "wrong"), False),
            (basic("nobody", PASSWORD), False),
            ({"authorization": "Basic !!!not-base64"}, False),
            ({"authorization": "Digest x"}, False),
            (bearer("not-a-key"), True),
        ],
        ids=["wrong-password", "unknown-user", "garbled", "other-scheme", "bad-bearer"],
    )
    async def test_invalid_credentials_are_401(
        self, http: httpx.AsyncClient, headers: dict[str, str], bearer_error: bool
    ) -> None:
        response = await http.post("/v2/ext/jobs", json={"jobs": [{"type": "t"}]}, headers=headers)
        assert response.status_code == 401
        assert response.json()["detail"] == "the credentials were not accepted"
        bearer_challenge = response.headers.get_list("www-authenticate")[1]
        assert ('error="invalid_token"' in bearer_challenge) is bearer_error
        assert "wrong" not in response.text and PASSWORD not in response.text

    async def test_a_viewer_may_read_but_not_change(self, http: httpx.AsyncClient) -> None:
        viewer = basic(VIEWER, VIEWER_PASSWORD)
        assert (await http.post("/v2/ext/jobs/search", json={}, headers=viewer)).status_code == 200
        assert (await http.get("/v2/ext/events", headers=viewer)).status_code == 200

        response = await http.post("/v2/ext/jobs", json={"jobs": [{"type": "t"}]}, headers=viewer)

        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["title"] == "FORBIDDEN"
        assert "may only read" in response.json()["detail"]
        created = await http.post(
            "/v2/ext/jobs", json={"jobs": [{"type": "t"}]}, headers=basic(USER, PASSWORD)
        )
        assert created.status_code == 201


class TestTokenEndpoint:
    async def token(self, http: httpx.AsyncClient, **form: str) -> httpx.Response:
        fields = {"grant_type": "client_credentials", "audience": "x", **form}
        return await http.post("/oauth/token", data=fields)

    async def test_issues_tokens_the_broker_accepts_until_they_expire(
        self, http: httpx.AsyncClient, clock: FakeClock[float]
    ) -> None:
        response = await self.token(http, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-store"
        body = response.json()
        assert (body["token_type"], body["expires_in"]) == ("Bearer", 60)

        token = body["access_token"]
        assert (await http.get("/v2/topology", headers=bearer(token))).status_code == 200
        clock.advance(61)
        assert (await http.get("/v2/topology", headers=bearer(token))).status_code == 401

    async def test_client_credentials_may_come_as_basic_auth(self, http: httpx.AsyncClient) -> None:
        response = await http.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            headers=basic(CLIENT_ID, CLIENT_SECRET),
        )
        assert response.status_code == 200

    async def test_json_bodies_work_too(self, http: httpx.AsyncClient) -> None:
        body = {
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        }
        assert (await http.post("/oauth/token", json=body)).status_code == 200

    async def test_wrong_secret_is_invalid_client(
        self, http: httpx.AsyncClient, auth: BrokerAuth
    ) -> None:
        response = await self.token(http, client_id=CLIENT_ID, client_secret="nope")
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"
        assert auth.tokens.issued == 0

    async def test_other_grants_are_unsupported(
        self, http: httpx.AsyncClient, auth: BrokerAuth
    ) -> None:
        response = await self.token(
            http, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, grant_type="password"
        )
        assert response.status_code == 400
        assert response.json()["error"] == "unsupported_grant_type"
        assert auth.tokens.issued == 0


class TestOpenBroker:
    async def test_without_auth_it_is_open_on_loopback(self, sdk_broker: RunningBroker) -> None:
        async with httpx.AsyncClient(base_url=sdk_broker.url) as http:
            assert (await http.get("/topology")).status_code == 200

    async def test_without_auth_off_loopback_it_warns_loudly(self) -> None:
        warnings = await self.start_and_collect_warnings("0.0.0.0", None)
        (warning,) = [w for w in warnings if "WITHOUT AUTHENTICATION" in w]
        assert "SDK_BROKER_USERS" in warning and "127.0.0.1" in warning

    async def test_with_auth_or_on_loopback_it_does_not_warn(self, auth: BrokerAuth) -> None:
        assert await self.start_and_collect_warnings("0.0.0.0", auth) == []
        assert await self.start_and_collect_warnings("127.0.0.1", None) == []

    async def start_and_collect_warnings(self, host: str, auth: BrokerAuth | None) -> list[str]:
        warnings: list[str] = []
        sink = logger.add(lambda m: warnings.append(str(m)), level="WARNING", format="{message}")
        try:
            async with anyio.create_task_group() as tg:
                await tg.start(partial(serve, ":memory:", host, 0, auth=auth))
                tg.cancel_scope.cancel()
        finally:
            logger.remove(sink)
        return warnings


class TestSettings:
    def test_variables_and_flags_make_the_auth(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("SDK_BROKER_USERS", f"{USER}:{PASSWORD}, other:p:with:colons")
        monkeypatch.setenv("SDK_BROKER_API_KEYS", API_KEY)
        auth = BrokerAuthSettings().to_auth(viewers=[f"{VIEWER}:{VIEWER_PASSWORD}"])

        assert auth is not None
        assert auth.authenticate(basic(USER, PASSWORD)["authorization"]) is not None
        assert auth.authenticate(basic("other", "p:with:colons")["authorization"]) is not None
        principal = auth.authenticate(basic(VIEWER, VIEWER_PASSWORD)["authorization"])
        assert principal is not None and principal.read_only
        assert auth.authenticate(bearer(API_KEY)["authorization"]) is not None
        assert PASSWORD not in repr(auth) and API_KEY not in repr(auth)

    def test_nothing_configured_means_no_auth(self, monkeypatch: pytest.MonkeyPatch) -> None:
        for name in ("SDK_BROKER_USERS", "SDK_BROKER_API_KEYS", "SDK_BROKER_OAUTH_CLIENTS"):
            monkeypatch.delenv(name, raising=False)
        assert BrokerAuthSettings().to_auth() is None

    def test_a_malformed_entry_is_named_without_its_secret(self) -> None:
        with pytest.raises(ConfigurationError, match="entry 2 is not NAME:SECRET") as caught:
            BrokerAuthSettings().to_auth(users=["a:b", "just-a-secret-value"])
        assert "just-a-secret-value" not in str(caught.value)

    def test_the_cli_rejects_a_malformed_flag(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert broker_main(["--user", "no-colon-secret", "--port", "0"]) == 2
        err = capsys.readouterr().err
        assert "--user" in err and "no-colon-secret" not in err

    def test_a_bad_variable_is_a_configuration_error(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("SDK_BROKER_TOKEN_TTL_S", "-5")
        with pytest.raises(ConfigurationError, match="SDK_BROKER_TOKEN_TTL_S"):
            BrokerAuthSettings.load()
