"""The calls of the broker's schedules (``/v2/ext/schedules``), an extension a real Camunda
does not have: there they raise ``ExtensionUnsupportedError`` (see ``_extension``).

Every call here may be sent again after a lost answer: a PUT replaces the schedule with the
same definition, pause and resume set a state, a DELETE of a deleted schedule answers 404.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel

from ..models import Schedule, ScheduleList, ScheduleRequest
from . import _extension as ext
from ._calls import Call, _model, _nothing

_LIST = "/ext/schedules"
T = TypeVar("T")


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
    return f"{_LIST}/{quote(name, safe='')}"


def _call(
    method: str, path: str, parse: Callable[[httpx.Response], T], body: BaseModel | None = None
) -> Call[T]:
    """A schedules call: all are idempotent; a 404 of one schedule's route other than the
    upsert may be that schedule not being there, not the route missing."""
    extension = ext.SCHEDULES if path == _LIST or method == "PUT" else ext.SCHEDULE
    return Call(method, path, parse, body, idempotent=True, extension=extension)


def put_schedule(name: str, body: ScheduleRequest) -> Call[Schedule]:
    return _call("PUT", _path(name), _model(Schedule), body)


def get_schedule(name: str) -> Call[Schedule]:
    return _call("GET", _path(name), _model(Schedule))


def _items(response: httpx.Response) -> list[Schedule]:
    return ScheduleList.model_validate_json(response.content).items


def list_schedules() -> Call[list[Schedule]]:
    return _call("GET", _LIST, _items)


def pause_schedule(name: str) -> Call[Schedule]:
    return _call("POST", _path(name) + "/pause", _model(Schedule))


def resume_schedule(name: str) -> Call[Schedule]:
    return _call("POST", _path(name) + "/resume", _model(Schedule))


def delete_schedule(name: str) -> Call[None]:
    return _call("DELETE", _path(name), _nothing)
