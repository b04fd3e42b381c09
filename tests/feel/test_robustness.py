"""Evaluation never raises: generated expressions and variables give a value or null and
warnings; arbitrary text parses or raises FeelSyntaxError, nothing else."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sdk.feel import FeelSyntaxError, Result, parse

ATOMS = [
    "x", "y", "xs", "ctx", "1", "0", "-2.5", '"a"', '""', "true", "false", "null", "[]", "{}",
    '@"2024-01-01"', '@"P1D"', '@"PT1H"', '@"P1Y"', '@"10:00:00"', '@"2024-01-01T10:00:00Z"',
    "[1..3]", "now()", "today()",
]  # fmt: skip
BINARY = ["+", "-", "*", "/", "**", "=", "!=", "<", "<=", ">", ">=", "and", "or"]
FUNCTIONS = [
    "string", "number", "not", "is defined", "count", "sum", "min", "max", "upper case",
    "string length", "list contains", "append", "sublist", "substring", "date", "time",
    "duration", "date and time", "floor", "abs", "is empty", "flatten", "distinct values",
    "matches", "replace", "split", "get value", "context put", "sort", "modulo", "decimal",
]  # fmt: skip


def _expressions() -> st.SearchStrategy[str]:
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, st.sampled_from(BINARY), inner).map(" ".join),
            st.tuples(st.sampled_from(FUNCTIONS), st.lists(inner, max_size=3)).map(
                lambda t: f"{t[0]}({', '.join(t[1])})"
            ),
            st.lists(inner, max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
            st.tuples(inner, inner, inner).map(lambda t: f"if {t[0]} then {t[1]} else {t[2]}"),
            inner.map(lambda e: f"for i in xs return {e}"),
            inner.map(lambda e: f"some i in xs satisfies {e}"),
            st.tuples(inner, inner).map(lambda t: f"({t[0]})[{t[1]}]"),
            inner.map(lambda e: f"({e}).a"),
            inner.map(lambda e: f"{{a: {e}, b: a}}"),
            st.tuples(inner, inner).map(lambda t: f"{t[0]} in ({t[1]}, < 3)"),
            st.tuples(inner, inner, inner).map(lambda t: f"{t[0]} between {t[1]} and {t[2]}"),
            inner.map(lambda e: f"-({e})"),
        )

    return st.recursive(st.sampled_from(ATOMS), extend, max_leaves=12)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=8,
)
VARIABLES = st.fixed_dictionaries(
    {},
    optional={"x": JSON, "y": JSON, "xs": st.lists(JSON, max_size=4), "ctx": JSON},
)


def _check(result: Result) -> None:
    assert isinstance(result, Result)
    assert all(isinstance(w, str) for w in result.warnings)
    assert not any(w.startswith("Internal error") for w in result.warnings), result.warnings


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_expressions(), VARIABLES)
def test_generated_expressions_never_raise(text: str, variables: dict[str, Any]) -> None:
    try:
        expression = parse(text)
    except FeelSyntaxError:
        return  # e.g. a comparison chained into another comparison
    _check(expression.evaluate(variables, now=dt.datetime(2024, 1, 1)))


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list('x1 .,:"()[]{}+-*/<>=!@`?abdefinorstuy\n')), max_size=30)
)
def test_junk_text_parses_or_is_a_syntax_error(text: str) -> None:
    try:
        expression = parse(text)
    except FeelSyntaxError:
        return
    assert isinstance(expression.evaluate({"x": 1}).warnings, tuple)
