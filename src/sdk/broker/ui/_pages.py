"""The dashboard's pages: overview, jobs list and job page, rendered on the server.

Every page is complete HTML (it reads fine without JavaScript). ``static/ui.js`` keeps the
overview and the job page live, and sends the job page's actions to the documented API routes.
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from ... import __version__
from ...models import Job, JobSearchRequest, JobState
from .._problems import BrokerError
from ..http import DEFAULT_WINDOW_MINUTES, job_key_param, read_stats, store_of
from ..http import describe as describe_validation
from ..store import CATEGORIES, JobStore
from . import _views
from ._chart import throughput_chart
from ._guard import PAGE_HEADERS

HERE = Path(__file__).parent
PAGE_SIZE = 50
EVENTS_PATH = "/v2/ext/events"
"""The job event stream (Server-Sent Events); the pages poll ``STATS_PATH`` without it."""
STATS_PATH = "/v2/ext/stats"

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=True,  # every page is HTML: job data is hostile input, escaped everywhere
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters.update(
    iso_time=_views.iso_time,
    utc_text=_views.utc_text,
    state_label=lambda state: _views.STATE_LABELS.get(str(state), str(state)),
    first_line=_views.first_line,
    iso_text=_views.iso_text,
    words=_views.words,
    value=_views.enum_value,
)
_env.globals.update(version=__version__, describe=_views.describe)
TEMPLATES = Jinja2Templates(env=_env)


def _store(request: Request) -> JobStore:
    store = store_of(request)
    return store


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


def _href(root: str, path: str, **params: str | None) -> str:
    """A same-origin link to ``path`` with the query parameters that are set."""
    query = urlencode({k: v for k, v in params.items() if v})
    return f"{root}{path}?{query}" if query else f"{root}{path}"


def _has_route(request: Request, path: str) -> bool:
    return any(getattr(route, "path", None) == path for route in request.app.router.routes)


def _render(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> Response:
    root = _root(request)
    stream = _has_route(request, EVENTS_PATH)
    context.update(
        href=partial(_href, root),
        static=lambda name: f"{root}/ui/static/{name}?v={__version__}",
        stream_url=f"{root}{EVENTS_PATH}" if stream else "",
        summary_url=f"{root}{STATS_PATH}?minutes=1",
        api_root=f"{root}/v2",
    )
    return TEMPLATES.TemplateResponse(
        request, template, context, status_code=status_code, headers=PAGE_HEADERS
    )


async def root_redirect(request: Request) -> Response:
    return RedirectResponse(f"{_root(request)}/ui", status_code=303)


async def overview(request: Request) -> Response:
    stats = await read_stats(request, DEFAULT_WINDOW_MINUTES)
    base = str(request.base_url)
    return _render(
        request,
        "overview.html",
        {
            "stats": stats,
            "categories": CATEGORIES,
            "category_filter": {"FAILED": "ACTIVATABLE"},
            "chart": throughput_chart(stats.throughput),
            "totals": {c: sum(t.counts[c] for t in stats.types) for c in CATEGORIES},
            "create_command": _views.create_command(base),
            "curl_command": _views.curl_command(base),
            "limits": await _store(request).all_limits(),
            "page": "overview",
        },
    )


async def jobs(request: Request) -> Response:
    params = request.query_params
    wanted = {"type": params.get("type") or None, "state": params.get("state") or None}
    store = _store(request)
    known_types = [t.job_type for t in (await read_stats(request, 1)).types]
    context: dict[str, Any] = {
        "page": "jobs",
        "wanted": wanted,
        "after": params.get("after") or None,
        "states": [state.value for state in JobState],
        "known_types": known_types,
        "items": [],
        "next_cursor": None,
        "problem": None,
        "create_command": _views.create_command(str(request.base_url)),
    }
    try:  # the search API's own request model: the page filters exactly as the API does
        search = JobSearchRequest.model_validate_json(
            json.dumps({**wanted, "after": context["after"], "limit": PAGE_SIZE})
        )
    except ValidationError as exc:
        context["problem"] = describe_validation(exc)
        return _render(request, "jobs.html", context, status_code=400)
    after = int(search.after) if search.after is not None else None
    items, next_key = await store.search(search.type, search.state, search.limit, after)
    context.update(items=items, next_cursor=None if next_key is None else str(next_key))
    return _render(request, "jobs.html", context)


async def job(request: Request) -> Response:
    store = _store(request)
    try:
        key = job_key_param(request)
        found = await store.get(key)
    except BrokerError as exc:
        context = {"page": "job", "status": exc.status, "detail": exc.detail}
        return _render(request, "missing.html", context, status_code=exc.status)
    return _render(request, "job.html", await _job_context(store, key, found))


async def _job_context(store: JobStore, key: int, found: Job) -> dict[str, Any]:
    error_tail, error_lines = _views.tail(found.error_message or "")
    return {
        "page": "job",
        "job": found,
        "state": found.state.value,
        "ended": found.state.value in _views.ENDED_STATES,
        "retry_at": await store.retry_at(key) if found.state is JobState.ACTIVATABLE else None,
        "error_tail": error_tail,
        "error_lines": error_lines,
        "tail_lines": _views.TAIL_LINES,
        "variables_json": _views.pretty_json(found.variables),
        "history": found.history or [],
        "last_event_id": await store.last_event_id(),
    }


ROUTES: list[BaseRoute] = [
    Route("/", root_redirect, methods=["GET"]),
    Route("/ui", overview, methods=["GET"], name="ui_overview"),
    Route("/ui/jobs", jobs, methods=["GET"], name="ui_jobs"),
    Route("/ui/jobs/{job_key}", job, methods=["GET"], name="ui_job"),
    Mount("/ui/static", app=StaticFiles(directory=HERE / "static"), name="ui_static"),
]
