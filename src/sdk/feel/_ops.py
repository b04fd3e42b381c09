"""FEEL's operators on values: arithmetic (numbers, strings, dates and durations), comparison.

Each operator returns the result or raises `FeelError` with feel-scala's message; the compiled
expression turns that into null plus a warning.
"""

from __future__ import annotations

import datetime as dt
import decimal
import operator
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ._temporal import add_months
from ._values import DECIMAL, FeelError, YearsMonths, comparable, equal, kind, order_key, show

Op = Callable[[Any, Any], Any]


def _shift_date(value: Any, by: Any, sign: int) -> Any:
    """A date or date-time moved by a duration (a date moved by days stays a date)."""
    if isinstance(by, YearsMonths):
        return add_months(value, sign * by.months)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None and hasattr(value.tzinfo, "key"):
            utc = value.astimezone(dt.timezone.utc) + sign * by
            return utc.astimezone(value.tzinfo)
        return value + sign * by
    return (dt.datetime.combine(value, dt.time()) + sign * by).date()


def _shift_time(value: dt.time, by: dt.timedelta, sign: int) -> dt.time:
    moved = dt.datetime.combine(dt.date(2000, 1, 1), value.replace(tzinfo=None)) + sign * by
    return moved.time().replace(tzinfo=value.tzinfo)


def _date_minus(x: Any, y: Any) -> dt.timedelta:
    if isinstance(x, dt.datetime) != isinstance(y, dt.datetime):
        x = x if isinstance(x, dt.datetime) else dt.datetime.combine(x, dt.time(), y.tzinfo)
        y = y if isinstance(y, dt.datetime) else dt.datetime.combine(y, dt.time(), x.tzinfo)
    if isinstance(x, dt.datetime) and (x.tzinfo is None) != (y.tzinfo is None):
        raise TypeError
    return x - y  # type: ignore[no-any-return]


def _time_minus(x: dt.time, y: dt.time) -> dt.timedelta:
    day = dt.date(2000, 1, 1)
    return dt.datetime.combine(day, x) - dt.datetime.combine(day, y)


_TEMPORAL_POINTS = ("date", "date and time", "local date and time")
_DURATIONS = ("days and time duration", "years and months duration")


def _add(x: Any, y: Any) -> Any:
    kx, ky = kind(x), kind(y)
    if kx == ky and kx in ("number", "string", "days and time duration"):
        return DECIMAL.add(x, y) if kx == "number" else x + y
    if kx == ky == "years and months duration":
        return YearsMonths(x.months + y.months)
    if kx in _DURATIONS and ky in (*_TEMPORAL_POINTS, "time", "local time"):
        x, y, kx, ky = y, x, ky, kx
    if kx in _TEMPORAL_POINTS and ky in _DURATIONS:
        return _shift_date(x, y, 1)
    if kx in ("time", "local time") and ky == "days and time duration":
        return _shift_time(x, y, 1)
    raise FeelError(f"Can't add '{show(y)}' to '{show(x)}'")


def _subtract(x: Any, y: Any) -> Any:
    kx, ky = kind(x), kind(y)
    if kx == ky == "number":
        return DECIMAL.subtract(x, y)
    if kx == ky == "days and time duration":
        return x - y
    if kx == ky == "years and months duration":
        return YearsMonths(x.months - y.months)
    if kx in _TEMPORAL_POINTS and ky in _DURATIONS:
        return _shift_date(x, y, -1)
    if kx in _TEMPORAL_POINTS and ky in _TEMPORAL_POINTS:
        return _date_minus(x, y)
    if kx in ("time", "local time") and ky == "days and time duration":
        return _shift_time(x, y, -1)
    if kx == ky and kx in ("time", "local time"):
        return _time_minus(x, y)
    raise FeelError(f"Can't subtract '{show(y)}' from '{show(x)}'")


def _multiply(x: Any, y: Any) -> Any:
    if isinstance(x, Decimal) and not isinstance(y, Decimal):
        x, y = y, x
    if isinstance(y, Decimal):
        if isinstance(x, Decimal):
            return DECIMAL.multiply(x, y)
        if isinstance(x, dt.timedelta):
            return dt.timedelta(microseconds=int(_micros(x) * y))
        if isinstance(x, YearsMonths):
            return YearsMonths(int(x.months * y))
    raise FeelError(f"Can't multiply '{show(x)}' by '{show(y)}'")


def _micros(value: dt.timedelta) -> Decimal:
    return Decimal(value // dt.timedelta(microseconds=1))


def _divide(x: Any, y: Any) -> Any:
    if isinstance(y, Decimal) and y == 0:
        raise FeelError(f"Can't divide '{show(x)}' by '{show(y)}'")
    if isinstance(y, Decimal):
        if isinstance(x, Decimal):
            return DECIMAL.divide(x, y)
        if isinstance(x, dt.timedelta):
            return dt.timedelta(microseconds=int(_micros(x) / y))
        if isinstance(x, YearsMonths):
            return YearsMonths(int(Decimal(x.months) / y))
    if isinstance(x, dt.timedelta) and isinstance(y, dt.timedelta) and y:
        return DECIMAL.divide(_micros(x), _micros(y))
    if isinstance(x, YearsMonths) and isinstance(y, YearsMonths) and y.months:
        return DECIMAL.divide(Decimal(x.months), Decimal(y.months))
    raise FeelError(f"Can't divide '{show(x)}' by '{show(y)}'")


def _power(x: Any, y: Any) -> Any:
    if not (kind(x) == kind(y) == "number"):
        raise FeelError(f"Can't raise '{show(x)}' to the power of '{show(y)}'")
    if y == y.to_integral_value() and abs(y) <= 999_999:
        return DECIMAL.power(x, int(y))
    return Decimal(repr(float(x) ** float(y)))


ARITHMETIC: dict[str, Op] = {
    "+": _add,
    "-": _subtract,
    "*": _multiply,
    "/": _divide,
    "**": _power,
}


def arithmetic(symbol: str, x: Any, y: Any) -> Any:
    """``x <symbol> y``; raises `FeelError` (null and a warning) for values it is not defined on."""
    try:
        return ARITHMETIC[symbol](x, y)
    except (decimal.DecimalException, OverflowError, ValueError, TypeError) as error:
        raise FeelError(f"Can't evaluate '{show(x)} {symbol} {show(y)}': {error!r}") from None


_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def compare(symbol: str, x: Any, y: Any) -> bool | None:
    """``x <symbol> y`` for ``=``, ``!=``, ``<``, ``<=``, ``>``, ``>=`` (null: not comparable)."""
    if symbol in ("=", "!="):
        result = equal(x, y)
        if result is None:
            raise FeelError(f"Can't compare '{show(x)}' with '{show(y)}'")
        return result if symbol == "=" else not result
    if not comparable(x, y):
        raise FeelError(f"Can't compare '{show(x)}' with '{show(y)}'")
    return _ORDER[symbol](order_key(x), order_key(y))


def negate(value: Any) -> Any:
    """``-value`` for a number or a duration."""
    if isinstance(value, Decimal):
        return DECIMAL.subtract(Decimal(0), value)
    if isinstance(value, dt.timedelta):
        return -value
    if isinstance(value, YearsMonths):
        return YearsMonths(-value.months)
    raise FeelError(f"Can't negate '{show(value)}'")
