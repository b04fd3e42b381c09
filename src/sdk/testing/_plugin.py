"""pytest fixtures (registered as a pytest plugin): a broker on loopback and a client of it.

Async fixtures run under anyio's pytest plugin: mark tests ``@pytest.mark.anyio``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import pytest

from ..broker import RunningBroker, serve
from ..client import AsyncClient


def client_for(broker: RunningBroker) -> AsyncClient:
    """A client of ``broker`` that ignores ``CAMUNDA_*`` settings of the machine."""
    return AsyncClient(
        configuration={"CAMUNDA_REST_ADDRESS": broker.url, "CAMUNDA_AUTH_STRATEGY": "NONE"}
    )


@pytest.fixture
async def sdk_broker() -> AsyncIterator[RunningBroker]:
    """An embedded broker with an in-memory store, served on a free loopback port."""
    async with anyio.create_task_group() as tg:
        broker: RunningBroker = await tg.start(serve, ":memory:", "127.0.0.1", 0)
        yield broker
        tg.cancel_scope.cancel()


@pytest.fixture
async def sdk_client(sdk_broker: RunningBroker) -> AsyncIterator[AsyncClient]:
    """An ``AsyncClient`` of ``sdk_broker``."""
    async with client_for(sdk_broker) as client:
        yield client
