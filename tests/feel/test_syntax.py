"""Syntax errors name the line, the column and what was expected; valid texts parse once."""

from __future__ import annotations

import pytest

from sdk.errors import SdkError
from sdk.feel import FeelSyntaxError, parse


@pytest.mark.parametrize(
    ("text", "line", "column", "reason"),
    [
        ("x > > 1", 1, 5, "unexpected '>'"),
        ("1 +", 1, 4, "unexpected end of expression"),
        ("if x then 1", 1, 12, "unexpected end of expression"),
        ("[1, 2", 1, 6, "unexpected end of expression"),
        ("{a: 1,\n b: }", 2, 5, "unexpected '}'"),
        ('"open', 1, 1, "unexpected character '\"'"),
        ("x ! y", 1, 3, "unexpected character '!'"),
        ("for x [1] return x", 1, 7, "unexpected '['"),
    ],
)
def test_syntax_error_says_where_and_what(text: str, line: int, column: int, reason: str) -> None:
    with pytest.raises(FeelSyntaxError) as caught:
        parse(text)
    error = caught.value
    assert (error.line, error.column) == (line, column)
    assert error.reason.startswith(reason)
    assert error.expression == text
    assert f"line {line}, column {column}" in str(error) and repr(text) in str(error)


def test_syntax_error_is_an_sdk_error_and_a_value_error() -> None:
    with pytest.raises(SdkError):
        parse("(")
    with pytest.raises(ValueError):
        parse(")")


def test_expected_tokens_are_named() -> None:
    with pytest.raises(FeelSyntaxError, match="expected 'then'"):
        parse("if x else 1")


def test_empty_text_is_a_syntax_error() -> None:
    with pytest.raises(FeelSyntaxError, match="end of expression"):
        parse("   ")


@pytest.mark.parametrize("depth", [10, 5000])
def test_deep_nesting_parses_or_is_a_syntax_error_never_a_crash(depth: int) -> None:
    try:
        expression = parse("[" * depth + "1" + "]" * depth)
    except FeelSyntaxError as error:
        assert "nested too deeply" in error.reason
    else:
        assert expression.evaluate({}).value is not None or expression.evaluate({}).warnings


def test_parse_is_cached() -> None:
    assert parse("a + b") is parse("a + b")


@pytest.mark.parametrize(
    "text",
    [
        "date and time(x)",
        "years and months duration(a, b)",
        "get or else(x, 1)",
        "x and is defined(y)",
        "not(is empty(xs)) or list contains(xs, 1)",
        "a.b(1)",
        "`a b`.c",
        "{a: 1}.a",
        "f(x)(y)",
        "x.time offset",
        "x.index",
        "[1..2]",
        "]1..2[".replace("[", ")"),
        "function() 1",
        "x instance of days and time duration",
    ],
)
def test_names_with_spaces_and_keywords_inside_parse(text: str) -> None:
    parse(text)
