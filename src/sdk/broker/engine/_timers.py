"""When a timer is due: ISO 8601 dates, durations and repeating intervals from the broker's
clock (static values were parsed at deployment; expressions are evaluated here)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ...bpmn import (
    CronSchedule,
    IsoDuration,
    RepeatingInterval,
    Timer,
    TimerKind,
    TimerValueError,
    parse_cycle,
    parse_date,
    parse_duration,
)
from ._expressions import clock, evaluate
from ._incidents import EXTRACT_VALUE_ERROR, Failure

UNBOUNDED = -1
"""Repetitions of ``R/...``: the timer fires until its element is left."""


def _ms(moment: dt.datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return int(moment.timestamp() * 1000)


def _static(timer: Timer, variables: Mapping[str, Any], now: int) -> object:
    if timer.static is not None:
        return timer.static
    text = evaluate(timer.value, variables, now)
    if not isinstance(text, str):
        raise Failure(
            EXTRACT_VALUE_ERROR,
            f"Expected result of the expression '{timer.value}' to be a timer value,"
            f" but was '{text}'",
        )
    try:
        if timer.kind is TimerKind.DATE:
            return parse_date(text)
        if timer.kind is TimerKind.DURATION:
            return parse_duration(text)
        return parse_cycle(text)
    except TimerValueError as error:
        raise Failure(EXTRACT_VALUE_ERROR, str(error)) from None


def schedule(timer: Timer, variables: Mapping[str, Any], now: int) -> tuple[int, int, int]:
    """``(due, repetitions, interval ms)`` of a timer created at ``now``."""
    value = _static(timer, variables, now)
    start = clock(now)
    if isinstance(value, dt.datetime):
        return _ms(value), 1, 0
    if isinstance(value, IsoDuration):
        return _ms(value.add_to(start)), 1, 0
    if isinstance(value, RepeatingInterval):
        first = value.start if value.start is not None else value.interval.add_to(start)
        interval = _ms(value.interval.add_to(start)) - now
        repetitions = UNBOUNDED if value.repetitions is None else value.repetitions
        return _ms(first), repetitions, interval
    if isinstance(value, CronSchedule):
        raise Failure(EXTRACT_VALUE_ERROR, f"cron timer '{value.expression}' is not supported yet")
    raise Failure(EXTRACT_VALUE_ERROR, f"unreadable timer value '{timer.value}'")
