"""Camunda's ``{filter, sort, page}`` searches, answered in memory over wire items.

A filter property is a plain value (equality) or an object of operators (``$eq``, ``$neq``,
``$exists``, ``$in``, ``$notIn``, ``$like``, ``$gt``, ``$gte``, ``$lt``, ``$lte``); ``$or``
takes a list of such filters of which one must match too. Items are compared on their wire
form (camelCase names, keys as strings). Pages: ``from`` (offset) or the cursors this broker
gives (``after`` / ``before``), ``limit`` 100 by default.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel

from ...models import SearchQueryPageResponse, SortOrder
from .._problems import InvalidRequest

DEFAULT_LIMIT = 100

T = TypeVar("T")


def _like(pattern: str) -> re.Pattern[str]:
    out = []
    escaped = False
    for char in pattern:
        if escaped:
            out.append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        else:
            out.append(re.escape(char))
    return re.compile("".join(out), re.S)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, str) != isinstance(b, str) and a is not None and b is not None:
        return str(a) == str(b)
    return bool(a == b)


def _ordered(value: Any) -> Any:
    """Keys (digit strings) compare as numbers; the rest as they are."""
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value


def matches(value: Any, condition: Any) -> bool:  # noqa: C901 (one branch per operator)
    """A filter property: a plain value (equal), or an operator object as wire JSON."""
    if not isinstance(condition, dict):
        return _same(value, condition)
    for operator, operand in condition.items():
        if operator == "$eq" and not _same(value, operand):
            return False
        if operator == "$neq" and _same(value, operand):
            return False
        if operator == "$exists" and (value is not None) != bool(operand):
            return False
        if operator == "$in" and not any(_same(value, o) for o in operand):
            return False
        if operator == "$notIn" and any(_same(value, o) for o in operand):
            return False
        if operator == "$like" and (value is None or not _like(operand).fullmatch(str(value))):
            return False
        if operator in ("$gt", "$gte", "$lt", "$lte"):
            if value is None:
                return False
            left, right = _ordered(value), _ordered(operand)
            if type(left) is not type(right):
                left, right = str(left), str(right)
            if operator == "$gt" and not left > right:
                return False
            if operator == "$gte" and not left >= right:
                return False
            if operator == "$lt" and not left < right:
                return False
            if operator == "$lte" and not left <= right:
                return False
    return True


def _selected(item: dict[str, Any], conditions: dict[str, Any], special: frozenset[str]) -> bool:
    for name, condition in conditions.items():
        if name == "$or":
            if condition and not any(_selected(item, c, special) for c in condition):
                return False
            continue
        if name in special:
            continue  # answered by the caller
        if name not in item:
            raise InvalidRequest(f"filter field '{name}' is not supported by this broker")
        if isinstance(condition, list):  # e.g. tags: every one present
            if not all(c in (item[name] or []) for c in condition):
                return False
            continue
        if not matches(item[name], condition):
            return False
    return True


def _cursor(offset: int) -> str:
    return base64.b64encode(str(offset).encode()).decode()


def _offset(cursor: str) -> int:
    try:
        text = base64.b64decode(cursor, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        text = ""
    if not text.isascii() or not text.isdigit():
        raise InvalidRequest(f"page cursor {cursor!r} is not one this broker gave")
    return int(text)


def search(
    items: Sequence[BaseModel],
    query: Any,
    *,
    default_sort: str,
    special: frozenset[str] = frozenset(),
) -> tuple[list[dict[str, Any]], SearchQueryPageResponse]:
    """The page of ``items`` that ``query`` (a ``SearchQueryRequest``) asks for, as wire
    dicts, and its page description. Filter fields in ``special`` are left to the caller."""
    conditions: dict[str, Any] = {}
    if query.filter is not None:
        conditions = query.filter.model_dump(by_alias=True, exclude_none=True, mode="json")
    wire = [item.model_dump(by_alias=True, mode="json") for item in items]
    found = [w for w in wire if _selected(w, conditions, special)]
    found.sort(key=lambda w: _sort_key(w.get(default_sort)))
    for sort in reversed(query.sort or []):  # stable sorts: the first criterion wins
        found.sort(key=lambda w: _sort_key(w.get(sort.field)), reverse=sort.order is SortOrder.DESC)
    return paginate(found, query.page)


def paginate(found: list[T], page: Any) -> tuple[list[T], SearchQueryPageResponse]:
    """The part of the sorted ``found`` that ``page`` (a ``SearchQueryPageRequest`` or
    ``None``) asks for: by offset (``from``) or by the cursors of an earlier answer."""
    limit = page.limit if page is not None and page.limit is not None else DEFAULT_LIMIT
    start = 0
    if page is not None:
        if page.from_ is not None:
            start = page.from_
        elif page.after is not None:
            start = _offset(page.after) + 1
        elif page.before is not None:
            start = max(_offset(page.before) - limit, 0)
    chosen = found[start : start + limit]
    return chosen, SearchQueryPageResponse(
        total_items=len(found),
        start_cursor=_cursor(start) if chosen else None,
        end_cursor=_cursor(start + len(chosen) - 1) if chosen else None,
    )


def _sort_key(value: Any) -> tuple[int, Any]:
    """Nulls last; keys as numbers; everything else by its text."""
    if value is None:
        return (2, "")
    value = _ordered(value)
    if isinstance(value, bool | int | float):
        return (0, value)
    return (1, str(value))
