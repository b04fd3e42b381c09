"""The broker's ASGI application: Camunda's job routes, the extensions, problem+json errors."""

from __future__ import annotations

from loguru import logger
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from . import ui
from ._problems import BrokerError, problem_response
from .auth import AuthMiddleware, BrokerAuth
from .http import HOT_ROUTES, ROUTES, HotRoutes
from .store import JobStore

_HTTP_TITLES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


async def _broker_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BrokerError)
    return problem_response(request, exc.status, exc.title, exc.detail)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    title = _HTTP_TITLES.get(exc.status_code, "HTTP_ERROR")
    detail = (
        f"no route {request.method} {request.url.path}"
        if exc.status_code in _HTTP_TITLES
        else str(exc.detail)
    )
    response = problem_response(request, exc.status_code, title, detail)
    response.headers.update(exc.headers or {})  # e.g. the Allow header of a 405
    return response


async def _unexpected(request: Request, exc: Exception) -> Response:
    logger.opt(exception=exc).error(
        "broker: unexpected error on {} {}", request.method, request.url.path
    )
    return problem_response(
        request, 500, "INTERNAL_ERROR", "the broker failed to handle the request"
    )


def create_app(store: JobStore, *, auth: BrokerAuth | None = None) -> Starlette:
    """The broker as an ASGI app over ``store``; the caller owns (and closes) the store.

    With ``auth``, every route (also ones added later) needs credentials (``auth/``).
    """
    app = Starlette(
        routes=[
            *ROUTES,
            *ui.ROUTES,
        ],
        exception_handlers={
            BrokerError: _broker_error,
            HTTPException: _http_error,
            Exception: _unexpected,
        },
    )
    app.state.store = store
    app.add_middleware(HotRoutes, routes=HOT_ROUTES, on_error=_broker_error)  # innermost: first
    if auth is not None:
        app.router.routes.extend(auth.routes())
        app.add_middleware(AuthMiddleware, auth=auth)
    app.add_middleware(ui.CrossSiteGuard)  # browsers' cross-site state changes: 403
    return app
