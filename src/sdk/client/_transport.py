"""Which HTTP transport the async client uses, behind the unchanged httpx API.

httpx's own pool gets slower as concurrent requests grow (encode/httpx#3215: every request
walks every pooled connection); a worker reporting many jobs at once pays for it. With the
optional ``httpx-aiohttp`` package installed, ``auto`` sends through aiohttp instead, and the
plain JSON calls through connections of its own when httptools is installed too (``_http1``);
see docs/performance.md.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from enum import Enum
from typing import Any, Protocol, runtime_checkable

import httpx

LARGE_BODY_BYTES = 1024 * 1024


class HttpTransport(str, Enum):
    AUTO = "auto"
    HTTPX = "httpx"
    AIOHTTP = "aiohttp"


@runtime_checkable
class JsonTransport(Protocol):
    """A transport that sends a plain JSON call without an ``httpx.Request`` (see ``_lane``)."""

    async def send_json(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        content: bytes | None,
        timeout: Mapping[str, Any],
    ) -> httpx.Response:
        """The whole answer (no ``request`` bound to it), or an ``httpx.TransportError``."""
        ...


def aiohttp_available() -> bool:
    return importlib.util.find_spec("httpx_aiohttp") is not None


def default_transport(
    choice: HttpTransport, limits: httpx.Limits
) -> httpx.AsyncBaseTransport | None:
    """The transport for ``choice``; ``None`` means httpx's own."""
    if choice is HttpTransport.HTTPX or (choice is HttpTransport.AUTO and not aiohttp_available()):
        return None
    return _aiohttp_transport(limits)


def default_sync_transport(choice: HttpTransport, limits: httpx.Limits) -> httpx.BaseTransport:
    """The blocking client always uses httpx's own transport."""
    return httpx.HTTPTransport(limits=limits)


def _aiohttp_transport(limits: httpx.Limits) -> httpx.AsyncBaseTransport:
    from ._aiohttp import AiohttpJsonTransport  # aiohttp is imported only when chosen

    return AiohttpJsonTransport(limits=limits)


def body_size(request: httpx.Request) -> int:
    try:
        return len(request.content)
    except httpx.RequestNotRead:  # a streamed body (multipart upload): aiohttp streams it
        return 0
