"""FEEL's values as Python objects, their type names, equality, ordering and text forms.

null is ``None``, numbers are ``Decimal`` (34 significant digits, as feel-scala's DECIMAL128),
strings ``str``, booleans ``bool``, lists ``list``, contexts ``dict[str, Any]``; dates, times and
date-times are ``datetime.date`` / ``time`` / ``datetime`` (naive: local, aware: with an offset or
a zone), days-and-time durations ``timedelta``, years-and-months durations `YearsMonths`.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

DECIMAL = decimal.Context(
    prec=34,
    rounding=decimal.ROUND_HALF_EVEN,
    Emax=6144,
    Emin=-6143,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)
"""The arithmetic context of every FEEL number operation (IEEE 754 decimal128's precision)."""


class FeelError(Exception):
    """A FEEL evaluation error that becomes null plus a warning (never leaves the package)."""


@dataclass(frozen=True)
class YearsMonths:
    """A years-and-months duration, counted in months (``P1Y2M`` is 14)."""

    months: int


@dataclass(frozen=True)
class Range:
    """A range value such as ``[1..10)``; an endpoint of ``None`` is unbounded."""

    start: Any
    start_closed: bool
    end: Any
    end_closed: bool


@dataclass(frozen=True, eq=False)
class Function:
    """A FEEL function value: a user-defined ``function(x) ...`` or a built-in.

    ``invoke`` takes the arguments already matched to ``params`` (missing optional ones are
    ``None``) and the evaluation state (warnings and clock).
    """

    name: str
    params: tuple[str, ...]
    invoke: Callable[[Sequence[Any], Any], Any]
    required: int = -1  # how many leading params must be given; -1: all
    variadic: bool = False  # the last param collects the rest of the positional arguments

    @property
    def min_args(self) -> int:
        return len(self.params) if self.required < 0 else self.required


def type_name(value: Any) -> str:
    """The FEEL type name of ``value`` (``instance of`` and messages use it)."""
    for python_type, name in _TYPE_NAMES:
        if isinstance(value, python_type):
            return name
    return "null" if value is None else type(value).__name__


_TYPE_NAMES: tuple[tuple[type, str], ...] = (
    (bool, "boolean"),
    (Decimal, "number"),
    (str, "string"),
    (dt.datetime, "date and time"),
    (dt.date, "date"),
    (dt.time, "time"),
    (dt.timedelta, "days and time duration"),
    (YearsMonths, "years and months duration"),
    (list, "list"),
    (dict, "context"),
    (Function, "function"),
    (Range, "range"),
)


def kind(value: Any) -> str:
    """Like `type_name`, but local and zoned times (and date-times) are different kinds."""
    name = type_name(value)
    if isinstance(value, dt.datetime | dt.time) and value.tzinfo is None:
        return "local " + name
    return name


_ORDERED = frozenset(
    {
        "number",
        "string",
        "date",
        "time",
        "local time",
        "date and time",
        "local date and time",
        "days and time duration",
        "years and months duration",
    }
)


def comparable(x: Any, y: Any) -> bool:
    """Whether ``<`` and ``>`` are defined between ``x`` and ``y`` (same kind, ordered)."""
    k = kind(x)
    return k in _ORDERED and k == kind(y)


def order_key(value: Any) -> Any:
    """A Python value that orders as FEEL orders ``value`` (for comparable values only)."""
    if isinstance(value, YearsMonths):
        return value.months
    return value


def equal(x: Any, y: Any) -> bool | None:
    """FEEL ``=``: null equals only null; values of different kinds are not comparable (None)."""
    if x is None or y is None:
        return x is None and y is None
    kx = kind(x)
    if kx != kind(y):
        return None
    if kx == "list":
        return len(x) == len(y) and all(equal(a, b) is True for a, b in zip(x, y, strict=True))
    if kx == "context":
        return x.keys() == y.keys() and all(equal(x[k], y[k]) is True for k in x)
    if kx in ("function", "range"):
        return x is y or (kx == "range" and x == y)
    return bool(x == y)


def contains(items: Sequence[Any], value: Any) -> bool:
    """Whether ``items`` holds a value FEEL-equal to ``value``."""
    return any(equal(item, value) is True for item in items)


# ---- text forms ---------------------------------------------------------------------------------


def number_text(value: Decimal) -> str:
    """A number as ``string()`` writes it: plain notation, no exponent."""
    text = format(value, "f")
    return "0" if text == "-0" else text


def _fraction(micro: int) -> str:
    return f".{micro:06d}".rstrip("0") if micro else ""


def _offset_text(value: dt.datetime | dt.time) -> str:
    tz = value.tzinfo
    if tz is None:
        return ""
    if isinstance(tz, ZoneInfo):
        return "@" + tz.key
    offset = value.utcoffset()
    if not offset:
        return "Z"
    sign = "-" if offset < dt.timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def time_text(value: dt.time) -> str:
    """``HH:MM:SS[.fraction][offset]`` as feel-scala writes a time."""
    base = f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    return base + _fraction(value.microsecond) + _offset_text(value)


def datetime_text(value: dt.datetime) -> str:
    """ISO 8601 with seconds, an offset (``Z`` for UTC) or ``@zone``, as feel-scala writes it."""
    base = f"{value.date().isoformat()}T{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    return base + _fraction(value.microsecond) + _offset_text(value)


def days_time_text(value: dt.timedelta) -> str:
    """``P1DT2H3M4S`` (``P0D`` for zero), sign in front as feel-scala writes it."""
    micros = abs(value) // dt.timedelta(microseconds=1)
    if micros == 0:
        return "P0D"
    sign = "-" if value < dt.timedelta(0) else ""
    seconds, micro = divmod(micros, 1_000_000)
    days, seconds = divmod(seconds, 86_400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    date_part = f"{days}D" if days else ""
    time_part = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    if seconds or micro:
        time_part += f"{seconds}{_fraction(micro)}S"
    return f"{sign}P{date_part}" + (f"T{time_part}" if time_part else "")


def years_months_text(value: YearsMonths) -> str:
    """``P1Y2M`` (``P0Y`` for zero), sign in front."""
    if value.months == 0:
        return "P0Y"
    sign = "-" if value.months < 0 else ""
    years, months = divmod(abs(value.months), 12)
    return f"{sign}P" + (f"{years}Y" if years else "") + (f"{months}M" if months else "")


def to_text(value: Any) -> str:
    """``string(value)``: strings as they are, everything else in its FEEL literal form."""
    return value if isinstance(value, str) else show(value)


def show(value: Any) -> str:
    """A value as FEEL writes it in lists, contexts and messages (strings quoted)."""
    writer = _WRITERS.get(type(value))
    if writer is not None:
        return writer(value)
    if isinstance(value, dt.datetime):
        return datetime_text(value)
    if isinstance(value, Function):
        return f"function {value.name}"
    if isinstance(value, Range):
        return _range_text(value)
    return repr(value)


def _string_literal(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _list_text(value: list[Any]) -> str:
    return "[" + ", ".join(show(item) for item in value) + "]"


def _context_text(value: Mapping[str, Any]) -> str:
    return "{" + ", ".join(f"{key}:{show(item)}" for key, item in value.items()) + "}"


def _range_text(value: Range) -> str:
    start = "[" if value.start_closed else "("
    end = "]" if value.end_closed else ")"
    return f"{start}{show(value.start)}..{show(value.end)}{end}"


_WRITERS: dict[type, Callable[[Any], str]] = {
    type(None): lambda _: "null",
    bool: lambda v: "true" if v else "false",
    Decimal: number_text,
    str: _string_literal,
    dt.date: lambda v: v.isoformat(),
    dt.datetime: datetime_text,
    dt.time: time_text,
    dt.timedelta: days_time_text,
    YearsMonths: years_months_text,
    list: _list_text,
    dict: _context_text,
}
