"""Each built-in function against the results feel-scala documents (values ours)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from .conftest import run, value

CASES: dict[str, list[tuple[str, Any]]] = {
    "conversion": [
        ("string(1.5)", "1.5"),
        ("string(true)", "true"),
        ("string(null)", None),
        ('string(date("2024-01-02"))', "2024-01-02"),
        ("string([1, 2])", "[1, 2]"),
        ("string({a: 1, b: 2})", "{a:1, b:2}"),
        ('string(@"P1DT2H")', "P1DT2H"),
        ('string(@"PT0S")', "P0D"),
        ('string(@"-P3Y1M")', "-P3Y1M"),
        ('number("1500.5")', 1500.5),
        ('number("1,500", ",")', 1500),
        ('number("1 500,5", " ", ",")', 1500.5),
        ('number("x")', None),
        ('date("2024-02-29")', "2024-02-29"),
        ('date("2023-02-29")', None),
        ("date(2024, 1, 31)", "2024-01-31"),
        ('date(date and time("2024-01-02T10:00:00"))', "2024-01-02"),
        ('time("10:30:00")', "10:30:00"),
        ('time("10:30:00+01:00")', "10:30:00+01:00"),
        ("time(23, 59, 0)", "23:59:00"),
        ('date and time("2024-01-02T10:00:00")', "2024-01-02T10:00:00"),
        ('date and time("2024-01-02T10:00:00Z")', "2024-01-02T10:00:00Z"),
        ('date and time("2024-01-02T10:00:00@Europe/Paris")', "2024-01-02T10:00:00@Europe/Paris"),
        ('date and time(date("2024-01-02"), time("10:00:00"))', "2024-01-02T10:00:00"),
        (
            'date and time(@"2024-07-31T14:00:00Z", "Europe/Berlin")',
            "2024-07-31T16:00:00@Europe/Berlin",
        ),
        ('duration("P2DT20H14M")', "P2DT20H14M"),
        ('duration("P2Y4M")', "P2Y4M"),
        ('duration("xyz")', None),
        ('years and months duration(date("2020-01-15"), date("2021-03-14"))', "P1Y1M"),
        ('context([{key: "a", value: 1}])', {"a": 1}),
    ],
    "boolean": [
        ("is defined(1)", True),
        ("is defined(null)", False),
        ("is defined(nothing)", False),
        ("get or else(null, 5)", 5),
        ('get or else("v", 5)', "v"),
        ("assert(3, true)", 3),
    ],
    "string": [
        ('substring("foobar", 3)', "obar"),
        ('substring("foobar", 3, 3)', "oba"),
        ('substring("foobar", -2, 1)', "a"),
        ('string length("foo")', 3),
        ('string length("")', 0),
        ('upper case("aBc")', "ABC"),
        ('lower case("aBc")', "abc"),
        ('substring before("foobar", "bar")', "foo"),
        ('substring before("foobar", "x")', ""),
        ('substring after("foobar", "ob")', "ar"),
        ('replace("abcd", "(ab)|(a)", "[1=$1][2=$2]")', "[1=ab][2=]cd"),
        ('replace("Abc", "a", "x", "i")', "xbc"),
        ('contains("foobar", "of")', False),
        ('contains("foobar", "ob")', True),
        ('starts with("foobar", "fo")', True),
        ('ends with("foobar", "r")', True),
        ('matches("foobar", "^fo*b")', True),
        ('matches("FOO", "foo", "i")', True),
        ('matches("foo", "x")', False),
        ('split("John Doe", "\\\\s")', ["John", "Doe"]),
        ('split("a;b;c", ";")', ["a", "b", "c"]),
        ('extract("a1b22c", "[0-9]+")', ["1", "22"]),
        ('string join(["a", "b", "c"], ", ")', "a, b, c"),
        ('string join(["a", "b"])', "ab"),
        ('string join(["a", null, "c"], "-", "[", "]")', "[a-c]"),
        ('trim("  x  ")', "x"),
        ('to base64("FEEL")', "RkVFTA=="),
        ('from base64("RkVFTA==")', "FEEL"),
        ('is blank("  ")', True),
        ('is blank("a")', False),
        ("string length(uuid())", 36),
        ("string length(5)", None),
        ("upper case(null)", None),
    ],
    "list": [
        ("list contains([1, 2, 3], 2)", True),
        ('list contains(["a"], "b")', False),
        ("list contains([1, null], null)", True),
        ("count([1, 2, 3])", 3),
        ("count([])", 0),
        ("min([3, 1, 2])", 1),
        ("min(3, 1, 2)", 1),
        ('max(["a", "c", "b"])', "c"),
        ("max([])", None),
        ("sum([1, 2, 3.5])", 6.5),
        ("sum(1, 2)", 3),
        ("sum([])", None),
        ("product([2, 3, 4])", 24),
        ("mean([1, 2, 3, 4])", 2.5),
        ("median([8, 2, 5, 3, 4])", 4),
        ("median([6, 1, 2, 3])", 2.5),
        ("stddev([2, 4, 7, 5])", 2.081665999466132735282297706979931),
        ("mode([6, 3, 9, 6, 6])", [6]),
        ("mode([6, 1, 9, 6, 1])", [1, 6]),
        ("all([true, true])", True),
        ("all([true, false, null])", False),
        ("all([true, null])", None),
        ("all([])", True),
        ("any([false, true])", True),
        ("any([false, null])", None),
        ("any([])", False),
        ("sublist([1, 2, 3], 2)", [2, 3]),
        ("sublist([1, 2, 3], 1, 2)", [1, 2]),
        ("append([1], 2, 3)", [1, 2, 3]),
        ("append([], [1])", [[1]]),
        ("concatenate([1, 2], [3], [])", [1, 2, 3]),
        ("insert before([1, 3], 2, 2)", [1, 2, 3]),
        ("remove([1, 2, 3], 2)", [1, 3]),
        ("reverse([1, 2, 3])", [3, 2, 1]),
        ("index of([1, 2, 3, 2], 2)", [2, 4]),
        ("union([1, 2], [2, 3])", [1, 2, 3]),
        ("distinct values([1, 2, 3, 2, 1])", [1, 2, 3]),
        ("duplicate values([1, 2, 3, 2, 1])", [2, 1]),
        ("flatten([[1, 2], [[3]], 4])", [1, 2, 3, 4]),
        ("sort([3, 1, 4, 2], function(x, y) x < y)", [1, 2, 3, 4]),
        ('sort(["b", "a"], function(x, y) x > y)', ["b", "a"]),
        ("is empty([])", True),
        ("is empty([1])", False),
        ("partition([1, 2, 3, 4, 5], 2)", [[1, 2], [3, 4], [5]]),
        ("list replace([1, 2, 3], 2, 9)", [1, 9, 3]),
        ("count(5)", None),
        ('sum([1, "a"])', None),
    ],
    "numeric": [
        ("decimal(1 / 3, 2)", 0.33),
        ("decimal(2.5, 0)", 2),
        ("decimal(3.5, 0)", 4),
        ("floor(1.5)", 1),
        ("floor(-1.5)", -2),
        ("floor(-1.56, 1)", -1.6),
        ("ceiling(1.5)", 2),
        ("ceiling(-1.56, 1)", -1.5),
        ("round up(5.5, 0)", 6),
        ("round up(-5.5, 0)", -6),
        ("round down(5.5, 0)", 5),
        ("round half up(5.5, 0)", 6),
        ("round half up(1.121, 2)", 1.12),
        ("round half down(5.5, 0)", 5),
        ("abs(-10)", 10),
        ('abs(@"-PT5H")', "PT5H"),
        ("modulo(12, 5)", 2),
        ("modulo(-12, 5)", 3),
        ("modulo(12, -5)", -3),
        ("modulo(10.1, 4.5)", 1.1),
        ("modulo(1, 0)", None),
        ("sqrt(16)", 4),
        ("sqrt(-1)", None),
        ("decimal(log(10), 4)", 2.3026),
        ("decimal(exp(5), 4)", 148.4132),
        ("odd(5)", True),
        ("odd(2)", False),
        ("even(2)", True),
        ("even(2.5)", None),
    ],
    "context": [
        ('get value({a: 1}, "a")', 1),
        ('get value({a: 1}, "b")', None),
        ('get value({a: {b: 2}}, ["a", "b"])', 2),
        ("get entries({a: 1})", [{"key": "a", "value": 1}]),
        ('context put({a: 1}, "b", 2)', {"a": 1, "b": 2}),
        ('context put({a: {b: 1}}, ["a", "c"], 2)', {"a": {"b": 1, "c": 2}}),
        ("context merge([{a: 1}, {b: 2}, {a: 3}])", {"a": 3, "b": 2}),
    ],
    "temporal": [
        ("now()", "2024-03-15T10:30:00Z"),
        ("today()", "2024-03-15"),
        ('day of week(date("2024-03-15"))', "Friday"),
        ('day of year(date("2024-03-15"))', 75),
        ('week of year(date("2024-01-01"))', 1),
        ('month of year(date("2024-03-15"))', "March"),
        ('last day of month(date("2024-02-10"))', 29),
        ('last day of month(date and time("2023-02-10T10:00:00"))', 28),
        ('now() > @"2024-01-01T00:00:00Z"', True),
    ],
}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [pytest.param(e, r, id=f"{family}: {e}") for family, rows in CASES.items() for e, r in rows],
)
def test_builtin(expression: str, expected: Any) -> None:
    assert value(expression) == expected


class TestNamedArguments:
    def test_named_arguments_in_any_order(self) -> None:
        assert value('substring(start position: 2, string: "abc")') == "bc"

    def test_named_arguments_with_optional_ones(self) -> None:
        assert value('substring(string: "abcd", start position: 2, length: 1)') == "b"

    def test_unknown_named_argument_is_null_with_a_warning(self) -> None:
        result = run('string length(text: "abc")')
        assert result.value is None
        assert result.warnings == ("No function found with name 'string length' and 1 parameters",)


class TestAssert:
    def test_a_failed_assert_fails_the_evaluation(self) -> None:
        result = run("assert(x, x > 10)", {"x": 3})
        assert result.value is None
        assert result.failure is not None and "not fulfilled" in result.failure

    def test_a_failed_assert_with_a_cause_reports_it(self) -> None:
        assert run('assert(x, x != null, "x is required")').failure == "x is required"


def test_uuid_is_random_version_4() -> None:
    first, second = value("uuid()"), value("uuid()")
    assert first != second
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", first
    )


def test_random_number_is_between_zero_and_one() -> None:
    assert 0 <= value("random number()") < 1
