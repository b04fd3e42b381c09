"""FEEL's temporal values: reading ISO 8601 text, calendar arithmetic and properties."""

from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from ._values import YearsMonths

_DATE = r"(?P<year>-?\d{4,9})-(?P<month>\d{2})-(?P<day>\d{2})"
_TIME = r"(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d{1,9}))?)?"
_ZONE = r"(?P<zone>Z|[+-]\d{2}:\d{2}(?:\[[^\]]+\])?|@.+)?"

DATE = re.compile(_DATE)
TIME = re.compile(_TIME + _ZONE)
DATE_TIME = re.compile(_DATE + "T" + _TIME + _ZONE)
YEARS_MONTHS = re.compile(r"(?P<sign>-)?P(?:(?P<years>-?\d+)Y)?(?:(?P<months>-?\d+)M)?")
DAYS_TIME = re.compile(
    r"(?P<sign>-)?P(?:(?P<days>-?\d+)D)?"
    r"(?:T(?:(?P<hours>-?\d+)H)?(?:(?P<minutes>-?\d+)M)?(?:(?P<seconds>-?\d+(?:\.\d+)?)S)?)?"
)


def zone(text: str | None) -> dt.tzinfo | None:
    """The time zone of an offset (``Z``, ``+01:00``) or a region (``@Europe/Berlin``,
    ``+01:00[Europe/Berlin]``, ``Europe/Berlin``); ``None`` when there is none."""
    if not text:
        return None
    if text == "Z":
        return dt.timezone.utc
    if text.startswith("@"):
        return ZoneInfo(text[1:])
    if "[" in text:
        return ZoneInfo(text[text.index("[") + 1 : -1])
    if text[0] in "+-":
        hours, minutes = int(text[1:3]), int(text[4:6])
        offset = dt.timedelta(hours=hours, minutes=minutes)
        return dt.timezone(-offset if text[0] == "-" else offset)
    return ZoneInfo(text)


def _date(match: re.Match[str]) -> dt.date:
    return dt.date(int(match["year"]), int(match["month"]), int(match["day"]))


def _time(match: re.Match[str]) -> dt.time:
    fraction = (match["fraction"] or "").ljust(6, "0")[:6]
    return dt.time(
        int(match["hour"]),
        int(match["minute"]),
        int(match["second"] or 0),
        int(fraction),
        tzinfo=zone(match["zone"]),
    )


def parse_date(text: str) -> dt.date | None:
    """``YYYY-MM-DD``; ``None`` when the text is no valid date (e.g. ``2023-02-29``)."""
    match = DATE.fullmatch(text)
    return _date(match) if match else None


def parse_time(text: str) -> dt.time | None:
    """``HH:MM[:SS[.f]]`` with an optional offset or ``@zone``."""
    match = TIME.fullmatch(text)
    return _time(match) if match else None


def parse_date_time(text: str) -> dt.datetime | None:
    """A date and time (a bare date means its midnight, local)."""
    match = DATE_TIME.fullmatch(text)
    if match:
        time = _time(match)
        return dt.datetime.combine(_date(match), time.replace(tzinfo=None), time.tzinfo)
    date = parse_date(text)
    return dt.datetime(date.year, date.month, date.day) if date else None


def parse_duration(text: str) -> dt.timedelta | YearsMonths | None:
    """``P1Y2M`` (years and months) or ``P1DT2H3M4.5S`` (days and time)."""
    match = YEARS_MONTHS.fullmatch(text)
    if match and (match["years"] or match["months"]):
        months = int(match["years"] or 0) * 12 + int(match["months"] or 0)
        return YearsMonths(-months if match["sign"] else months)
    match = DAYS_TIME.fullmatch(text)
    if not match or not any(match[k] for k in ("days", "hours", "minutes", "seconds")):
        return None
    if text.endswith("T"):
        return None
    value = dt.timedelta(
        days=int(match["days"] or 0),
        hours=int(match["hours"] or 0),
        minutes=int(match["minutes"] or 0),
        seconds=float(Decimal(match["seconds"] or 0)),
    )
    return -value if match["sign"] else value


def parse_temporal(text: str) -> Any:
    """An ``@"..."`` literal: whichever temporal type the text spells, else ``None``."""
    for parser in (parse_date, parse_time):
        value = parser(text)
        if value is not None:
            return value
    if DATE_TIME.fullmatch(text):
        return parse_date_time(text)
    return parse_duration(text)


def add_months(value: dt.date, months: int) -> dt.date:
    """``value`` moved by ``months`` calendar months, the day clamped to the month's end."""
    index = value.year * 12 + value.month - 1 + months
    year, month = divmod(index, 12)
    day = min(value.day, last_day(year, month + 1))
    return value.replace(year=year, month=month + 1, day=day)


def last_day(year: int, month: int) -> int:
    """The number of days of ``month`` in ``year``."""
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return (following - dt.timedelta(days=1)).day


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole calendar months from ``start`` to ``end`` (negative when ``end`` is earlier)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if months > 0 and (end.day, _clock(end)) < (start.day, _clock(start)):
        months -= 1
    elif months < 0 and (end.day, _clock(end)) > (start.day, _clock(start)):
        months += 1
    return months


def _clock(value: dt.date) -> tuple[int, ...]:
    if isinstance(value, dt.datetime):
        return (value.hour, value.minute, value.second, value.microsecond)
    return ()


def _offset(value: dt.datetime | dt.time) -> dt.timedelta | None:
    if isinstance(value, dt.time) and isinstance(value.tzinfo, ZoneInfo):
        return None
    return value.utcoffset()


def _zone_id(value: dt.datetime | dt.time) -> str | None:
    return value.tzinfo.key if isinstance(value.tzinfo, ZoneInfo) else None


def _duration_part(value: dt.timedelta, unit: str) -> Decimal:
    total = abs(value)
    sign = -1 if value < dt.timedelta(0) else 1
    parts = {
        "days": total.days,
        "hours": total.seconds // 3600,
        "minutes": total.seconds // 60 % 60,
        "seconds": total.seconds % 60,
    }
    return Decimal(sign * parts[unit])


_DATE_PROPERTIES = {
    "year": lambda v: Decimal(v.year),
    "month": lambda v: Decimal(v.month),
    "day": lambda v: Decimal(v.day),
    "weekday": lambda v: Decimal(v.isoweekday()),
}
_TIME_PROPERTIES = {
    "hour": lambda v: Decimal(v.hour),
    "minute": lambda v: Decimal(v.minute),
    "second": lambda v: Decimal(v.second),
    "time offset": _offset,
    "timezone": _zone_id,
}
_DURATION_PROPERTIES = {
    unit: functools.partial(_duration_part, unit=unit)
    for unit in ("days", "hours", "minutes", "seconds")
}
_YEARS_MONTHS_PROPERTIES = {
    "years": lambda v: Decimal(int(v.months / 12)),
    "months": lambda v: Decimal(v.months - int(v.months / 12) * 12),
}
_PROPERTIES: tuple[tuple[type, dict[str, Any]], ...] = (
    (dt.datetime, {**_DATE_PROPERTIES, **_TIME_PROPERTIES}),
    (dt.date, _DATE_PROPERTIES),
    (dt.time, _TIME_PROPERTIES),
    (dt.timedelta, _DURATION_PROPERTIES),
    (YearsMonths, _YEARS_MONTHS_PROPERTIES),
)


def properties(value: Any) -> dict[str, Any] | None:
    """The property readers of a temporal value (``date.year``, ``duration.days``), or None."""
    for python_type, readers in _PROPERTIES:
        if isinstance(value, python_type):
            return readers
    return None
