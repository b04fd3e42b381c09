"""Helpers of the FEEL tests: evaluate an expression and read its result as JSON."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sdk.feel import Result, parse, to_json

NOW = dt.datetime(2024, 3, 15, 10, 30, tzinfo=dt.timezone.utc)
"""The clock of every evaluation in these tests."""


def run(expression: str, variables: dict[str, Any] | None = None) -> Result:
    return parse(expression).evaluate(variables or {}, now=NOW)


def value(expression: str, variables: dict[str, Any] | None = None) -> Any:
    """The result as Zeebe would store it (numbers as int/float, temporals as ISO text)."""
    return to_json(run(expression, variables).value)
