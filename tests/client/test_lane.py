"""The short way of plain JSON calls (``_lane``): what httpx's own way would have done."""

from __future__ import annotations

import json

import httpx
import pytest
from pydantic import SecretStr

from sdk.broker import RunningBroker
from sdk.client import AsyncClient, Client
from sdk.client._auth import StaticAuth
from sdk.errors import NotFoundError

pytestmark = pytest.mark.anyio

CONFIG = {"CAMUNDA_REST_ADDRESS": "http://camunda.test:8080", "CAMUNDA_AUTH_STRATEGY": "NONE"}


class CookieServer:
    """Sets a load balancer's cookie on the first answer; records every request."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        headers = {"set-cookie": "lb=node-1; Path=/"} if len(self.requests) == 1 else {}
        return httpx.Response(204, headers=headers)


async def test_a_cookie_the_server_set_goes_back_with_the_next_calls() -> None:
    server = CookieServer()
    async with AsyncClient(configuration=CONFIG, transport=httpx.MockTransport(server)) as client:
        await client.complete_job("1", {"a": 1})
        await client.complete_job("2")
    first, second = server.requests
    assert "cookie" not in first.headers
    assert second.headers["cookie"] == "lb=node-1"
    assert json.loads(first.content) == {"variables": {"a": 1}}
    assert first.headers["content-type"] == "application/json"


def test_the_blocking_client_keeps_the_cookie_too() -> None:
    server = CookieServer()
    with Client(configuration=CONFIG, transport=httpx.MockTransport(server)) as client:
        client.complete_job("1")
        client.complete_job("2")
    assert server.requests[1].headers["cookie"] == "lb=node-1"


@pytest.mark.parametrize("password", ["s3cret", "pässwörd:with:colons"])
def test_basic_auth_sends_what_httpx_sends(password: str) -> None:
    request = httpx.Request("GET", "http://x/")
    expected = next(httpx.BasicAuth("ada", password).auth_flow(request)).headers["authorization"]
    assert StaticAuth.basic("ada", SecretStr(password)).header == expected
    assert password not in repr(StaticAuth.basic("ada", SecretStr(password)))


async def test_a_not_found_answer_names_the_call_on_the_aiohttp_transport(
    sdk_broker: RunningBroker,
) -> None:
    config = {
        "CAMUNDA_REST_ADDRESS": sdk_broker.url,
        "CAMUNDA_AUTH_STRATEGY": "NONE",
        "SDK_HTTP_TRANSPORT": "aiohttp",
    }
    async with AsyncClient(configuration=config) as client:
        with pytest.raises(NotFoundError) as caught:
            await client.complete_job("2251799813685249")
    assert caught.value.url == f"{sdk_broker.url}/jobs/2251799813685249/completion"
