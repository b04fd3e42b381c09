"""Variable scopes as Zeebe keeps them: one document per element instance, read through the
chain of flow scopes (the nearest wins), written locally or propagated to the nearest scope
that already has the variable, else to the process instance."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ...bpmn import VariableMapping
from ._effects import Effect, VariableSet
from ._expressions import evaluate
from ._incidents import IO_MAPPING_ERROR
from ._state import InstanceState


def chain(state: InstanceState, scope_key: int) -> list[int]:
    """The scope keys from ``scope_key`` up to the process instance."""
    keys: list[int] = []
    current: int | None = scope_key
    while current is not None:
        keys.append(current)
        element = state.elements.get(current)
        current = element.flow_scope_key if element is not None else None
    return keys


def visible(state: InstanceState, scope_key: int) -> dict[str, Any]:
    """Every variable a scope sees (a nearer scope's variable hides a farther one's)."""
    seen: dict[str, Any] = {}
    for key in reversed(chain(state, scope_key)):
        seen.update(state.variables.get(key, {}))
    return seen


def set_local(
    state: InstanceState, emit: Callable[[Effect], None], scope_key: int, name: str, value: Any
) -> None:
    """Set a variable in exactly this scope (reported only when it changes)."""
    document = state.variables.setdefault(scope_key, {})
    created = name not in document
    if created or document[name] != value:
        document[name] = value
        emit(VariableSet(scope_key, name, value, created))


def propagate(
    state: InstanceState,
    emit: Callable[[Effect], None],
    scope_key: int,
    document: Mapping[str, Any],
) -> None:
    """Set each variable in the nearest scope from ``scope_key`` up that has it, else in the
    process instance (Zeebe's merge of job, message and output variables)."""
    scopes = chain(state, scope_key)
    for name, value in document.items():
        target = next((k for k in scopes if name in state.variables.get(k, {})), scopes[-1])
        set_local(state, emit, target, name, value)


def put_path(base: Mapping[str, Any], target: str, value: Any, current: Any) -> tuple[str, Any]:
    """The variable and value a mapping to ``target`` (``a.b.c``) writes: the existing value
    of ``a`` (``current``) with the nested entry replaced."""
    head, *rest = target.split(".")
    if not rest:
        return head, value
    root = dict(current) if isinstance(current, Mapping) else {}
    node = root
    for part in rest[:-1]:
        child = node.get(part)
        node[part] = dict(child) if isinstance(child, Mapping) else {}
        node = node[part]
    node[rest[-1]] = value
    return head, root


def apply_mappings(
    mappings: tuple[VariableMapping, ...], variables: Mapping[str, Any], now: int
) -> dict[str, Any]:
    """The variables a list of mappings produces, in order (a later mapping sees an earlier
    one's result, as in the FEEL context Zeebe builds from them)."""
    produced: dict[str, Any] = {}
    for mapping in mappings:
        context = {**variables, **produced}
        value = evaluate(mapping.source, context, now, IO_MAPPING_ERROR)
        head = mapping.target.split(".")[0]
        name, merged = put_path(context, mapping.target, value, context.get(head))
        produced[name] = merged
    return produced
