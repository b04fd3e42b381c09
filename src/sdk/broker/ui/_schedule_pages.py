"""The dashboard's schedules page: every schedule with its timing, policies, next and last run
(read through ``JobStore.schedules``, as the API's ``GET /v2/ext/schedules`` reads them)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ._pages import _render, _store


async def schedules(request: Request) -> Response:
    rows = await _store(request).schedules.all()
    return _render(request, "schedules.html", {"page": "schedules", "schedules": rows})


ROUTES: list[BaseRoute] = [
    Route("/ui/schedules", schedules, methods=["GET"], name="ui_schedules"),
]
