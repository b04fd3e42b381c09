"""When a timer is due: ISO 8601 dates, durations, repeating intervals and cron cycles from the
broker's clock (static values were parsed at deployment; expressions are evaluated here).

As in Zeebe: a repeating interval ``R5/PT10S`` fires 5 times, ``R/PT10S`` until its element is
left, each firing due one interval after the previous due time (not after the trigger, so the
cycle does not drift); a cron cycle (Spring's six fields, or a macro such as ``@daily``) fires
until its element is left, each firing at the cron's next time after the moment the timer is
(re)scheduled. Cron is read in UTC: Zeebe uses the broker JVM's default zone, UTC in its
images unless set otherwise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from croniter import croniter

from ...bpmn import (
    CronSchedule,
    Expr,
    IsoDuration,
    RepeatingInterval,
    Timer,
    TimerKind,
    TimerValueError,
    parse_cycle,
    parse_date,
    parse_duration,
)
from ...feel import to_json
from ._expressions import clock, expect, expect_one_of, warning_lines
from ._incidents import EXTRACT_VALUE_ERROR, Failure

UNBOUNDED = -1
"""Repetitions of ``R/...``: the timer fires until its element is left."""


def _ms(moment: dt.datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return int(moment.timestamp() * 1000)


def _static(timer: Timer, variables: Mapping[str, Any], now: int) -> object:
    """The timer's value: static, or the expression's result checked as Zeebe does (a date
    is a date-time or a string, a duration a duration, a period or a string, a cycle a
    string), with Zeebe's EXTRACT_VALUE_ERROR messages."""
    if timer.static is not None:
        return timer.static
    text = timer.value.text if isinstance(timer.value, Expr) else str(timer.value)
    if timer.kind is TimerKind.CYCLE:
        cycle = expect(timer.value, "STRING", variables, now)
        try:
            return parse_cycle(cycle)
        except TimerValueError as error:
            raise Failure(EXTRACT_VALUE_ERROR, str(error)) from None
    if timer.kind is TimerKind.DATE:
        raw, found, warnings = expect_one_of(timer.value, ("DATE_TIME", "STRING"), variables, now)
        kind = "date-time"
    else:
        raw, found, warnings = expect_one_of(
            timer.value, ("DURATION", "PERIOD", "STRING"), variables, now
        )
        kind = "duration"
    value = to_json(raw)
    try:
        return parse_date(value) if kind == "date-time" else parse_duration(value)
    except TimerValueError:
        if found != "STRING":
            raise Failure(EXTRACT_VALUE_ERROR, f"unreadable timer value '{value}'") from None
        raise Failure(
            EXTRACT_VALUE_ERROR,
            f"Invalid {kind} format '{value}' for expression '{text}'." + warning_lines(warnings),
        ) from None


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
        due = next_cron(value.expression, now)
        return (now, 0, 0) if due is None else (due, UNBOUNDED, 0)
    raise Failure(EXTRACT_VALUE_ERROR, f"unreadable timer value '{timer.value}'")


def cron_of(timer: Timer, variables: Mapping[str, Any], now: int) -> str | None:
    """The cron expression of a cron cycle timer (``None`` for any other timer)."""
    value = _static(timer, variables, now)
    return value.expression if isinstance(value, CronSchedule) else None


def next_cron(expression: str, after: int) -> int | None:
    """The cron's next firing strictly after ``after`` (epoch ms), ``None`` when it has none."""
    text = expression.strip()
    fields = text.split()
    try:
        if text.startswith("@"):
            moments = croniter(_MACROS.get(text.lower(), text), clock(after))
        else:
            if len(fields) != 6:
                raise ValueError(f"expected 6 fields, got {len(fields)}")
            moments = croniter(" ".join(fields), clock(after), second_at_beginning=True)
        moment = moments.get_next(dt.datetime)
    except (ValueError, KeyError, TypeError) as error:
        raise Failure(
            EXTRACT_VALUE_ERROR, f"Text '{expression}' cannot be parsed as a cron: {error}"
        ) from None
    except StopIteration:  # pragma: no cover - a cron that never fires again
        return None
    return _ms(moment)


_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}


def start_event_due(
    timer: Timer, now: int, previous_due: int | None = None, repetitions: int = 1
) -> tuple[int, int] | None:
    """When a timer start event fires next, for the store to schedule it: ``(due,
    repetitions)`` counting that firing (``UNBOUNDED`` for ``R/`` and cron), or ``None`` when
    it fires no more. The first firing is scheduled at deployment (``previous_due`` ``None``);
    after a firing, with that firing's ``previous_due`` and ``repetitions``: a repeating
    interval one interval after the previous due time, a cron at its next time after ``now``.
    Static values only (a start event has no variables to evaluate against)."""
    if previous_due is None:
        due, left, _ = schedule(timer, {}, now)
        return due, left
    if repetitions != UNBOUNDED and repetitions <= 1:
        return None
    left = repetitions if repetitions == UNBOUNDED else repetitions - 1
    value = _static(timer, {}, now)
    if isinstance(value, RepeatingInterval):
        return _ms(value.interval.add_to(clock(previous_due))), left
    if isinstance(value, CronSchedule):
        following = next_cron(value.expression, now)
        return None if following is None else (following, UNBOUNDED)
    return None
