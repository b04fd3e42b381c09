"""Between JSON-like Python values (what Zeebe stores as variables) and FEEL values."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ._values import (
    Function,
    Range,
    YearsMonths,
    datetime_text,
    days_time_text,
    time_text,
    years_months_text,
)


def from_python(value: Any) -> Any:
    """A FEEL value for a JSON-like Python value.

    Numbers become ``Decimal`` (a float through its shortest text, so ``0.1`` stays ``0.1``;
    NaN and infinities, which FEEL has no numbers for, become null), mappings become contexts
    with string keys, tuples and lists become lists; FEEL values pass through unchanged.
    """
    if value is None or isinstance(value, bool | str | Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(key): from_python(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [from_python(item) for item in value]
    return value


def to_json(value: Any) -> Any:
    """A JSON-compatible Python value for a FEEL value, as Zeebe stores an expression's result.

    Integral numbers become ``int``, others ``float``; dates, times, date-times and durations
    their ISO 8601 text; contexts ``dict``; lists ``list``; ranges and functions (which Zeebe
    cannot store either) null.

    Args:
        value: A value from `Result.value`.

    Returns:
        ``None``, ``bool``, ``int``, ``float``, ``str``, ``list`` or ``dict`` (nested likewise).
    """
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return int(value)
        return float(value)
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_json(item) for item in value]
    if isinstance(value, Function | Range):
        return None
    return _temporal_text(value)


def _temporal_text(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return datetime_text(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return time_text(value)
    if isinstance(value, dt.timedelta):
        return days_time_text(value)
    if isinstance(value, YearsMonths):
        return years_months_text(value)
    if isinstance(value, int | float):
        return to_json(from_python(value))
    return None


def to_feel(value: Any) -> Any:
    """A FEEL value for a JSON value (as decoded by ``json.loads``).

    JSON numbers become ``Decimal``; objects contexts; arrays lists. ISO 8601 strings stay
    strings, as in Zeebe (``date(x)`` reads them).

    Args:
        value: A JSON-decoded value.

    Returns:
        The value with FEEL's types; `Expression.evaluate` does the same to its variables.
    """
    return from_python(value)
