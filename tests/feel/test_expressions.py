"""Each kind of FEEL expression against the results feel-scala documents (values ours)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from .conftest import run, value

ORDERS = {
    "orders": [
        {"id": "a", "amount": 5, "tags": ["x"]},
        {"id": "b", "amount": 20, "tags": []},
        {"id": "c", "amount": 35, "tags": ["y"]},
    ]
}

CASES: dict[str, list[tuple[str, dict[str, Any], Any]]] = {
    "literals": [
        ("1", {}, 1),
        ("-3.5", {}, -3.5),
        (".25", {}, 0.25),
        ('"text"', {}, "text"),
        ('"say \\"hi\\"\\n"', {}, 'say "hi"\n'),
        ('"\\u00e9t\\u00e9"', {}, "été"),
        ("true", {}, True),
        ("false", {}, False),
        ("null", {}, None),
        ("[1, 2, 3]", {}, [1, 2, 3]),
        ("[]", {}, []),
        ('[1, "a", true, null]', {}, [1, "a", True, None]),
        ("1 // a line comment", {}, 1),
        ("/* a block\n comment */ 2", {}, 2),
    ],
    "variables": [
        ("x", {"x": 7}, 7),
        ("x", {"x": "seven"}, "seven"),
        ("`first name`", {"first name": "Ada"}, "Ada"),
        ("missing", {}, None),
        ("x", {"x": None}, None),
        ("x", {"x": {"a": [1, {"b": 2}]}}, {"a": [1, {"b": 2}]}),
        ("order_id", {"order_id": 9}, 9),
        ("$x", {"$x": 1}, 1),
        ("android", {"android": 1}, 1),
        ("inner", {"inner": 2}, 2),
    ],
    "arithmetic": [
        ("1 + 2", {}, 3),
        ("0.1 + 0.2", {}, 0.3),
        ("10 - 2.5", {}, 7.5),
        ("3 * 4", {}, 12),
        ("10 / 4", {}, 2.5),
        ("1 / 3 * 3", {}, 1),
        ("2 ** 10", {}, 1024),
        ("2 ** -1", {}, 0.5),
        ("-2 ** 2", {}, 4),
        ("1 + 2 * 3", {}, 7),
        ("(1 + 2) * 3", {}, 9),
        ("10 - 3 - 2", {}, 5),
        ("-x", {"x": 4}, -4),
        ("1 / 0", {}, None),
        ("1 + null", {}, None),
        ('1 + "a"', {}, None),
        ("x * 2", {"x": 1.5}, 3),
        ("12345678901234567890 + 1", {}, 12345678901234567891),
    ],
    "strings": [
        ('"foo" + "bar"', {}, "foobar"),
        ('"n: " + string(5)', {}, "n: 5"),
        ('"a" + null', {}, None),
        ('first + " " + last', {"first": "Ada", "last": "Lovelace"}, "Ada Lovelace"),
    ],
    "comparison": [
        ("x > 5", {"x": 7}, True),
        ("x > 5", {"x": 5}, False),
        ("x >= 5", {"x": 5}, True),
        ("x < 5", {"x": 4.99}, True),
        ("x <= 5", {"x": 6}, False),
        ("1 = 1.0", {}, True),
        ('"a" = "a"', {}, True),
        ('"a" < "b"', {}, True),
        ('"a" != "b"', {}, True),
        ("null = null", {}, True),
        ("x = null", {"x": 1}, False),
        ("x = null", {}, True),
        ("x != null", {"x": 1}, True),
        ('1 = "1"', {}, None),
        ("true < 2", {}, None),
        ("x > 5", {}, None),
        ("[1, 2] = [1, 2]", {}, True),
        ("[1, 2] = [2, 1]", {}, False),
        ("{a: 1, b: [2]} = {b: [2], a: 1}", {}, True),
        ("{a: 1} = {a: 2}", {}, False),
        ("true = true", {}, True),
        ("x = 5", {"x": 5}, True),
    ],
    "logic": [
        ("true and true", {}, True),
        ("true and false", {}, False),
        ("false and null", {}, False),
        ("null and false", {}, False),
        ("true and null", {}, None),
        ("null and null", {}, None),
        ("false or true", {}, True),
        ("null or true", {}, True),
        ("true or null", {}, True),
        ("false or null", {}, None),
        ("false or false", {}, False),
        ("true and 2", {}, None),
        ("false and 2", {}, False),
        ("x > 1 and x < 10 or x = 100", {"x": 100}, True),
        ("not(true)", {}, False),
        ("not(null)", {}, None),
        ("not(1)", {}, None),
        ("not(x > 3)", {"x": 1}, True),
    ],
    "if": [
        ('if x > 5 then "big" else "small"', {"x": 7}, "big"),
        ('if x > 5 then "big" else "small"', {"x": 3}, "small"),
        ('if x > 5 then "big" else "small"', {}, "small"),
        ("if null then 1 else 2", {}, 2),
        ("if 5 then 1 else 2", {}, 2),
        ("if true then if false then 1 else 2 else 3", {}, 2),
        ("if is defined(x) then x else 0", {}, 0),
        ('if a = "b" then {r: 1} else {r: 2}', {"a": "b"}, {"r": 1}),
    ],
    "for": [
        ("for x in [1, 2, 3] return x * 2", {}, [2, 4, 6]),
        ("for i in 1..3 return i", {}, [1, 2, 3]),
        ("for i in 3..1 return i", {}, [3, 2, 1]),
        ("for i in 0..n - 1 return i", {"n": 3}, [0, 1, 2]),
        ("for x in [1, 2], y in [10, 20] return x + y", {}, [11, 21, 12, 22]),
        ("for x in [] return x", {}, []),
        ("for x in [1, 2, 3] return if x = 1 then 1 else x + partial[-1]", {}, [1, 3, 6]),
        ("for o in orders return o.id", ORDERS, ["a", "b", "c"]),
        ("for x in null return x", {}, None),
    ],
    "quantifiers": [
        ("some x in [1, 2, 3] satisfies x > 2", {}, True),
        ("some x in [1, 2, 3] satisfies x > 3", {}, False),
        ("every x in [1, 2, 3] satisfies x > 0", {}, True),
        ("every x in [1, 2, 3] satisfies x > 1", {}, False),
        ("every x in [] satisfies x > 1", {}, True),
        ("some x in [] satisfies x > 1", {}, False),
        ("some x in [1, 2], y in [2, 3] satisfies x = y", {}, True),
        ("some o in orders satisfies o.amount > 30", ORDERS, True),
        ("every x in [true, null] satisfies x", {}, None),
    ],
    "in": [
        ("x in [1..5]", {"x": 5}, True),
        ("x in [1..5)", {"x": 5}, False),
        ("x in (1..5]", {"x": 1}, False),
        ("x in ]1..5]", {"x": 2}, True),
        ("x in (1, 2, 3)", {"x": 2}, True),
        ("x in (1, 2, 3)", {"x": 4}, False),
        ("x in < 10", {"x": 3}, True),
        ("x in >= 10", {"x": 3}, False),
        ("x in (< 5, > 10)", {"x": 11}, True),
        ("x in (< 5, > 10)", {"x": 7}, False),
        ('x in "a"', {"x": "a"}, True),
        ('x in ("a", "b")', {"x": "c"}, False),
        ("x in [1, 2, 3]", {"x": 2}, True),
        ("x in [1, 2, 3]", {"x": 9}, False),
        ("x in ([1..3], [7..9])", {"x": 8}, True),
        ("x in xs", {"x": "b", "xs": ["a", "b"]}, True),
        ('x in [@"2024-01-01"..@"2024-12-31"]', {"x": None}, None),
        ('date(x) in [@"2024-01-01"..@"2024-12-31"]', {"x": "2024-06-01"}, True),
        ("x in [1..5] and y", {"x": 2, "y": True}, True),
    ],
    "between": [
        ("x between 1 and 10", {"x": 10}, True),
        ("x between 1 and 10", {"x": 11}, False),
        ('"b" between "a" and "c"', {}, True),
        ("x between 1 and 10 and y", {"x": 5, "y": False}, False),
        ("x between 1 and 10", {}, None),
    ],
    "instance of": [
        ("1 instance of number", {}, True),
        ('"a" instance of string', {}, True),
        ("true instance of boolean", {}, True),
        ("[] instance of list", {}, True),
        ("{} instance of context", {}, True),
        ('@"2024-01-01" instance of date', {}, True),
        ('@"2024-01-01T10:00:00" instance of date and time', {}, True),
        ('@"10:00:00" instance of time', {}, True),
        ('@"P1D" instance of days and time duration', {}, True),
        ('@"P1Y" instance of years and months duration', {}, True),
        ("(function(x) x) instance of function", {}, True),
        ("1 instance of string", {}, False),
        ("null instance of Any", {}, False),
        ("1 instance of Any", {}, True),
        ("null instance of null", {}, True),
    ],
    "contexts": [
        ("{a: 1}", {}, {"a": 1}),
        ('{"b c": 2}', {}, {"b c": 2}),
        ("{first name: 1}", {}, {"first name": 1}),
        ("{a: 1, b: a + 1}", {}, {"a": 1, "b": 2}),
        ("{a: {b: 1}}.a.b", {}, 1),
        ("{a: 1}.b", {}, None),
        ("{}", {}, {}),
        ("{x: x}", {"x": 3}, {"x": 3}),
        (
            '{id: order.id, "total": order.qty * 2}',
            {"order": {"id": 1, "qty": 2}},
            {"id": 1, "total": 4},
        ),
        ("{`a-b`: 1}", {}, {"a-b": 1}),
        ("{a-b: 1}", {}, {"a-b": 1}),
        ("{f: function(x) x * 2, r: f(21)}.r", {}, 42),
    ],
    "paths": [
        ("a.b.c", {"a": {"b": {"c": 1}}}, 1),
        ("a.b", {"a": None}, None),
        ("a.b", {}, None),
        ("orders.id", ORDERS, ["a", "b", "c"]),
        ("orders.amount", ORDERS, [5, 20, 35]),
        ("a.`x y`", {"a": {"x y": 1}}, 1),
        ("[{a: 1}, {a: 2}].a", {}, [1, 2]),
    ],
    "filters": [
        ("[1, 2, 3, 4][item > 2]", {}, [3, 4]),
        ("xs[item > 2]", {"xs": [1, 5]}, [5]),
        ("orders[amount > 10]", ORDERS, ORDERS["orders"][1:]),
        ("orders[amount > 10].id", ORDERS, ["b", "c"]),
        ("orders[item.amount < 10].id", ORDERS, ["a"]),
        ('orders[id = "c"][1].amount', ORDERS, 35),
        ('orders[list contains(tags, "y")].id', ORDERS, ["c"]),
        ("[1, 2, 3][1]", {}, 1),
        ("[1, 2, 3][-1]", {}, 3),
        ("[1, 2, 3][-3]", {}, 1),
        ("[1, 2, 3][4]", {}, None),
        ("[1, 2, 3][0]", {}, None),
        ("xs[i]", {"xs": ["a", "b"], "i": 2}, "b"),
        ("[[1, 2], [3]][1][2]", {}, 2),
        ("[1, 2, 3][item > 5]", {}, []),
        ("null[1]", {}, None),
        ("[1, null, 3][item > 1]", {}, [3]),
    ],
    "functions": [
        ("(function(x) x + 1)(1)", {}, 2),
        ("{f: function(a, b) a - b}.f(5, 3)", {}, 2),
        ("{f: function(a, b) a - b, r: f(b: 5, a: 3)}.r", {}, -2),
        ("f(1)", {}, None),
        ("string length()", {}, None),
        ("{f: function(x) y, y: 1, r: f(0)}.r", {}, 1),
    ],
    "ranges": [
        ("[1..10)", {}, None),
        ("[1..10] instance of range", {}, True),
        ("5 in [1..10)", {}, True),
        ("10 in [1..10)", {}, False),
    ],
}


@pytest.mark.parametrize(
    ("expression", "variables", "expected"),
    [pytest.param(e, v, r, id=f"{kind}: {e}") for kind, rows in CASES.items() for e, v, r in rows],
)
def test_expression(expression: str, variables: dict[str, Any], expected: Any) -> None:
    assert value(expression, variables) == expected


class TestDecimals:
    def test_numbers_are_decimals(self) -> None:
        assert run("0.1 + 0.2").value == Decimal("0.3")

    def test_division_keeps_34_significant_digits(self) -> None:
        assert run("1 / 3").value == Decimal("0." + "3" * 34)

    def test_integral_results_are_stored_as_ints(self) -> None:
        result = value("1.5 * 2")
        assert result == 3 and isinstance(result, int)

    def test_floats_from_variables_keep_their_shortest_text(self) -> None:
        assert run("x", {"x": 0.1}).value == Decimal("0.1")

    def test_string_of_a_number_has_no_exponent(self) -> None:
        assert value("string(1 / 4)") == "0.25"
        assert value("string(100 * 10)") == "1000"
