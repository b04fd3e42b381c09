"""Protection against cross-site requests, and the security headers of the dashboard's pages.

The dashboard's actions are JSON calls to the API (``Content-Type: application/json``), which a
page of another site cannot send without a CORS preflight that the broker never grants. As a
second fence, ``CrossSiteGuard`` refuses any state-changing request that a browser marks as
coming from another origin. Clients that are not browsers (workers, curl, the SDK) send neither
``Sec-Fetch-Site`` nor ``Origin`` and pass untouched.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from .._problems import problem_response

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_SAME_SITE_VALUES = frozenset({"same-origin", "none"})
"""``Sec-Fetch-Site`` values of a request this origin made, or that the user typed."""

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",  # no inline scripts: the JavaScript lives in static files
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
"""Headers of every dashboard page."""


def cross_site_reason(scope: Scope) -> str | None:
    """Why a state-changing request must be refused as cross-site, or ``None`` to let it pass."""
    headers = Headers(scope=scope)
    site = headers.get("sec-fetch-site")
    if site is not None:  # set by every current browser, and not forgeable by a page
        if site.lower() in _SAME_SITE_VALUES:
            return None
        return f"cross-site request refused (Sec-Fetch-Site: {site}): use the API from this origin"
    origin = headers.get("origin")
    if origin is None:  # not a browser, or an older browser's same-origin form
        return None
    own = f"{scope.get('scheme', 'http')}://{headers.get('host', '')}"
    if origin.lower() == own.lower():
        return None
    return f"cross-origin request from {origin} refused: use the API from this origin"


class CrossSiteGuard:
    """ASGI middleware: answer 403 problem+json to cross-site state-changing requests."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in SAFE_METHODS:
            reason = cross_site_reason(scope)
            if reason is not None:
                response = problem_response(Request(scope), 403, "FORBIDDEN", reason)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
