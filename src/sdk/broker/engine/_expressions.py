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


def evaluate(
    value: Value, variables: Mapping[str, Any], now: int, error_type: str = EXTRACT_VALUE_ERROR
) -> Any:
    """The value's result as JSON (a static value is its text); a failed evaluation raises
    ``Failure(error_type)`` naming the expression."""
    if not isinstance(value, Expr):
        return value
    try:
        expression = parse(value.text)
    except FeelSyntaxError as error:
        raise Failure(error_type, f"failed to parse expression '{value.text}': {error}") from None
    result = expression.evaluate(variables, now=clock(now))
    if result.failure is not None:
        raise Failure(error_type, f"failed to evaluate expression '{value.text}': {result.failure}")
    return to_json(result.value)


def expect(
    value: Value,
    expected: str,
    variables: Mapping[str, Any],
    now: int,
    error_type: str = EXTRACT_VALUE_ERROR,
) -> Any:
    """``evaluate``, and a Failure with Zeebe's wording when the result is not of the
    ``expected`` type (``STRING``, ``NUMBER``, ``BOOLEAN``, ``ARRAY``)."""
    result = evaluate(value, variables, now, error_type)
    if expected == "NUMBER" and isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
    if feel_type(result) != expected:
        text = value.text if isinstance(value, Expr) else value
        message = (
            f"Expected result of the expression '{text}' to be '{expected}', "
            f"but was '{feel_type(result)}'."
        )
        warnings = _warnings(value, variables, now)
        if warnings:
            message += " The evaluation reported the following warnings:\n" + "\n".join(warnings)
        raise Failure(error_type, message)
    return result


def _warnings(value: Value, variables: Mapping[str, Any], now: int) -> tuple[str, ...]:
    if not isinstance(value, Expr):
        return ()
    return parse(value.text).evaluate(variables, now=clock(now)).warnings
