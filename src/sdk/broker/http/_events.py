"""``GET /v2/ext/events``: the durable job event log, as a Server-Sent Events stream or as pages.

With ``Accept: text/event-stream`` the answer is a stream: first a ``ready`` event whose id is
the position it starts from, then one ``job`` event per log entry (``id`` = the entry's id,
``data`` = a ``JobEventRecord``), and a ``: ping`` comment after each quiet heartbeat interval
so clients and proxies see a live connection. A client resumes after a reconnect with
``Last-Event-ID`` (or ``?after=``); without either it gets only new events. The stream ends
cleanly when the broker shuts down. Any other ``Accept`` gets one JSON ``JobEventPage``
(long-polled with ``waitMs``): the fallback for clients and proxies that cannot stream.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from ...models import JobEventPage, JobEventRecord
from .._problems import InvalidRequest
from ..store import JobStore
from ._request import INT64_MAX, store_of

EVENTS_PATH = "/v2/ext/events"
BATCH = 500
RECHECK_S = 1.0
"""Longest wait between two looks at the log: bounds the delay of an event written just
between a look and the start of the wait for the next write."""
RECONNECT_MS = 1000
"""The ``retry:`` hint sent to browsers' EventSource."""


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or not low <= int(raw) <= high:
        raise InvalidRequest(f"{name}: must be an integer from {low} to {high}")
    return int(raw)


def _after(request: Request) -> int | None:
    """Where to resume: ``Last-Event-ID`` (set by reconnecting clients) wins over ``?after=``."""
    header = request.headers.get("last-event-id")
    if header is not None and header.strip():
        raw = header.strip()
        if not raw.isascii() or not raw.isdigit() or int(raw) > INT64_MAX:
            raise InvalidRequest("Last-Event-ID: must be an event id (a non-negative integer)")
        return int(raw)
    if "after" not in request.query_params:
        return None
    return _int_param(request, "after", 0, 0, INT64_MAX)


def _frame(record: JobEventRecord) -> bytes:
    return b"id: %d\nevent: job\ndata: %s\n\n" % (record.id, record.to_wire())


async def _stream(
    store: JobStore, position: int, job_type: str | None, heartbeat_s: float
) -> AsyncIterator[bytes]:
    yield b'retry: %d\nid: %d\nevent: ready\ndata: {"lastEventId": %d}\n\n' % (
        RECONNECT_MS,
        position,
        position,
    )
    last_sent = time.monotonic()
    while True:
        batch = await store.events_after(position, BATCH)
        frames = [_frame(r) for r in batch if job_type is None or r.job_type == job_type]
        position = batch[-1].id if batch else position
        if frames:  # one write per batch, not per event: replays run ~3x faster
            last_sent = time.monotonic()
            yield b"".join(frames)
        if len(batch) == BATCH:
            continue
        if store.closing:
            return  # shutting down: end the stream cleanly, the client reconnects elsewhere
        quiet_s = time.monotonic() - last_sent
        if quiet_s >= heartbeat_s:
            last_sent = time.monotonic()
            yield b": ping\n\n"
            quiet_s = 0.0
        await store.wait_for_change(min(RECHECK_S, heartbeat_s - quiet_s))


async def _page(
    store: JobStore, after: int | None, job_type: str | None, limit: int, wait_s: float
) -> JobEventPage:
    """Up to ``limit`` events after ``after``, waiting up to ``wait_s`` for the first one."""
    if after is None:
        return JobEventPage(items=[], last_event_id=await store.last_event_id())
    deadline = time.monotonic() + wait_s
    while True:
        batch = await store.events_after(after, limit)
        items = [r for r in batch if job_type is None or r.job_type == job_type]
        after = batch[-1].id if batch else after
        left_s = deadline - time.monotonic()
        if items or len(batch) == limit or left_s <= 0 or store.closing:
            return JobEventPage(items=items, last_event_id=after)
        await store.wait_for_change(min(RECHECK_S, left_s))


async def job_events(request: Request) -> Response:
    store = store_of(request)
    after = _after(request)
    job_type = request.query_params.get("type") or None
    if "text/event-stream" in request.headers.get("accept", ""):
        heartbeat_s = _int_param(request, "heartbeatMs", 15_000, 100, 60_000) / 1000
        start = after if after is not None else await store.last_event_id()
        return StreamingResponse(
            _stream(store, start, job_type, heartbeat_s),
            media_type="text/event-stream",
            headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
        )
    limit = _int_param(request, "limit", 500, 1, 1000)
    wait_s = _int_param(request, "waitMs", 0, 0, 60_000) / 1000
    page = await _page(store, after, job_type, limit, wait_s)
    return Response(page.to_wire(), media_type="application/json")


ROUTES = [Route(EVENTS_PATH, job_events, methods=["GET"])]
