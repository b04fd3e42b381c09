"""The dashboard's schedules page: every schedule with its timing, policies, next and last run
(read through ``JobStore.schedules``, as ``GET /v2/ext/schedules`` reads them), each with a
pause or resume button.

The button is a plain HTML form POSTed to ``/ui/schedules`` (it works without JavaScript): the
route pauses or resumes the schedule, the same call as ``POST /v2/ext/schedules/{name}/pause``
(``/resume``), and sends the browser back to the page (303). Viewers may not post it (the auth
middleware refuses their writes).
"""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from .._problems import InvalidRequest
from ._pages import _render, _store

MAX_FORM_BYTES = 4096


async def schedules(request: Request) -> Response:
    rows = await _store(request).schedules.all()
    return _render(request, "schedules.html", {"page": "schedules", "schedules": rows})


async def post_schedule(request: Request) -> Response:
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise InvalidRequest("the schedule form is too large")
    form = {k: v[0].strip() for k, v in parse_qs(body.decode(errors="replace")).items()}
    name, action = form.get("name", ""), form.get("action", "")
    store = _store(request)
    if action == "pause":
        await store.schedules.pause(name)
    elif action == "resume":
        await store.schedules.resume(name)
    else:
        raise InvalidRequest(f"action: expected 'pause' or 'resume', got {action!r}")
    root = str(request.scope.get("root_path", "")).rstrip("/")
    return RedirectResponse(f"{root}/ui/schedules", status_code=303)


ROUTES: list[BaseRoute] = [
    Route("/ui/schedules", schedules, methods=["GET"], name="ui_schedules"),
    Route("/ui/schedules", post_schedule, methods=["POST"], name="ui_schedule_action"),
]
