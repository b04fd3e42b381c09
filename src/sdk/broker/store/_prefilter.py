"""The common filters of the process searches, run in SQL before the in-memory search.

A search over instances, element instances, incidents or variables answers Camunda's whole
``{filter, sort, page}`` in memory (``http/_query.py``). The filters most searches use (an
instance key, a state, an element id, a variable's name) are also turned into a ``WHERE`` on
the stored columns, so only the rows they can select are read: a row this leaves out is one
the in-memory filter would leave out too, so the answers are the same. Only plain values,
``$eq`` and ``$in`` are taken, only when every filter field is one the search knows (an unknown
one keeps its error), and only values that compare in SQL as they do in memory (a key that is
no number is left to memory).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from ...models import (
    ElementInstanceResult,
    IncidentResult,
    ProcessInstanceResult,
    VariableResult,
)

Where = dict[str, list[Any]]
"""Column to the values it may hold (``column IN (...)``)."""

_RESULTS: dict[str, type[BaseModel]] = {
    "instance": ProcessInstanceResult,
    "element": ElementInstanceResult,
    "incident": IncidentResult,
    "variable": VariableResult,
}
_INT = "int"
_TEXT = "text"
COLUMNS: dict[str, dict[str, tuple[str, str]]] = {
    "instance": {
        "processInstanceKey": ("key", _INT),
        "processDefinitionKey": ("process_definition_key", _INT),
        "processDefinitionId": ("bpmn_process_id", _TEXT),
        "processDefinitionVersion": ("version", _INT),
        "parentProcessInstanceKey": ("parent_process_instance_key", _INT),
        "state": ("state", _TEXT),
        "tenantId": ("tenant_id", _TEXT),
        "businessId": ("business_id", _TEXT),
    },
    "element": {
        "elementInstanceKey": ("key", _INT),
        "processInstanceKey": ("process_instance_key", _INT),
        "elementId": ("element_id", _TEXT),
        "type": ("type", _TEXT),
        "state": ("state", _TEXT),
    },
    "incident": {
        "incidentKey": ("key", _INT),
        "processInstanceKey": ("process_instance_key", _INT),
        "elementInstanceKey": ("element_instance_key", _INT),
        "elementId": ("element_id", _TEXT),
        "jobKey": ("job_key", _INT),
        "errorType": ("error_type", _TEXT),
        "state": ("state", _TEXT),
    },
    "variable": {
        "variableKey": ("key", _INT),
        "processInstanceKey": ("process_instance_key", _INT),
        "scopeKey": ("scope_key", _INT),
        "name": ("name", _TEXT),
    },
}
"""Per search kind: wire filter field to (column, how its values compare)."""


def _known(kind: str) -> set[str]:
    fields = _RESULTS[kind].model_fields
    return {field.alias or name for name, field in fields.items()}


def _value(value: Any, kind: str) -> Any:
    """The SQL value equal to ``value`` as the in-memory filter compares it; ``None``: none."""
    if isinstance(value, bool) or value is None:
        return None
    if kind == _INT:
        if isinstance(value, int):
            return value
        if isinstance(value, str) and value.isascii() and value.isdigit():
            number = int(value)
            return number if str(number) == value else None  # "012" is no key in memory
        return None
    return value if isinstance(value, str) else str(value) if isinstance(value, int) else None


def _values(condition: Any, kind: str) -> list[Any] | None:
    if isinstance(condition, dict):
        if set(condition) == {"$eq"}:
            condition = condition["$eq"]
        elif set(condition) == {"$in"} and isinstance(condition["$in"], list):
            found = [_value(v, kind) for v in condition["$in"]]
            return None if any(v is None for v in found) else found
        else:
            return None
    if isinstance(condition, list):
        return None
    value = _value(condition, kind)
    return None if value is None else [value]


def where(kind: str, conditions: Mapping[str, Any] | None) -> Where:
    """The columns ``conditions`` (a search's filter as wire JSON) restrict, for ``kind``."""
    if not conditions or kind not in COLUMNS:
        return {}
    names = [n for n in conditions if n != "$or"]
    if not set(names) <= _known(kind):
        return {}  # the in-memory search names the unsupported field
    out: Where = {}
    for name in names:
        column = COLUMNS[kind].get(name)
        if column is None:
            continue
        values = _values(conditions[name], column[1])
        if values is not None:
            out[column[0]] = values
    return out


def clause(restrict: Where) -> tuple[str, tuple[Any, ...]]:
    """``restrict`` as SQL (``?`` marks, one per value): ``""`` when it restricts nothing."""
    parts: list[str] = []
    args: list[Any] = []
    for column, values in restrict.items():
        if not values:
            parts.append("1 = 0")
            continue
        parts.append(f"{column} IN ({', '.join('?' * len(values))})")
        args.extend(values)
    return " AND ".join(parts), tuple(args)
