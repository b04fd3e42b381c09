"""Fixtures of the client suite: a broker that requires credentials, and log capture."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from functools import partial

import anyio
import pytest
from loguru import logger
from pydantic import SecretStr

from sdk.broker import BrokerAuth, BrokerUser, RunningBroker, serve

USER, PASSWORD = "ada", "pw-of-ada-5f1c"
VIEWER, VIEWER_PASSWORD = "viv", "pw-of-viv-93ab"
API_KEY = "api-key-0c7d2e"
CLIENT_ID, CLIENT_SECRET = "worker-app", "client-secret-8e4b1a"


@dataclass(frozen=True)
class SecuredBroker:
    """A running broker with ``auth`` enforced; ``token_url`` is its OAuth token endpoint."""

    broker: RunningBroker
    auth: BrokerAuth

    @property
    def url(self) -> str:
        return self.broker.url

    @property
    def token_url(self) -> str:
        return self.broker.url.removesuffix("/v2") + "/oauth/token"

    def config(self, **settings: str) -> dict[str, str]:
        """Client configuration for this broker plus ``settings``."""
        return {"CAMUNDA_REST_ADDRESS": self.url, **settings}

    def oauth(self, secret: str = CLIENT_SECRET, **settings: str) -> dict[str, str]:
        oauth = {
            "CAMUNDA_AUTH_STRATEGY": "OAUTH",
            "CAMUNDA_CLIENT_ID": CLIENT_ID,
            "CAMUNDA_CLIENT_SECRET": secret,
            "CAMUNDA_OAUTH_URL": self.token_url,
            "CAMUNDA_TOKEN_AUDIENCE": "sdk-broker",
        }
        return self.config(**{**oauth, **settings})

    def basic(self, user: str = USER, password: str = PASSWORD) -> dict[str, str]:
        return self.config(
            CAMUNDA_AUTH_STRATEGY="BASIC",
            CAMUNDA_BASIC_AUTH_USERNAME=user,
            CAMUNDA_BASIC_AUTH_PASSWORD=password,
        )


def broker_auth() -> BrokerAuth:
    return BrokerAuth(
        users=[
            BrokerUser(USER, SecretStr(PASSWORD)),
            BrokerUser(VIEWER, SecretStr(VIEWER_PASSWORD), read_only=True),
        ],
        api_keys=[SecretStr(API_KEY)],
        oauth_clients={CLIENT_ID: SecretStr(CLIENT_SECRET)},
    )


@pytest.fixture
async def secured() -> AsyncIterator[SecuredBroker]:
    """A broker (in-memory store, free loopback port) that requires credentials."""
    auth = broker_auth()
    async with anyio.create_task_group() as tg:
        broker: RunningBroker = await tg.start(
            partial(serve, ":memory:", "127.0.0.1", 0, auth=auth)
        )
        yield SecuredBroker(broker, auth)
        tg.cancel_scope.cancel()


class Logs:
    """Log lines captured from loguru (every level) and the stdlib (DEBUG and up)."""

    def __init__(self, caplog: pytest.LogCaptureFixture) -> None:
        self.loguru: list[str] = []
        self._caplog = caplog

    def text(self) -> str:
        stdlib = [f"{r.name}: {r.getMessage()}" for r in self._caplog.records]
        return "\n".join([*self.loguru, *stdlib])


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[Logs]:
    """Every log line written during the test (for "no secret in the logs" checks)."""
    captured = Logs(caplog)
    sink = logger.add(captured.loguru.append, level="TRACE", format="{message} | {extra}")
    caplog.set_level(logging.DEBUG)
    try:
        yield captured
    finally:
        logger.remove(sink)
