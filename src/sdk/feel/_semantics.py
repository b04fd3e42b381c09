"""The meaning of FEEL's operators on evaluated values: three-valued logic, unary tests,
``instance of``, paths and indexes (the compiled closures call these)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from ._ops import compare
from ._scope import Scope
from ._temporal import properties
from ._values import FeelError, Range, equal, show, type_name

# ---- logic --------------------------------------------------------------------------------------


def expect_boolean(scope: Scope, value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    scope.state.warn(f"Expected boolean but found '{show(value)}'")
    return None


def any_true(scope: Scope, items: Iterator[Callable[[], Any]]) -> bool | None:
    """FEEL's ``or`` over ``items``: true if one is true, else null if one is not boolean."""
    result: bool | None = False
    for item in items:
        value = item()
        if value is True:
            return True
        if result is False:
            result = expect_boolean(scope, value)
        elif value is not False:
            result = None
    return result


def all_true(scope: Scope, items: Iterator[Callable[[], Any]]) -> bool | None:
    """FEEL's ``and`` over ``items``: false if one is false, else null if one is not boolean."""
    result: bool | None = True
    for item in items:
        value = item()
        if value is False:
            return False
        if result is True:
            result = expect_boolean(scope, value)
        elif value is not True:
            result = None
    return result


# ---- unary tests --------------------------------------------------------------------------------


def in_range(value: Any, bounds: Range) -> bool:
    """Whether ``value`` lies in ``bounds`` (raises `FeelError` when not comparable)."""
    checks = []
    if bounds.start is not None:
        checks.append(compare(">=" if bounds.start_closed else ">", value, bounds.start))
    if bounds.end is not None:
        checks.append(compare("<=" if bounds.end_closed else "<", value, bounds.end))
    return all(checks)


def matches_test(value: Any, test: Any) -> bool | None:
    """``value in test`` where ``test`` is a value: a range, a list, a boolean or one value."""
    if test is True:
        return True
    if isinstance(test, Range):
        return in_range(value, test)
    if isinstance(test, list):
        return any(equal(value, item) is True for item in test)
    result = equal(value, test)
    if result is None:
        if test is False:
            return False
        raise FeelError(f"Can't compare '{show(value)}' with '{show(test)}'")
    return result


_TYPE_ALIASES = {
    "date time": "date and time",
    "year-month-duration": "years and months duration",
    "day-time-duration": "days and time duration",
}


def instance_of(value: Any, name: str) -> bool:
    """``value instance of name``."""
    if name == "Any":
        return value is not None
    name = " ".join(name.split())
    return type_name(value) == _TYPE_ALIASES.get(name, name)


# ---- paths and filters --------------------------------------------------------------------------


def path(scope: Scope, value: Any, key: str) -> Any:
    """``value.key``: a context entry, a projection over a list, or a temporal property."""
    if isinstance(value, dict):
        if key in value:
            return value[key]
        keys = ", ".join(f"'{k}'" for k in value) or None
        detail = f"Available keys: {keys}" if keys else "The context is empty"
        scope.state.warn(f"No context entry found with key '{key}'. {detail}")
        return None
    if isinstance(value, list):
        return [path(scope, item, key) for item in value]
    if value is None:
        scope.state.warn(f"No context entry found with key '{key}'. The context is null")
        return None
    readers = properties(value) or {}
    if key in readers:
        return readers[key](value)
    names = ", ".join(f"'{name}'" for name in readers)
    scope.state.warn(
        f"No property found with name '{key}' of value '{show(value)}'. "
        f"Available properties: {names}"
    )
    return None


def index(items: Sequence[Any], position: Decimal) -> Any:
    """``items[position]``: 1-based, negative counts from the end, out of range is null."""
    if position != position.to_integral_value():
        return None
    at = int(position)
    if at > 0 and at <= len(items):
        return items[at - 1]
    if at < 0 and -at <= len(items):
        return items[at]
    return None


def item_scope(scope: Scope, item: Any) -> Scope:
    if isinstance(item, dict):
        return scope.child({**item, "item": item})
    return scope.child({"item": item})
