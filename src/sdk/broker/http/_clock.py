"""Camunda's clock routes: pin the engine's time, or give it back to the wall clock.

Answered only by a broker started with its clock controllable (``serve(clock_control=True)``,
``--clock-control``), as a Camunda cluster only with ``zeebe.clock.controlled``; otherwise the
routes are not there (404), with a problem that says how to enable them.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...models import ClockPinRequest
from .._problems import InvalidRequest, NotFound
from ..store import JobStore
from ._request import read_model, store_of

DISABLED = (
    "the broker's clock is not controllable: start the broker with clock control enabled"
    " (serve(..., clock_control=True), python -m sdk.broker --clock-control or"
    " SDK_BROKER_CLOCK_CONTROL=1), as Camunda with zeebe.clock.controlled"
)


def _controllable(request: Request) -> JobStore:
    store = store_of(request)
    if not store.clock.controllable:
        raise NotFound(DISABLED)
    return store


async def pin_clock(request: Request) -> Response:
    store = _controllable(request)
    body = await read_model(request, ClockPinRequest)
    if body.timestamp < 0:
        raise InvalidRequest(
            f"timestamp {body.timestamp} is not a time: expected epoch milliseconds >= 0"
        )
    await store.pin_clock(body.timestamp)
    return Response(status_code=204)


async def reset_clock(request: Request) -> Response:
    store = _controllable(request)
    await store.pin_clock(None)
    return Response(status_code=204)


ROUTES = [
    Route("/v2/clock", pin_clock, methods=["PUT"]),
    Route("/v2/clock/reset", reset_clock, methods=["POST"]),
]
