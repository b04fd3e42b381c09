"""The short way of plain JSON calls: straight to the transport, with the pieces built once.

httpx's ``send`` runs the auth flow, the cookie jar, redirects and event hooks for every
request, and ``build_request`` merges the base URL, headers and timeout anew each time. None
of that changes a plain JSON call (activate, complete, fail, throw an error, extend a lease,
report a batch: a worker's every request) when the client owns its transport and has no auth
flow (strategy NONE, or the fixed header of BASIC and BEARER): the URL prefix, the headers and
the timeout are built here once, the body is bytes, and the request goes to the transport
directly, ~100 µs of CPU less a call. Anything else (files, query parameters, extra headers,
a traced request, OAuth, a cookie the server set, event hooks on the httpx client) takes
httpx's own way.
"""

from __future__ import annotations

from typing import Any

import httpx

from ._auth import StaticAuth
from ._calls import Call

_JSON = (b"content-type", b"application/json")


class Lane:
    """Builds the requests of plain JSON calls for one client (see the module docstring)."""

    def __init__(self, http: httpx.Client | httpx.AsyncClient, auth_header: str | None) -> None:
        self._http = http
        self._base = str(http.base_url).rstrip("/")
        headers = list(http.headers.raw)
        if auth_header is not None:
            headers.append((b"authorization", auth_header.encode()))
        self._headers = headers
        self._json_headers = [*headers, _JSON]
        self._timeouts: dict[float | None, dict[str, Any]] = {}

    @classmethod
    def create(
        cls,
        http: httpx.Client | httpx.AsyncClient,
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None,
        auth: httpx.Auth | None,
    ) -> Lane | None:
        """The lane of a client, or ``None`` when every call must go through httpx: its own
        transport (it may route through proxies from the environment) or an auth flow."""
        if transport is None:
            return None
        if auth is None:
            return cls(http, None)
        if isinstance(auth, StaticAuth):
            return cls(http, auth.header)
        return None

    def request(self, call: Call[Any]) -> httpx.Request | None:
        """``call`` as a request for the transport, or ``None``: it must take httpx's way."""
        http = self._http
        if call.files is not None or call.params or call.headers or http.cookies:
            return None
        if http.event_hooks["request"] or http.event_hooks["response"]:
            return None
        content = call.content
        if content is None and call.body is not None:
            content = call.body.model_dump_json(by_alias=True, exclude_none=True).encode()
        return httpx.Request(
            call.method,
            self._base + call.path,
            headers=self._headers if content is None else self._json_headers,
            content=content,
            extensions={"timeout": self._timeout(call.read_timeout_s)},
        )

    def answered(self, request: httpx.Request, response: httpx.Response) -> None:
        """What httpx's ``send`` would have done with the answer: bind it to its request and
        keep a cookie the server set (later calls then go httpx's way, sending it)."""
        response.request = request
        if "set-cookie" in response.headers:
            self._http.cookies.extract_cookies(response)

    def _timeout(self, read_s: float | None) -> dict[str, Any]:
        timeout = self._timeouts.get(read_s)
        if timeout is None:
            base = self._http.timeout
            read = base.read if read_s is None else read_s
            timeout = self._timeouts[read_s] = httpx.Timeout(
                connect=base.connect, read=read, write=base.write, pool=base.pool
            ).as_dict()
        return timeout
