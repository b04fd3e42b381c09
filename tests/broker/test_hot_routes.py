"""The per-job routes answered by ``HotRoutes`` answer exactly as Starlette's router would."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import cast

import httpx
import pytest
from starlette.applications import Starlette

from sdk.broker import JobStore, create_app
from sdk.broker.http import HotRoutes

pytestmark = pytest.mark.anyio

NOW_MS = 1_700_000_000_000
LEASED = {"type": "hot", "worker": "w", "timeout": 60_000, "maxJobsToActivate": 1}

Call = tuple[str, str, bytes | None]


def _calls(first: str, second: str) -> list[Call]:
    """Requests of every kind the hot routes take, good and bad, in a replayable order."""
    return [
        ("POST", "/v2/jobs/activation", json.dumps({**LEASED, "requestTimeout": -1}).encode()),
        ("POST", f"/v2/jobs/{first}/completion", b'{"variables": {"a": 1}}'),
        ("POST", f"/v2/jobs/{first}/completion", b"{}"),  # ended: 404
        ("POST", f"/v2/jobs/{second}/failure", b'{"retries": 2}'),  # not activated: 409
        ("POST", f"/v2/jobs/{second}/error", b'{"errorMessage": "no code"}'),  # 400
        ("PATCH", f"/v2/jobs/{second}", b'{"changeset": {"retries": 4}}'),
        ("POST", "/v2/jobs/activation/completion", b"{}"),  # not a job key: 400
        ("POST", "/v2/jobs/activation", b'{"type": "hot", "bad": 1}'),  # unknown field: 400
        ("POST", "/v2/jobs/activation", b"{not json"),
        ("GET", "/v2/jobs/activation", None),  # wrong method: 405 with Allow
        ("GET", f"/v2/jobs/{second}/completion", None),
        ("POST", f"/v2/jobs/{second}/completion/", b"{}"),  # the router redirects: 307
        ("POST", "/v2/ext/jobs/reports", b'{"reports": [{"jobKey": "1", "kind": "complete"}]}'),
        ("POST", "/v2/ext/jobs/reports", b'{"reports": []}'),
        ("GET", "/v2/topology", None),
    ]


@asynccontextmanager
async def _broker(hot: bool) -> AsyncIterator[tuple[httpx.AsyncClient, list[str]]]:
    store = JobStore(clock=lambda: NOW_MS)
    app: Starlette = create_app(store)
    if not hot:  # the middleware stack is built at the first request: drop it before that
        app.user_middleware = [
            m for m in app.user_middleware if cast(object, m.cls) is not HotRoutes
        ]
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://broker") as http:
            created = await http.post(
                "/v2/ext/jobs", json={"jobs": [{"type": "hot"}, {"type": "hot"}]}
            )
            yield http, created.json()["jobKeys"]
    finally:
        await store.aclose()


async def _answers(hot: bool) -> list[tuple[int, str | None, str | None, bytes]]:
    async with _broker(hot) as (http, (first, second)):
        answers = []
        for method, path, body in _calls(first, second):
            response = await http.request(method, path, content=body)
            answers.append(
                (
                    response.status_code,
                    response.headers.get("content-type"),
                    response.headers.get("allow"),
                    response.content,
                )
            )
        return answers


async def test_hot_routes_answer_as_the_router_does() -> None:
    with_hot, without = await _answers(hot=True), await _answers(hot=False)

    assert [a[0] for a in with_hot] == [200, 204, 404, 409, 400, 204, 400, 400, 400, 405, 405,
                                        307, 200, 400, 200]  # fmt: skip
    assert with_hot == without
