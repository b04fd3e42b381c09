"""A whole answer reads as the httpx answer of the same bytes would."""

from __future__ import annotations

import gzip

import httpx
import pytest

from sdk.client._answer import whole_answer

pytestmark = pytest.mark.anyio

JSON = [(b"content-type", b"application/json"), (b"Content-Length", b"18")]


def plain(status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> httpx.Response:
    return httpx.Response(status, headers=headers, content=body)


@pytest.mark.parametrize(
    ("status", "headers", "body"),
    [
        (200, JSON, b'{"jobs":[1,"\xc3\xa9"]}'),
        (204, [(b"date", b"Mon, 07 Dec 2026 10:00:00 GMT")], b""),
        (404, [(b"content-type", b"application/problem+json")], b'{"status":404}'),
    ],
)
async def test_reads_as_httpx_reads_it(
    status: int, headers: list[tuple[bytes, bytes]], body: bytes
) -> None:
    answer, expected = whole_answer(status, headers, body), plain(status, headers, body)
    assert answer.status_code == expected.status_code
    assert answer.is_success == expected.is_success
    assert answer.headers == httpx.Headers(headers)  # as sent (httpx adds a length)
    assert answer.content == expected.content == body
    assert answer.text == expected.text
    assert answer.read() == body
    assert await answer.aread() == body
    assert b"".join(answer.iter_bytes()) == body
    assert b"".join([chunk async for chunk in answer.aiter_bytes()]) == body
    if body:
        assert answer.json() == expected.json()
    assert answer.is_closed


async def test_an_encoded_body_is_decoded() -> None:
    body = b'{"jobs":[]}'
    for name in (b"content-encoding", b"Content-Encoding"):
        answer = whole_answer(200, [(name, b"gzip")], gzip.compress(body))
        assert answer.content == body
        assert answer.json() == {"jobs": []}
