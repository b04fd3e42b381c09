"""Handler parameters filled from job variables, validated by pydantic against their annotations.

The rule, decided once at registration:

- a parameter annotated ``JobContext`` gets the job; ``**variables`` gets every variable as is;
- any other parameter gets the variable of its name, validated against its annotation by a
  ``TypeAdapter`` built here (lax mode: ``"10"`` becomes ``10.0`` for ``float``); without an
  annotation, or annotated ``Any``, the value is passed through;
- the *whole-model* case: when the handler's only variable parameter is annotated with a
  pydantic model, a dataclass or a TypedDict (no default, no ``**variables``), and the job has
  no variable of that name, the model is built from all of the job's variables.

Input that does not validate is the job's fault, not the worker's: ``InputError`` says which
field failed, where and why (pydantic's error type and message), never with the value.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, PydanticSchemaGenerationError, TypeAdapter, ValidationError

from ..errors import ConfigurationError

MAX_LISTED_ERRORS = 20


@dataclass(frozen=True)
class VariableParam:
    """A parameter filled from the variable of its name."""

    name: str
    required: bool
    adapter: TypeAdapter[Any] | None
    """Validates the value; ``None``: passed through (no annotation, or ``Any``)."""
    is_model: bool = False
    """Annotated with a pydantic model, a dataclass or a TypedDict."""


class InputError(Exception):
    """The job's variables do not fit the handler's parameters; retrying cannot fix that."""


def variable_param(where: str, name: str, annotation: Any, required: bool) -> VariableParam:
    """Build the parameter's adapter once; an annotation pydantic cannot use is refused.

    ``annotation`` is ``Any`` for an unannotated parameter: its value is passed through.
    """
    if annotation is Any:
        return VariableParam(name, required, None)
    if isinstance(annotation, str):
        raise ConfigurationError(
            f"{where}: the annotation {annotation!r} of parameter {name!r} cannot be resolved;"
            " define the type at module level (handlers are inspected when registered)"
        )
    try:
        adapter: TypeAdapter[Any] = TypeAdapter(annotation)
    except PydanticSchemaGenerationError as exc:
        raise ConfigurationError(
            f"{where}: parameter {name!r}: pydantic cannot validate {annotation!r} ({exc});"
            " annotate it with a type pydantic supports, or with Any to pass the value through"
        ) from None
    return VariableParam(name, required, adapter, is_model=_is_model(annotation))


def _is_model(annotation: Any) -> bool:
    target = annotation
    if typing.get_origin(annotation) is typing.Annotated:
        target = typing.get_args(annotation)[0]
    return isinstance(target, type) and (
        issubclass(target, BaseModel) or dataclasses.is_dataclass(target) or _is_typeddict(target)
    )


def _is_typeddict(target: type) -> bool:
    """``typing`` and ``typing_extensions`` TypedDicts alike (``typing.is_typeddict`` knows
    only the first before Python 3.13)."""
    return issubclass(target, dict) and hasattr(target, "__required_keys__")


def whole_model(where: str, params: tuple[VariableParam, ...], takes_all: bool) -> str | None:
    """The parameter built from all variables when its own is absent, or ``None``.

    Raises ``ConfigurationError`` for the signatures the rule would leave ambiguous.
    """
    models = [p for p in params if p.is_model]
    if len(params) != 1 or not models:
        return None
    (param,) = models
    if takes_all:
        raise ConfigurationError(
            f"{where}: parameter {param.name!r} is a model and the handler also takes"
            " **variables, so it is unclear whether the model is the variable"
            f" {param.name!r} or all variables; drop one of them"
        )
    if not param.required:
        raise ConfigurationError(
            f"{where}: parameter {param.name!r} is a model with a default: when the job has"
            f" no variable {param.name!r} it would be unclear whether to use the default or"
            " build the model from all variables; drop the default (whole model), or add a"
            " JobContext parameter to read the variable by its name only"
        )
    return param.name


def bind(
    params: tuple[VariableParam, ...], whole: str | None, variables: Mapping[str, Any]
) -> dict[str, Any]:
    """The handler's keyword arguments from ``variables``; ``InputError`` lists every problem."""
    kwargs: dict[str, Any] = {}
    problems: list[str] = []
    for param in params:
        if param.name in variables:
            value, source = variables[param.name], param.name
        elif param.name == whole:
            value, source = variables, ""
        elif param.required:
            problems.append(
                f"variable {param.name!r} is missing; give the parameter a default or create"
                " the job with it"
            )
            continue
        else:
            continue
        if param.adapter is None:
            kwargs[param.name] = value
            continue
        try:
            kwargs[param.name] = param.adapter.validate_python(value)
        except ValidationError as exc:
            problems.extend(_describe(exc, source, param.name))
    if problems:
        raise InputError(_message(problems))
    return kwargs


def _describe(exc: ValidationError, source: str, param: str) -> list[str]:
    """One line per error: field, location, pydantic's type and message; never the input."""
    lines = []
    for error in exc.errors(include_url=False, include_input=False, include_context=False):
        loc = tuple(error["loc"])
        path = (source, *loc) if source else loc
        field = str(path[0]) if path else param
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
        lines.append(
            f"variable {field!r} at {where or field}: {error['type']}: {error['msg']}"
            f" (parameter {param!r})"
        )
    return lines


def _message(problems: list[str]) -> str:
    shown = problems[:MAX_LISTED_ERRORS]
    more = len(problems) - len(shown)
    tail = f"\n- ... and {more} more" if more else ""
    return (
        "the job's variables do not fit the handler (an incident: retrying cannot fix its"
        " input):\n- " + "\n- ".join(shown) + tail
    )
