"""What feel-scala reports as suppressed failures: null plus a warning, in its wording."""

from __future__ import annotations

import pytest

from .conftest import run


@pytest.mark.parametrize(
    ("expression", "warnings"),
    [
        ("x + 1", ("No variable found with name 'x'", "Can't add '1' to 'null'")),
        ("1 + x", ("No variable found with name 'x'", "Can't add 'null' to '1'")),
        ("{x: 1}.y", ("No context entry found with key 'y'. Available keys: 'x'",)),
        ("{}.y", ("No context entry found with key 'y'. The context is empty",)),
        (
            '@"P1Y".days',
            (
                "No property found with name 'days' of value 'P1Y'. Available properties: "
                "'years', 'months'",
            ),
        ),
        ("true < 2", ("Can't compare 'true' with '2'",)),
        ("2 + true", ("Can't add 'true' to '2'",)),
        ("if 5 then 1 else null", ("Expected boolean but found '5'",)),
        ("true and 2", ("Expected boolean but found '2'",)),
        ("false or 3", ("Expected boolean but found '3'",)),
        ("some x in [false, 2] satisfies x", ("Expected boolean but found '2'",)),
        ("f(1)", ("No function found with name 'f' and 1 parameters",)),
        ("unknown thing(1, 2)", ("No function found with name 'unknown thing' and 2 parameters",)),
        (
            "string length(5)",
            (
                "Failed to invoke function 'string length': Illegal argument "
                "'5' for parameter 'string'",
            ),
        ),
        ("1 / 0", ("Can't divide '1' by '0'",)),
        ("a.b.c", ("No variable found with name 'a'",)),
    ],
)
def test_warning(expression: str, warnings: tuple[str, ...]) -> None:
    result = run(expression)
    assert result.value is None
    assert result.warnings == warnings
    assert result.failure is None


def test_a_warning_is_reported_once() -> None:
    assert run("x + x").warnings[0] == "No variable found with name 'x'"
    assert run("[x, x]").warnings == ("No variable found with name 'x'",)


def test_a_clean_evaluation_has_no_warnings() -> None:
    assert run("x > 1", {"x": 2}).warnings == ()
