"""The per-job calls, answered without a walk through Starlette's router.

A worker makes one activation per batch and one report per job (or per batch of reports), so
these few routes carry nearly every request. ``HotRoutes`` sits innermost among the app's
middleware (inside authentication and the cross-site guard, which still see every request)
and answers them with their own endpoints, skipping the exception middleware, the router's
walk over every route and its per-request wrapper: ~20 µs, about 15% of the broker's CPU per
exact Camunda call. Anything else, and any request these routes only partly match (a wrong
method: 405), goes on to the Starlette app unchanged, so the answers are the same either way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from .._problems import BrokerError

Endpoint = Callable[[Request], Awaitable[Response]]
ErrorHandler = Callable[[Request, Exception], Awaitable[Response]]


class HotRoutes:
    """ASGI middleware: serve ``routes`` directly; a ``BrokerError`` goes to ``on_error``."""

    def __init__(self, app: ASGIApp, *, routes: Sequence[Route], on_error: ErrorHandler) -> None:
        self.app = app
        self._routes = list(routes)
        self._on_error = on_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = self._match(scope) if scope["type"] == "http" else None
        if endpoint is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await endpoint(request)
        except BrokerError as exc:
            response = await self._on_error(request, exc)
        await response(scope, receive, send)

    def _match(self, scope: Scope) -> Endpoint | None:
        """The endpoint of the route that fully matches (path and method), as the router
        would pick it; the path parameters go into ``scope`` as the router puts them."""
        for route in self._routes:
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                scope.update(child_scope)
                endpoint: Endpoint = route.endpoint
                return endpoint
        return None
