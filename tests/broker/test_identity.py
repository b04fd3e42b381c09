"""GET /v2/authentication/me: the broker says whom the credentials authenticate as."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from functools import partial

import anyio
import httpx
import pytest
from pydantic import SecretStr

from sdk.broker import BrokerAuth, BrokerUser, RunningBroker, serve
from sdk.models import CamundaUserResult

pytestmark = pytest.mark.anyio

USER, PASSWORD = "ops", "pw-ops-31f0"
VIEWER, VIEWER_PASSWORD = "eve", "pw-eve-77d1"
API_KEY = "key-9a8b7c"
CLIENT_ID, CLIENT_SECRET = "reporting-app", "secret-5e5e"


def basic(user: str, password: str) -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


async def started(auth: BrokerAuth | None) -> AsyncIterator[httpx.AsyncClient]:
    async with anyio.create_task_group() as tg:
        broker: RunningBroker = await tg.start(
            partial(serve, ":memory:", "127.0.0.1", 0, auth=auth)
        )
        root = broker.url.removesuffix("/v2")
        async with httpx.AsyncClient(base_url=root, timeout=30) as http:
            yield http
        tg.cancel_scope.cancel()


@pytest.fixture
async def secured() -> AsyncIterator[httpx.AsyncClient]:
    auth = BrokerAuth(
        users=[
            BrokerUser(USER, SecretStr(PASSWORD)),
            BrokerUser(VIEWER, SecretStr(VIEWER_PASSWORD), read_only=True),
        ],
        api_keys=[SecretStr(API_KEY)],
        oauth_clients={CLIENT_ID: SecretStr(CLIENT_SECRET)},
    )
    async for http in started(auth):
        yield http


async def me(http: httpx.AsyncClient, headers: dict[str, str]) -> CamundaUserResult:
    response = await http.get("/v2/authentication/me", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return CamundaUserResult.model_validate_json(response.content)


class TestAuthenticatedCallers:
    async def test_a_basic_user_is_named_with_a_full_role(self, secured: httpx.AsyncClient) -> None:
        who = await me(secured, basic(USER, PASSWORD))
        assert (who.username, who.display_name, who.roles) == (USER, USER, ["operator"])
        assert who.groups == ["user"] and not who.is_anonymous

    async def test_a_viewer_is_named_with_the_viewer_role(self, secured: httpx.AsyncClient) -> None:
        who = await me(secured, basic(VIEWER, VIEWER_PASSWORD))
        assert (who.username, who.roles) == (VIEWER, ["viewer"])

    async def test_an_api_key_is_named_as_such(self, secured: httpx.AsyncClient) -> None:
        who = await me(secured, {"authorization": f"Bearer {API_KEY}"})
        assert (who.username, who.groups) == ("api-key", ["api-key"])

    async def test_an_oauth_token_names_the_client_it_was_issued_to(
        self, secured: httpx.AsyncClient
    ) -> None:
        answer = await secured.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
            },
        )
        token = answer.json()["access_token"]
        who = await me(secured, {"authorization": f"Bearer {token}"})
        assert (who.username, who.groups) == (CLIENT_ID, ["client"])

    async def test_the_camunda_fields_are_all_present(self, secured: httpx.AsyncClient) -> None:
        response = await secured.get("/v2/authentication/me", headers=basic(USER, PASSWORD))
        assert {
            "username",
            "displayName",
            "email",
            "authorizedComponents",
            "tenants",
            "groups",
            "roles",
            "salesPlanType",
            "c8Links",
            "canLogout",
        } <= set(response.json())


class TestRefusedAndOpen:
    @pytest.mark.parametrize(
        "headers",
        [{}, basic(USER, "wrong-pw"), {"authorization": "Bearer not-a-token"}],
        ids=["none", "wrong-password", "unknown-token"],
    )
    async def test_without_valid_credentials_it_is_401(
        self, secured: httpx.AsyncClient, headers: dict[str, str]
    ) -> None:
        response = await secured.get("/v2/authentication/me", headers=headers)
        assert response.status_code == 401
        assert response.json()["title"] == "UNAUTHORIZED"

    async def test_an_open_broker_answers_an_anonymous_caller(self) -> None:
        async for http in started(None):
            who = await me(http, {})
            assert who.is_anonymous and who.username is None
