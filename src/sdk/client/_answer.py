"""A whole answer as an ``httpx.Response``, without httpx's read path.

A transport that has read an answer whole would hand httpx its body to read again: httpx
then looks up a decoder, runs its chunkers and enters a request context, which costs more
than the rest of a small answer. When the body needs no decoding (no ``content-encoding``)
it already is the content; an encoded body is read by httpx as before.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence

import httpx

_ENCODING = b"content-encoding"
_READ = httpx.ByteStream(b"")
"""The stream of every whole answer: already read (its bytes are the content)."""


class _WholeAnswer(httpx.Response):
    """An answer whose body is its content as it arrived."""

    def __init__(self, status: int, headers: Sequence[tuple[bytes, bytes]], body: bytes) -> None:
        super().__init__(status, headers=headers, stream=_READ)
        self._whole = body
        self.is_stream_consumed = True
        self.is_closed = True

    @property
    def content(self) -> bytes:
        return self._whole

    def read(self) -> bytes:
        return self._whole

    async def aread(self) -> bytes:
        return self._whole

    def iter_bytes(self, chunk_size: int | None = None) -> Iterator[bytes]:
        if self._whole:
            yield self._whole

    async def aiter_bytes(self, chunk_size: int | None = None) -> AsyncIterator[bytes]:
        if self._whole:
            yield self._whole


def whole_answer(
    status: int, headers: Sequence[tuple[bytes, bytes]], body: bytes
) -> httpx.Response:
    """The answer of ``status``, ``headers`` and the ``body`` as sent."""
    for name, _ in headers:
        if len(name) == len(_ENCODING) and name.lower() == _ENCODING:
            return httpx.Response(status, headers=headers, content=body)  # httpx decodes it
    return _WholeAnswer(status, headers, body)
