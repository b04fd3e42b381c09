"""parse() and Expression: the front door of the FEEL package."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import lark
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from ..errors import FeelSyntaxError
from . import _library  # noqa: F401  (registers the built-in functions)
from ._compile import Compiler, Eval
from ._functions import AssertionFailure
from ._scope import Scope, State


@functools.cache
def _parser() -> lark.Lark:
    grammar = resources.files(__package__).joinpath("_grammar.lark").read_text(encoding="utf-8")
    return lark.Lark(grammar, parser="lalr", lexer="contextual", start="start")


@dataclass(frozen=True)
class Result:
    """What evaluating an expression gave.

    Attributes:
        value: The FEEL value (``None`` is null): ``Decimal``, ``str``, ``bool``, ``list``,
            ``dict``, a ``datetime`` type or a duration; `to_json` turns it into what Zeebe
            stores.
        warnings: feel-scala's "suppressed failures", in order: what evaluated to null on the
            way (e.g. ``"No variable found with name 'x'"``). The value is still the result;
            Zeebe logs these and goes on.
        failure: Set when the evaluation failed as a whole (a failed ``assert``): Zeebe raises
            an incident instead of using ``value``.
    """

    value: Any
    warnings: tuple[str, ...] = ()
    failure: str | None = None


class Expression:
    """A parsed FEEL expression: parse once, evaluate many times (each is a closure walk).

    Attributes:
        text: The expression as written (without Zeebe's leading ``=``).
    """

    __slots__ = ("_run", "text")

    def __init__(self, text: str, run: Eval) -> None:
        self.text = text
        self._run = run

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"

    def evaluate(
        self, variables: Mapping[str, Any] | None = None, *, now: dt.datetime | None = None
    ) -> Result:
        """Evaluate against ``variables``; never raises.

        Args:
            variables: Variable name → value, JSON-like (``int``/``float`` are read as FEEL
                numbers, ``dict`` as contexts) or FEEL values. Default: none.
            now: The clock reading ``now()`` and ``today()`` return (the broker passes its own,
                movable clock); a naive value is taken as UTC. Default: the wall clock, read
                once per evaluation.

        Returns:
            The value, the warnings, and a failure when the expression failed as a whole.
        """
        state = State(now)
        try:
            value = self._run(Scope(variables or {}, state))
        except AssertionFailure as failure:
            return Result(None, tuple(state.warnings), str(failure))
        except RecursionError:
            state.warn(f"Expression nested too deeply to evaluate: '{self.text}'")
            value = None
        except Exception as error:  # a bug here must not crash an engine: null and a warning
            state.warn(f"Internal error evaluating '{self.text}': {type(error).__name__}: {error}")
            value = None
        return Result(value, tuple(state.warnings))


@functools.lru_cache(maxsize=4096)
def parse(text: str) -> Expression:
    """Parse a FEEL expression (cached: the same text gives the same `Expression`).

    Args:
        text: The expression, without Zeebe's leading ``=``.

    Returns:
        The compiled expression.

    Raises:
        FeelSyntaxError: The text is no FEEL expression; the message names the line and column
            and what was expected there.
    """
    try:
        tree = _parser().parse(text)
        return Expression(text, Compiler().compile(tree))
    except UnexpectedInput as error:
        raise _syntax_error(text, error) from None
    except RecursionError:
        raise FeelSyntaxError(text, 1, 1, "the expression is nested too deeply") from None


_READABLE = {
    "NAME": "a name",
    "NUMBER": "a number",
    "STRING": "a string",
    "RPAR": "')'",
    "RSQB": "']'",
    "RBRACE": "'}'",
    "COMMA": "','",
    "COLON": "':'",
    "THEN": "'then'",
    "ELSE": "'else'",
    "RETURN": "'return'",
    "SATISFIES": "'satisfies'",
    "IN": "'in'",
}


def _syntax_error(text: str, error: UnexpectedInput) -> FeelSyntaxError:
    line, column = max(error.line, 1), max(error.column, 1)
    if isinstance(error, UnexpectedEOF) or (
        isinstance(error, UnexpectedToken) and error.token.type == "$END"
    ):
        what = "unexpected end of expression"
        line, column = _end(text)
    elif isinstance(error, UnexpectedToken):
        what = f"unexpected {str(error.token)!r}"
    elif isinstance(error, UnexpectedCharacters):
        what = f"unexpected character {text[error.pos_in_stream or 0]!r}"
    else:  # pragma: no cover - lark raises only the three above
        what = "invalid syntax"
    expected = sorted(
        _READABLE[name] for name in getattr(error, "expected", ()) if name in _READABLE
    )
    if expected:
        what += "; expected " + " or ".join(expected[:5])
    return FeelSyntaxError(text, line, column, what)


def _end(text: str) -> tuple[int, int]:
    lines = text.split("\n")
    return len(lines), len(lines[-1]) + 1
