"""The short way of plain JSON calls: straight to the transport, with the pieces built once.

httpx's ``send`` runs the auth flow, the cookie jar, redirects and event hooks for every
request, and ``build_request`` merges the base URL, headers and timeout anew each time. None
of that changes a plain JSON call (activate, complete, fail, throw an error, extend a lease,
report a batch: a worker's every request) when the client owns its transport and has no auth
flow (strategy NONE, or the fixed header of BASIC and BEARER): the URL prefix, the headers and
the timeout are built here once, the body is bytes, and the request goes to the transport
directly. Anything else (files, query parameters, extra headers,
a traced request, OAuth, a cookie the server set, event hooks on the httpx client) takes
httpx's own way.
"""

from __future__ import annotations

from typing import Any

import httpx

from ._auth import StaticAuth
from ._calls import Call
from ._transport import LARGE_BODY_BYTES, JsonTransport

_JSON = (b"content-type", b"application/json")


class Lane:
    """Sends the plain JSON calls of one client (see the module docstring)."""

    def __init__(
        self,
        http: httpx.Client | httpx.AsyncClient,
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport,
        auth_header: str | None,
    ) -> None:
        self._http = http
        self._transport = transport
        self._json = transport if isinstance(transport, JsonTransport) else None
        """The transport's own short way, when it has one (the aiohttp transport)."""
        self._base = str(http.base_url).rstrip("/")
        headers = list(http.headers.raw)
        if auth_header is not None:
            headers.append((b"authorization", auth_header.encode()))
        self._headers = headers
        self._json_headers = [*headers, _JSON]
        self._header_map = {k.decode("latin-1"): v.decode("latin-1") for k, v in headers}
        self._json_header_map = {**self._header_map, "content-type": "application/json"}
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
            return cls(http, transport, None)
        if isinstance(auth, StaticAuth):
            return cls(http, transport, auth.header)
        return None

    def takes(self, call: Call[Any]) -> bool:
        """Whether ``call`` may go the short way."""
        http = self._http
        if call.files is not None or call.params or call.headers or http.cookies:
            return False
        return not (http.event_hooks["request"] or http.event_hooks["response"])

    async def send(self, call: Call[Any]) -> httpx.Response:
        """Send ``call`` (one that ``takes``); the whole answer."""
        content, url = _content(call), self._base + call.path
        timeout = self._timeout(call.read_timeout_s)
        if self._json is not None and (content is None or len(content) <= LARGE_BODY_BYTES):
            headers = self._header_map if content is None else self._json_header_map
            response = await self._json.send_json(call.method, url, headers, content, timeout)
            if response.status_code != 204 or "set-cookie" in response.headers:
                response.request = httpx.Request(call.method, url)  # parsers and cookies use it
            return self._answered(response)
        transport = self._transport
        assert isinstance(transport, httpx.AsyncBaseTransport)
        request = self._request(call, url, content, timeout)
        response = await transport.handle_async_request(request)
        response.request = request
        await response.aread()
        return self._answered(response)

    def send_sync(self, call: Call[Any]) -> httpx.Response:
        """``send`` for the blocking client."""
        content, url = _content(call), self._base + call.path
        transport = self._transport
        assert isinstance(transport, httpx.BaseTransport)
        request = self._request(call, url, content, self._timeout(call.read_timeout_s))
        response = transport.handle_request(request)
        response.request = request
        response.read()
        return self._answered(response)

    def _request(
        self, call: Call[Any], url: str, content: bytes | None, timeout: dict[str, Any]
    ) -> httpx.Request:
        return httpx.Request(
            call.method,
            url,
            headers=self._headers if content is None else self._json_headers,
            content=content,
            extensions={"timeout": timeout},
        )

    def _answered(self, response: httpx.Response) -> httpx.Response:
        """Keep a cookie the server set, as httpx's ``send`` would (later calls then go
        httpx's way, sending it)."""
        if "set-cookie" in response.headers:
            self._http.cookies.extract_cookies(response)
        return response

    def _timeout(self, read_s: float | None) -> dict[str, Any]:
        timeout = self._timeouts.get(read_s)
        if timeout is None:
            base = self._http.timeout
            read = base.read if read_s is None else read_s
            timeout = self._timeouts[read_s] = httpx.Timeout(
                connect=base.connect, read=read, write=base.write, pool=base.pool
            ).as_dict()
        return timeout


def _content(call: Call[Any]) -> bytes | None:
    if call.content is not None or call.body is None:
        return call.content
    return call.body.model_dump_json(by_alias=True, exclude_none=True).encode()
