"""pytest fixtures (registered as a pytest plugin): a broker on loopback and a client of it.

The fixtures are async and run on the test's own event loop, whichever plugin drives it:
pytest-asyncio (``asyncio_mode = "auto"``, or ``"strict"`` with ``@pytest.mark.asyncio``) or
anyio's plugin (``@pytest.mark.anyio``). See ``_drivers`` for how one fixture serves both.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Generator
from functools import partial
from typing import Any

import anyio
import pytest

from ..broker import RunningBroker, serve
from ..client import AsyncClient
from ._drivers import asyncio_variants, pick_driver


def client_for(broker: RunningBroker) -> AsyncClient:
    """A client of ``broker`` that ignores ``CAMUNDA_*`` settings of the machine."""
    return AsyncClient(
        configuration={"CAMUNDA_REST_ADDRESS": broker.url, "CAMUNDA_AUTH_STRATEGY": "NONE"}
    )


async def _serve_broker() -> AsyncIterator[RunningBroker]:
    async with anyio.create_task_group() as tg:
        broker: RunningBroker = await tg.start(
            partial(serve, clock_control=True), ":memory:", "127.0.0.1", 0
        )
        yield broker
        tg.cancel_scope.cancel()


async def _serve_broker_in_own_task() -> AsyncIterator[RunningBroker]:
    """pytest-asyncio sets a fixture up and tears it down in two different tasks, and a task
    group must be left by the task that entered it: so the broker gets a task of its own."""
    ready: asyncio.Future[RunningBroker] = asyncio.get_running_loop().create_future()
    stop = asyncio.Event()

    async def host() -> None:
        async with anyio.create_task_group() as tg:
            ready.set_result(
                await tg.start(partial(serve, clock_control=True), ":memory:", "127.0.0.1", 0)
            )
            await stop.wait()
            tg.cancel_scope.cancel()

    task = asyncio.ensure_future(host())
    either: set[asyncio.Future[Any]] = {task, ready}
    await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
    if not ready.done():  # the broker failed to start: raise its error
        await task
    try:
        yield ready.result()
    finally:
        stop.set()
        await task


async def _open_client(sdk_broker: RunningBroker) -> AsyncIterator[AsyncClient]:
    async with client_for(sdk_broker) as client:
        yield client


sdk_broker = pytest.fixture(_serve_broker, name="sdk_broker")
sdk_broker.__doc__ = (
    "An embedded broker with an in-memory store, served on a free loopback port; its clock"
    " may be pinned (``increase_time``)."
)
sdk_client = pytest.fixture(_open_client, name="sdk_client")
sdk_client.__doc__ = "An ``AsyncClient`` of ``sdk_broker``."

_VARIANTS = asyncio_variants(
    {"sdk_broker": _serve_broker, "sdk_client": _open_client},
    {"sdk_broker": _serve_broker_in_own_task},
)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_fixture_setup(
    fixturedef: Any, request: pytest.FixtureRequest
) -> Generator[None, Any, Any]:
    """Hand our fixtures to the plugin that runs the requesting test (outermost wrapper, so
    pytest-asyncio's and anyio's own hooks see the variant chosen here)."""
    pick_driver(fixturedef, request, _VARIANTS)
    return (yield)
