"""Built-in functions: conversion, boolean and context functions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from ._functions import AssertionFailure, builtin
from ._temporal import parse_date, parse_date_time, parse_duration, parse_time, zone
from ._values import FeelError, YearsMonths, show, to_text

# ---- conversion ---------------------------------------------------------------------------------


@builtin("string")
def string(from_: Any) -> str | None:
    return None if from_ is None else to_text(from_)


@builtin("number")
def number(from_: str) -> Decimal | None:
    try:
        return Decimal(from_.strip()) if from_.strip() and "_" not in from_ else None
    except InvalidOperation:
        return None


@builtin("number")
def number_grouped(
    from_: str, grouping_separator: str | None, decimal_separator: str | None = None
) -> Decimal | None:
    text = from_.replace(grouping_separator, "") if grouping_separator else from_
    if decimal_separator:
        text = text.replace(decimal_separator, ".")
    return number(text)


@builtin("date")
def date(from_: str | dt.date) -> dt.date | None:
    if isinstance(from_, dt.datetime):
        return from_.date()
    if isinstance(from_, dt.date):
        return from_
    try:
        return parse_date(from_)
    except ValueError:
        return None


@builtin("date")
def date_of(year: Decimal, month: Decimal, day: Decimal) -> dt.date | None:
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None


@builtin("time")
def time(from_: str | dt.date | dt.time) -> dt.time | None:
    if isinstance(from_, dt.datetime):
        return from_.timetz()
    if isinstance(from_, dt.time):
        return from_
    if isinstance(from_, dt.date):
        return dt.time()
    try:
        return parse_time(from_)
    except (ValueError, KeyError):
        return None


@builtin("time")
def time_of(
    hour: Decimal, minute: Decimal, second: Decimal, offset: dt.timedelta | None = None
) -> dt.time | None:
    whole = int(second)
    micro = int((second - whole) * 1_000_000)
    tz = dt.timezone(offset) if offset is not None else None
    try:
        return dt.time(int(hour), int(minute), whole, micro, tzinfo=tz)
    except ValueError:
        return None


@builtin("date and time")
def date_and_time(from_: str | dt.date) -> dt.datetime | None:
    if isinstance(from_, dt.datetime):
        return from_
    if isinstance(from_, dt.date):
        return dt.datetime(from_.year, from_.month, from_.day)
    try:
        return parse_date_time(from_)
    except (ValueError, KeyError):
        return None


@builtin("date and time")
def date_and_time_of(date: dt.date, time: dt.time | str) -> dt.datetime | None:
    if isinstance(time, str):  # date and time(from, timezone): the same instant in that zone
        if not isinstance(date, dt.datetime):
            return None
        tz = zone(time)
        moment = date if date.tzinfo else date.replace(tzinfo=dt.timezone.utc)
        return moment.astimezone(tz)
    day = date.date() if isinstance(date, dt.datetime) else date
    return dt.datetime.combine(day, time.replace(tzinfo=None), time.tzinfo)


@builtin("duration")
def duration(from_: str) -> dt.timedelta | YearsMonths | None:
    return parse_duration(from_)


@builtin("years and months duration")
def years_and_months_duration(from_: dt.date, to: dt.date) -> YearsMonths:
    from ._temporal import months_between

    return YearsMonths(months_between(from_, to))


# ---- boolean ------------------------------------------------------------------------------------


@builtin("not")
def not_(negand: Any) -> bool | None:
    return (not negand) if isinstance(negand, bool) else None


@builtin("is defined")
def is_defined(value: Any) -> bool:
    return value is not None


@builtin("get or else")
def get_or_else(value: Any, default: Any) -> Any:
    return default if value is None else value


@builtin("assert")
def assert_(value: Any, condition: Any, cause: Any = None) -> Any:
    if condition is True:
        return value
    if cause is None:
        raise AssertionFailure("The condition is not fulfilled")
    raise AssertionFailure(to_text(cause))


# ---- context ------------------------------------------------------------------------------------


@builtin("get value")
def get_value(context: dict[str, Any], key: str | list[Any]) -> Any:
    if isinstance(key, str):
        return context.get(key)
    value: Any = context
    for part in key:
        if not isinstance(value, dict) or not isinstance(part, str):
            return None
        value = value.get(part)
    return value


@builtin("get entries")
def get_entries(context: dict[str, Any]) -> list[Any]:
    return [{"key": key, "value": value} for key, value in context.items()]


@builtin("context put")
def context_put(context: dict[str, Any], key: str | list[Any], value: Any) -> dict[str, Any]:
    if isinstance(key, str):
        return {**context, key: value}
    if not key or not all(isinstance(k, str) for k in key):
        raise FeelError("the keys must be a non-empty list of strings")
    head, rest = key[0], key[1:]
    if not rest:
        return {**context, head: value}
    inner = context.get(head)
    return {**context, head: context_put(inner if isinstance(inner, dict) else {}, rest, value)}


@builtin("context merge")
def context_merge(contexts: list[Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for each in contexts:
        if not isinstance(each, dict):
            raise FeelError(f"Expected context but found '{show(each)}'")
        merged.update(each)
    return merged


@builtin("context")
def context(entries: list[Any]) -> dict[str, Any]:
    built: dict[str, Any] = {}
    for entry in entries:
        if not (isinstance(entry, dict) and isinstance(entry.get("key"), str) and "value" in entry):
            raise FeelError(f"Expected an entry with key and value but found '{show(entry)}'")
        built[entry["key"]] = entry["value"]
    return built
