"""aiohttp behind httpx's transport API (the ``auto`` transport when ``httpx-aiohttp`` is
installed), with a short way for plain JSON calls that skips ``httpx.Request`` (see ``_lane``):
those go over connections of the transport's own (``_http1``) when httptools is installed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport
from httpx_aiohttp.transport import map_aiohttp_exceptions

from ._answer import whole_answer
from ._transport import LARGE_BODY_BYTES, body_size

try:
    from ._http1 import Http1Connections
except ImportError:  # no httptools: plain JSON calls go through aiohttp too
    Http1Connections = None  # type: ignore[assignment,misc]


@contextmanager
def _mapped(request: httpx.Request | None = None) -> Iterator[None]:
    """Every aiohttp failure as an httpx transport error (the client's contract)."""
    try:
        with map_aiohttp_exceptions():
            yield
    except httpx.TransportError:
        raise
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
        raise httpx.ReadError(f"{type(exc).__name__}: {exc}", request=request) from exc


class AiohttpJsonTransport(AiohttpTransport):
    """Bodies over 1 MiB (bulk creation) go through httpx's own transport: aiohttp warns that
    sending them as one bytes object may block the loop."""

    def __init__(self, *, limits: httpx.Limits) -> None:
        super().__init__(limits=limits)
        self._limits = limits
        self._large: httpx.AsyncHTTPTransport | None = None
        """Made on the first large body: its TLS context alone holds ~1 MB."""
        self._timeouts: dict[tuple[Any, ...], aiohttp.ClientTimeout] = {}
        self._http1 = (
            None
            if Http1Connections is None
            else Http1Connections(
                max_connections=limits.max_connections, ssl_context=self.ssl_context
            )
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if body_size(request) > LARGE_BODY_BYTES:
            if self._large is None:
                self._large = httpx.AsyncHTTPTransport(limits=self._limits)
            return await self._large.handle_async_request(request)
        with _mapped(request):
            return await super().handle_async_request(request)

    async def send_json(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        content: bytes | None,
        timeout: Mapping[str, Any],
    ) -> httpx.Response:
        """One plain JSON call, its answer read whole (``content`` under 1 MiB)."""
        if self._http1 is not None and method != "HEAD":  # a HEAD answer has no body to read
            return await self._http1.send(method, url, headers, content, timeout)
        if not isinstance(self.client, aiohttp.ClientSession):
            self.client = self.get_client()
        with _mapped():
            async with self.client.request(
                method,
                url,
                headers=headers,
                data=content,
                allow_redirects=False,
                auto_decompress=False,  # httpx decodes, as for every other answer
                compress=False,
                timeout=self._timeout(timeout),
            ) as response:
                body = await response.read()
        return whole_answer(response.status, response.raw_headers, body)

    async def aclose(self) -> None:
        if self._http1 is not None:
            await self._http1.aclose()
        if self._large is not None:
            await self._large.aclose()
        await super().aclose()

    def _timeout(self, timeout: Mapping[str, Any]) -> aiohttp.ClientTimeout:
        key = (timeout.get("connect"), timeout.get("read"), timeout.get("pool"))
        known = self._timeouts.get(key)
        if known is None:  # as httpx-aiohttp maps httpx's timeouts
            known = self._timeouts[key] = aiohttp.ClientTimeout(
                sock_connect=key[0], sock_read=key[1], connect=key[2]
            )
        return known
