"""Reading XML values into model values, and recording what is wrong on the way.

Shared by the builders: one place decides what an expression is, checks its syntax through the
caller's ``check_expression``, and words the problems.
"""

from __future__ import annotations

from collections.abc import Callable
from xml.etree.ElementTree import Element

from ._errors import Problem
from ._model import Expr, Value, value_of
from ._xml import BPMN_NS, ZEEBE_NS, bpmn

CheckExpression = Callable[[str], "str | None"]
"""Checks one FEEL expression (without its ``=``): an error message, or ``None`` when fine."""

Owner = tuple[str | None, str]
"""The element a problem is about: its id and its BPMN type."""


class Reader:
    """Collects problems and turns attribute text into ``Value`` s."""

    def __init__(self, check_expression: CheckExpression | None) -> None:
        self.problems: list[Problem] = []
        self._check = check_expression

    def problem(self, owner: Owner, message: str) -> None:
        self.problems.append(Problem(owner[0], owner[1], message))

    def value(self, raw: str | None, owner: Owner, what: str) -> Value | None:
        """``raw`` as a static value or an ``Expr`` (syntax checked); ``None`` when absent."""
        if raw is None:
            return None
        value = value_of(raw)
        if isinstance(value, Expr):
            self.check(value, owner, what)
        return value

    def check(self, expr: Expr, owner: Owner, what: str) -> None:
        """Check an expression's syntax with the caller's checker (if any)."""
        if not expr.text:
            self.problem(owner, f"{what}: the expression after '=' is empty")
            return
        if self._check is None:
            return
        error = self._check(expr.text)
        if error is not None:
            self.problem(owner, f"{what}: invalid FEEL expression '{expr}': {error}")

    def expression(self, raw: str | None, owner: Owner, what: str) -> Value | None:
        """A value that must be an expression (Zeebe refuses a static one there)."""
        value = self.value(raw, owner, what)
        if isinstance(value, str):
            self.problem(
                owner,
                f"{what}: expected an expression but found the static value '{value}'."
                f" An expression must start with '=' (e.g. '={value}').",
            )
        return value

    def required(self, element: Element, attribute: str, owner: Owner, where: str) -> str | None:
        """A non-empty attribute, or a problem naming it."""
        raw = element.get(attribute)
        if raw is None or not raw.strip():
            self.problem(owner, f"{where}: attribute '{attribute}' must be present and not empty")
            return None
        return raw


def extensions(element: Element) -> dict[str, list[Element]]:
    """The Zeebe extension elements of ``element``, by local name, in document order."""
    found: dict[str, list[Element]] = {}
    holder = element.find(bpmn("extensionElements"))
    if holder is None:
        return found
    for child in holder:
        if isinstance(child.tag, str) and child.tag.startswith(f"{{{ZEEBE_NS}}}"):
            found.setdefault(child.tag[len(ZEEBE_NS) + 2 :], []).append(child)
    return found


def bpmn_children(element: Element) -> list[tuple[str, Element]]:
    """``(local name, child)`` for the BPMN-namespace children of ``element``."""
    prefix = f"{{{BPMN_NS}}}"
    return [
        (child.tag[len(prefix) :], child)
        for child in element
        if isinstance(child.tag, str) and child.tag.startswith(prefix)
    ]


def text_of(element: Element | None) -> str:
    """The element's text content, stripped ('' when absent)."""
    return "".join(element.itertext()).strip() if element is not None else ""


def flag(raw: str | None, default: bool) -> bool:
    """An XML boolean attribute (``true``/``false``), ``default`` when absent."""
    return default if raw is None else raw.strip().lower() == "true"
