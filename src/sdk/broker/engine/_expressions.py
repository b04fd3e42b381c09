"""Evaluating a model's values (static text or FEEL) into what Zeebe stores, or a Failure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ...bpmn import Expr, Value
from ...feel import FeelSyntaxError, parse, to_json
from ._incidents import EXTRACT_VALUE_ERROR, Failure


def feel_type(value: Any) -> str:
    """Zeebe's name for a JSON value's type, as its incident messages say it."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int | float):
        return "NUMBER"
    if isinstance(value, str):
        return "STRING"
    if isinstance(value, list):
        return "ARRAY"
    return "OBJECT"


def clock(now: int) -> dt.datetime:
    """The broker's clock reading (epoch ms) as FEEL's ``now()``."""
    return dt.datetime.fromtimestamp(now / 1000, tz=dt.timezone.utc)


def result_type(value: Any) -> str:
    """Zeebe's result type of a FEEL value (before it is stored as JSON): the JSON types, and
    ``DURATION``, ``PERIOD``, ``DATE_TIME`` and ``DATE`` for temporal values."""
    if isinstance(value, dt.timedelta):
        return "DURATION"
    if type(value).__name__ == "YearsMonths":  # FEEL's years-and-months duration
        return "PERIOD"
    if isinstance(value, dt.datetime):
        return "DATE_TIME"
    if isinstance(value, dt.date):
        return "DATE"
    if isinstance(value, dt.time):
        return "UNKNOWN"
    return feel_type(to_json(value))


_WARNING_TYPES = (
    ("No variable found", "NO_VARIABLE_FOUND"),
    ("No context entry found", "NO_CONTEXT_ENTRY_FOUND"),
    ("No function found", "NO_FUNCTION_FOUND"),
    ("Failed to invoke function", "FUNCTION_INVOCATION_FAILURE"),
)


def warning_lines(warnings: tuple[str, ...] | list[str]) -> str:
    """What Zeebe appends to a failure's message when the evaluation reported warnings: each
    as ``[TYPE] message``, the type as feel-scala names its suppressed failures."""
    if not warnings:
        return ""
    lines = []
    for warning in warnings:
        kind = next((t for prefix, t in _WARNING_TYPES if warning.startswith(prefix)), None)
        if kind is None:
            kind = "INVALID_TYPE" if warning.startswith(("Expected", "Can't")) else "UNKNOWN"
        lines.append(f"[{kind}] {warning}")
    return " The evaluation reported the following warnings:\n" + "\n".join(lines)


def assertion_message(text: str, cause: str, warnings: tuple[str, ...] | list[str]) -> str:
    """Zeebe's message for an evaluation that failed (feel-scala fails only on ``assert``)."""
    return f"Assertion failure on evaluate the expression '{text}': {cause}" + warning_lines(
        warnings
    )


def evaluate_raw(
    value: Value, variables: Mapping[str, Any], now: int, error_type: str = EXTRACT_VALUE_ERROR
) -> tuple[Any, tuple[str, ...]]:
    """The value's FEEL result and the evaluation's warnings (a static value is its text); a
    failed evaluation raises ``Failure(error_type)`` with Zeebe's message."""
    if not isinstance(value, Expr):
        return value, ()
    try:
        expression = parse(value.text)
    except FeelSyntaxError as error:
        raise Failure(error_type, f"failed to parse expression '{value.text}': {error}") from None
    result = expression.evaluate(variables, now=clock(now))
    if result.failure is not None:
        raise Failure(error_type, assertion_message(value.text, result.failure, result.warnings))
    return result.value, result.warnings


def evaluate(
    value: Value, variables: Mapping[str, Any], now: int, error_type: str = EXTRACT_VALUE_ERROR
) -> Any:
    """The value's result as JSON (a static value is its text); a failed evaluation raises
    ``Failure(error_type)`` with Zeebe's message."""
    return to_json(evaluate_raw(value, variables, now, error_type)[0])


def expect(
    value: Value,
    expected: str,
    variables: Mapping[str, Any],
    now: int,
    error_type: str = EXTRACT_VALUE_ERROR,
) -> Any:
    """``evaluate``, and a Failure with Zeebe's wording when the result is not of the
    ``expected`` type (``STRING``, ``NUMBER``, ``BOOLEAN``, ``ARRAY``)."""
    if expected == "NUMBER" and isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
    raw, warnings = evaluate_raw(value, variables, now, error_type)
    found = result_type(raw) if isinstance(value, Expr) else feel_type(raw)
    if found != expected:
        text = value.text if isinstance(value, Expr) else value
        raise Failure(
            error_type,
            f"Expected result of the expression '{text}' to be '{expected}', but was '{found}'."
            + warning_lines(warnings),
        )
    return to_json(raw)


def expect_one_of(
    value: Value, expected: tuple[str, ...], variables: Mapping[str, Any], now: int
) -> tuple[Any, str, tuple[str, ...]]:
    """The raw result, its type and the warnings, when the type is one of ``expected``; else
    Zeebe's EXTRACT_VALUE_ERROR listing them."""
    raw, warnings = evaluate_raw(value, variables, now)
    found = result_type(raw) if isinstance(value, Expr) else feel_type(raw)
    if found not in expected:
        text = value.text if isinstance(value, Expr) else value
        raise Failure(
            EXTRACT_VALUE_ERROR,
            f"Expected result of the expression '{text}' to be one of "
            f"'[{', '.join(expected)}]', but was '{found}'." + warning_lines(warnings),
        )
    return raw, found, warnings
