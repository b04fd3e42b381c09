"""Following the broker's job event log: the SSE stream, its JSON poll fallback, de-duplication.

``GET /v2/ext/events`` answers ``text/event-stream`` when asked for it and a JSON page
(``JobEventPage``) otherwise. Each event carries its log id; the client remembers the last one
and resumes from it (``Last-Event-ID``) after a reconnect, dropping anything at or below it,
so a consumer sees every event once, in order, across broker restarts.
"""

from __future__ import annotations

from typing import Any, Literal

import httpx
from httpx_sse import ServerSentEvent

from ..models import JobEventPage, JobEventRecord
from . import _extension as ext
from ._calls import LONG_POLL_MARGIN_S, Call, api_error

EventMode = Literal["auto", "stream", "poll"]
"""``auto``: stream, and poll when the server (or a proxy) does not stream; or force one."""

EVENTS_PATH = "/ext/events"
SSE = "text/event-stream"
DEFAULT_HEARTBEAT_S = 15.0
MAX_POLL_WAIT_S = 60.0


class StreamUnsupported(Exception):
    """The server answered the stream request, but not with a stream: poll instead."""


class EventCursor:
    """The position in the event log, and the filter that lets each event through once."""

    def __init__(self, after: int | None) -> None:
        self.position = after

    def accept(self, record: JobEventRecord) -> bool:
        """``True`` for an event not seen yet (and moves past it); ``False`` for a repeat."""
        if self.position is not None and record.id <= self.position:
            return False
        self.position = record.id
        return True

    def seek(self, position: int) -> None:
        """Move to where the server says the log stands (never backwards)."""
        if self.position is None or position > self.position:
            self.position = position

    def decode(self, sse: ServerSentEvent) -> JobEventRecord | None:
        """The new job event in ``sse``, or ``None`` (a repeat, a ``ready`` marker, other)."""
        if sse.event == "job":
            record = JobEventRecord.model_validate_json(sse.data)
            return record if self.accept(record) else None
        if sse.event == "ready" and sse.id and sse.id.isdigit():
            self.seek(int(sse.id))
        return None

    def fresh(self, page: JobEventPage) -> list[JobEventRecord]:
        """The events of a polled page not seen yet; the cursor moves to the page's end."""
        records = [record for record in page.items if self.accept(record)]
        self.seek(page.last_event_id)
        return records

    def query(self, job_type: str | None) -> dict[str, str]:
        params = {} if self.position is None else {"after": str(self.position)}
        return params if job_type is None else {**params, "type": job_type}


def stream_request(
    client: httpx.Client | httpx.AsyncClient,
    cursor: EventCursor,
    job_type: str | None,
    heartbeat_s: float,
) -> httpx.Request:
    """The SSE request; its read timeout is two heartbeats, so a dead stream is noticed."""
    headers = {"accept": SSE, "cache-control": "no-cache"}
    if cursor.position is not None:
        headers["last-event-id"] = str(cursor.position)
    params = {**cursor.query(job_type), "heartbeatMs": str(round(heartbeat_s * 1000))}
    timeout = httpx.Timeout(client.timeout.connect, read=2 * heartbeat_s + LONG_POLL_MARGIN_S)
    return client.build_request(
        "GET",
        EVENTS_PATH.lstrip("/"),
        params=params,
        headers=headers,
        extensions={"timeout": timeout.as_dict()},
    )


def is_stream(response: httpx.Response) -> bool:
    kind = response.headers.get("content-type", "")
    return response.is_success and kind.split(";")[0].strip().lower() == SSE


def raise_for_stream(response: httpx.Response) -> None:
    """Why a (read) answer to the stream request is not a stream: always raises."""
    if response.status_code == 404:
        raise ext.EVENTS.unsupported(response)
    if response.status_code == 406 or response.is_success:
        raise StreamUnsupported(response.headers.get("content-type", "no content type"))
    raise api_error("GET", response)


def poll_events(
    cursor: EventCursor, job_type: str | None, wait_s: float, limit: int
) -> Call[JobEventPage]:
    """One JSON page of events after the cursor, waiting up to ``wait_s`` for the first."""
    wait_s = min(max(wait_s, 0.0), MAX_POLL_WAIT_S)
    params: dict[str, Any] = {
        **cursor.query(job_type),
        "limit": str(limit),
        "waitMs": str(round(wait_s * 1000)),
    }
    return Call(
        "GET",
        EVENTS_PATH,
        lambda r: JobEventPage.model_validate_json(r.content),
        read_timeout_s=wait_s + LONG_POLL_MARGIN_S,
        idempotent=True,
        params=params,
        extension=ext.EVENTS,
    )
