"""Static timer values as Zeebe reads them: ISO 8601 durations, repeating intervals, dates, and
cron expressions for cycles.

The engine needs due dates from these without a FEEL evaluator, so the static forms are parsed
here, once, at deployment; an expression (``=...``) is left to the engine.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

_DURATION = re.compile(
    r"(?P<sign>-)?P(?!$)(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?"
    r"(?:(?P<days>\d+)D)?(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?"
    r"(?:(?P<seconds>\d+(?:[.,]\d+)?)S)?)?"
)


class TimerValueError(ValueError):
    """A static timer value that does not parse."""


@dataclass(frozen=True)
class IsoDuration:
    """An ISO 8601 duration: a calendar part (months, days) and an exact part (seconds).

    Kept apart because ``P1M`` after 31 January is not 30 days: the engine adds it to a date
    with ``add_to``.

    Attributes:
        months: Years times 12 plus months.
        days: Weeks times 7 plus days.
        seconds: Hours, minutes and seconds, in seconds.
    """

    months: int = 0
    days: int = 0
    seconds: float = 0.0

    def add_to(self, start: datetime) -> datetime:
        """``start`` moved by this duration (month ends are clamped: 31 Jan + P1M = 28/29 Feb)."""
        moved = start
        if self.months:
            month_index = start.month - 1 + self.months
            year = start.year + month_index // 12
            month = month_index % 12 + 1
            day = min(start.day, calendar.monthrange(year, month)[1])
            moved = moved.replace(year=year, month=month, day=day)
        return moved + timedelta(days=self.days, seconds=self.seconds)


@dataclass(frozen=True)
class RepeatingInterval:
    """An ISO 8601 repeating interval, ``R[n]/[start/]duration``.

    Attributes:
        repetitions: How many times the timer fires; ``None`` for ``R/...`` (unbounded).
        interval: The time between two firings.
        start: When the first interval starts; ``None``: when the timer is created.
    """

    repetitions: int | None
    interval: IsoDuration
    start: datetime | None = None


@dataclass(frozen=True)
class CronSchedule:
    """A cron cycle (Spring's six fields: second minute hour day-of-month month day-of-week, or
    a macro such as ``@daily``). Checked for shape only; the engine computes the firings.

    Attributes:
        expression: The cron text as written.
    """

    expression: str


def parse_duration(text: str) -> IsoDuration:
    """An ISO 8601 duration such as ``PT1H30M`` or ``P1DT12H``; negative ones are refused."""
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise TimerValueError(f"Text '{text}' cannot be parsed to a Duration")
    if match["sign"]:
        raise TimerValueError(f"negative duration '{text}'")
    part = {k: v for k, v in match.groupdict().items() if k != "sign"}

    def num(key: str) -> int:
        return int(part[key]) if part[key] else 0

    seconds = float(part["seconds"].replace(",", ".")) if part["seconds"] else 0.0
    return IsoDuration(
        months=num("years") * 12 + num("months"),
        days=num("weeks") * 7 + num("days"),
        seconds=num("hours") * 3600 + num("minutes") * 60 + seconds,
    )


def parse_date(text: str) -> datetime:
    """An ISO 8601 date-time with an offset (``2024-01-01T10:00:00Z``, ``...+02:00``); a local
    date-time is refused, as Zeebe refuses it: it does not say when it is."""
    raw = text.strip()
    zone = re.fullmatch(r"(.*)\[[A-Za-z_/+\-0-9]+\]", raw)
    if zone:  # a zone id after the offset, as Java writes it: the offset says when it is
        raw = zone.group(1)
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise TimerValueError(f"Text '{text}' cannot be parsed to a date-time") from None
    if "T" not in raw or value.tzinfo is None:
        raise TimerValueError(f"'{text}' has no time zone offset (e.g. 'Z' or '+01:00')")
    return value


_CRON_MACROS = frozenset(
    {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
)
_CRON_FIELD = re.compile(r"[0-9A-Za-z*?/,\-#LW]+")


def parse_cron(text: str) -> CronSchedule:
    """A cron expression in Spring's form (six fields, or a macro), checked for shape only."""
    raw = text.strip()
    if raw.lower() in _CRON_MACROS:
        return CronSchedule(raw)
    fields = raw.split()
    if len(fields) != 6:
        raise TimerValueError(
            f'Cron expression must consist of 6 fields (found {len(fields)} in "{text}")'
        )
    for field in fields:
        if not _CRON_FIELD.fullmatch(field):
            raise TimerValueError(f"invalid cron field '{field}' in \"{text}\"")
    return CronSchedule(raw)


def parse_cycle(text: str) -> RepeatingInterval | CronSchedule:
    """A repeating interval (``R3/PT10S``, ``R/PT1H``, ``R/2024-01-01T00:00:00Z/P1D``) or, when
    it does not start with ``R``, a cron expression (as Zeebe decides)."""
    raw = text.strip()
    if not raw.startswith("R"):
        return parse_cron(raw)
    parts = raw.split("/")
    if len(parts) not in (2, 3):
        raise TimerValueError(f"Expected a repeating interval 'R[n]/[start/]duration': '{text}'")
    count = parts[0][1:]
    if count and not count.isdigit():
        raise TimerValueError(f"invalid repetitions '{parts[0]}' in '{text}'")
    start = parse_date(parts[1]) if len(parts) == 3 else None
    interval = parse_duration(parts[-1])
    return RepeatingInterval(
        repetitions=int(count) if count else None, interval=interval, start=start
    )
