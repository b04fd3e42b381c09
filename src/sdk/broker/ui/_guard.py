"""Protection against cross-site requests, and the security headers of the dashboard's pages.

The dashboard's actions are JSON calls to the API (``Content-Type: application/json``), which a
page of another site cannot send without a CORS preflight that the broker never grants. As a
second fence, ``CrossSiteGuard`` refuses any state-changing request that a browser marks as
coming from another origin. Clients that are not browsers (workers, curl, the SDK) send neither
``Sec-Fetch-Site`` nor ``Origin`` and pass untouched.
"""

from __future__ import annotations

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
    """Why a state-changing request must be refused as cross-site, or ``None`` to let it pass.

    One pass over the raw headers (lower-case names in ASGI; the first of a repeated one
    counts): every API request comes through here, and most carry neither header.
    """
    site = origin = host = None
    for name, value in scope["headers"]:
        if name == b"sec-fetch-site":
            site = value if site is None else site
        elif name == b"origin":
            origin = value if origin is None else origin
        elif name == b"host":
            host = value if host is None else host
    if site is not None:  # set by every current browser, and not forgeable by a page
        text = site.decode("latin-1")
        if text.lower() in _SAME_SITE_VALUES:
            return None
        return f"cross-site request refused (Sec-Fetch-Site: {text}): use the API from this origin"
    if origin is None:  # not a browser, or an older browser's same-origin form
        return None
    seen = origin.decode("latin-1")
    own = f"{scope.get('scheme', 'http')}://{(host or b'').decode('latin-1')}"
    if seen.lower() == own.lower():
        return None
    return f"cross-origin request from {seen} refused: use the API from this origin"


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
