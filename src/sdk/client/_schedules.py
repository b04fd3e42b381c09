"""The calls of the broker's schedules (``/v2/ext/schedules``), an extension a real Camunda
does not have: there the list and the upsert answer 404, which is raised as a
``ProtocolError`` saying schedules are not supported by this server.

Every call here may be sent again after a lost answer: a PUT replaces the schedule with the
same definition, pause and resume set a state, a DELETE of a deleted schedule answers 404.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import httpx

from ..models import Schedule, ScheduleList, ScheduleRequest
from ._calls import Call, _model, _nothing

NOT_SUPPORTED = (
    "schedules are not supported by this server (they are an extension of the sdk broker,"
    " /v2/ext/schedules; a Camunda 8 cluster has none)"
)
_UNSUPPORTED = dict.fromkeys((404, 405), NOT_SUPPORTED)
_ONE_UNSUPPORTED = {405: NOT_SUPPORTED}
"""A 404 on one schedule's route is that schedule not being there."""


def iso_interval(interval: timedelta | str) -> str:
    """An interval as the wire's ISO 8601 duration (a ``timedelta`` in whole seconds or ms)."""
    if isinstance(interval, str):
        return interval
    ms = round(interval.total_seconds() * 1000)
    if ms <= 0:
        raise ValueError("interval must be positive")
    seconds, rest = divmod(ms, 1000)
    return f"PT{seconds}.{rest:03d}S" if rest else f"PT{seconds}S"


def _path(name: str) -> str:
    if not name:
        raise ValueError("name must not be empty")
    return f"/ext/schedules/{quote(name, safe='')}"


def put_schedule(name: str, body: ScheduleRequest) -> Call[Schedule]:
    return Call(
        "PUT", _path(name), _model(Schedule), body, idempotent=True, unsupported=_UNSUPPORTED
    )


def get_schedule(name: str) -> Call[Schedule]:
    return Call("GET", _path(name), _model(Schedule), idempotent=True, unsupported=_ONE_UNSUPPORTED)


def _items(response: httpx.Response) -> list[Schedule]:
    return ScheduleList.model_validate_json(response.content).items


def list_schedules() -> Call[list[Schedule]]:
    return Call("GET", "/ext/schedules", _items, idempotent=True, unsupported=_UNSUPPORTED)


def pause_schedule(name: str) -> Call[Schedule]:
    return Call(
        "POST",
        _path(name) + "/pause",
        _model(Schedule),
        idempotent=True,
        unsupported=_ONE_UNSUPPORTED,
    )


def resume_schedule(name: str) -> Call[Schedule]:
    return Call(
        "POST",
        _path(name) + "/resume",
        _model(Schedule),
        idempotent=True,
        unsupported=_ONE_UNSUPPORTED,
    )


def delete_schedule(name: str) -> Call[None]:
    return Call("DELETE", _path(name), _nothing, idempotent=True, unsupported=_ONE_UNSUPPORTED)
