"""Built-in list functions. Those over numbers take a list or the numbers as arguments
(``max([1, 2])`` and ``max(1, 2)``)."""

from __future__ import annotations

import functools
import statistics
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from ._functions import builtin
from ._ops import compare
from ._scope import State
from ._values import DECIMAL, FeelError, Function, contains, equal, show


def _items(args: Sequence[Any]) -> list[Any]:
    return list(args[0]) if len(args) == 1 and isinstance(args[0], list) else list(args)


def _numbers(args: Sequence[Any]) -> list[Decimal]:
    items = _items(args)
    if not all(isinstance(item, Decimal) and not isinstance(item, bool) for item in items):
        raise FeelError(f"Expected a list of numbers but found '{show(items)}'")
    return items


def _position(items: Sequence[Any], position: Decimal) -> int:
    """A 0-based index for FEEL's 1-based (negative: from the end) position."""
    at = int(position)
    if at > 0 and at <= len(items):
        return at - 1
    if at < 0 and -at <= len(items):
        return len(items) + at
    raise FeelError(f"position {at} is out of the list's bounds (size {len(items)})")


@builtin("list contains")
def list_contains(list: list[Any], element: Any) -> bool:
    return contains(list, element)


@builtin("count")
def count(list: list[Any]) -> Decimal:
    return Decimal(len(list))


def _extreme(args: Sequence[Any], symbol: str) -> Any:
    items = _items(args)
    if not items:
        return None
    best = items[0]
    for item in items[1:]:
        if compare(symbol, item, best):
            best = item
    return best


@builtin("min")
def min_(*list: Any) -> Any:
    return _extreme(list, "<")


@builtin("max")
def max_(*list: Any) -> Any:
    return _extreme(list, ">")


@builtin("sum")
def sum_(*list: Any) -> Decimal | None:
    numbers = _numbers(list)
    return functools.reduce(DECIMAL.add, numbers, Decimal(0)) if numbers else None


@builtin("product")
def product(*list: Any) -> Decimal | None:
    numbers = _numbers(list)
    return functools.reduce(DECIMAL.multiply, numbers, Decimal(1)) if numbers else None


@builtin("mean")
def mean(*list: Any) -> Decimal | None:
    numbers = _numbers(list)
    if not numbers:
        return None
    return DECIMAL.divide(functools.reduce(DECIMAL.add, numbers, Decimal(0)), len(numbers))


@builtin("median")
def median(*list: Any) -> Decimal | None:
    numbers = sorted(_numbers(list))
    if not numbers:
        return None
    middle = len(numbers) // 2
    if len(numbers) % 2:
        return numbers[middle]
    return DECIMAL.divide(DECIMAL.add(numbers[middle - 1], numbers[middle]), 2)


@builtin("stddev")
def stddev(*list: Any) -> Decimal | None:
    numbers = _numbers(list)
    if len(numbers) < 2:
        return None
    return DECIMAL.sqrt(statistics.variance(numbers))


@builtin("mode")
def mode(*list: Any) -> list[Any]:
    numbers = _numbers(list)
    if not numbers:
        return []
    return sorted(statistics.multimode(numbers))


@builtin("all")
def all_(*list: Any) -> bool | None:
    items = _items(list)
    if any(item is False for item in items):
        return False
    return True if all(item is True for item in items) else None


@builtin("any")
def any_(*list: Any) -> bool | None:
    items = _items(list)
    if any(item is True for item in items):
        return True
    return False if all(item is False for item in items) else None


@builtin("sublist")
def sublist(list: list[Any], start_position: Decimal, length: Decimal | None = None) -> list[Any]:
    begin = _position(list, start_position)
    return list[begin:] if length is None else list[begin : begin + int(length)]


@builtin("append")
def append(list: list[Any], *items: Any) -> list[Any]:
    return [*list, *items]


@builtin("concatenate")
def concatenate(*lists: Any) -> list[Any]:
    if not all(isinstance(each, list) for each in lists):
        raise FeelError("concatenate takes lists")
    return [item for each in lists for item in each]


@builtin("insert before")
def insert_before(list: list[Any], position: Decimal, new_item: Any) -> list[Any]:
    at = _position(list, position)
    return [*list[:at], new_item, *list[at:]]


@builtin("remove")
def remove(list: list[Any], position: Decimal) -> list[Any]:
    at = _position(list, position)
    return [*list[:at], *list[at + 1 :]]


@builtin("reverse")
def reverse(list: list[Any]) -> list[Any]:
    return list[::-1]


@builtin("index of")
def index_of(list: list[Any], match: Any) -> list[Any]:
    return [Decimal(i + 1) for i, item in enumerate(list) if equal(item, match) is True]


def _distinct(items: Sequence[Any]) -> list[Any]:
    seen: list[Any] = []
    for item in items:
        if not contains(seen, item):
            seen.append(item)
    return seen


@builtin("union")
def union(*lists: Any) -> list[Any]:
    return _distinct(concatenate(*lists))


@builtin("distinct values")
def distinct_values(list: list[Any]) -> list[Any]:
    return _distinct(list)


@builtin("duplicate values")
def duplicate_values(list: list[Any]) -> list[Any]:
    return _distinct([item for i, item in enumerate(list) if contains(list[:i], item)])


def _flat(items: Sequence[Any]) -> list[Any]:
    out: list[Any] = []
    for item in items:
        out.extend(_flat(item) if isinstance(item, list) else [item])
    return out


@builtin("flatten")
def flatten(list: list[Any]) -> list[Any]:
    return _flat(list)


@builtin("sort")
def sort(state: State, list: list[Any], precedes: Function) -> list[Any]:
    def order(a: Any, b: Any) -> int:
        if precedes.invoke([a, b], state) is True:
            return -1
        return 1 if precedes.invoke([b, a], state) is True else 0

    return sorted(list, key=functools.cmp_to_key(order))


@builtin("is empty")
def is_empty(list: list[Any]) -> bool:
    return not list


@builtin("partition")
def partition(list: list[Any], size: Decimal) -> list[Any]:
    step = int(size)
    if step <= 0:
        raise FeelError(f"the size must be positive but was {step}")
    return [list[i : i + step] for i in range(0, len(list), step)]


@builtin("list replace")
def list_replace(list: list[Any], position: Decimal, new_item: Any) -> list[Any]:
    at = _position(list, position)
    return [*list[:at], new_item, *list[at + 1 :]]
