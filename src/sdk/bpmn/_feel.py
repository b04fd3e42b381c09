"""The FEEL syntax check a deployment runs on every expression of a model.

A syntax error found here refuses the deployment, naming the element; found at run time it
would only be an incident on every instance that reaches the element.
"""

from __future__ import annotations

from ..feel import FeelSyntaxError, parse


def feel_syntax(text: str) -> str | None:
    """The syntax error of one FEEL expression (given without its ``=``), or ``None``."""
    try:
        parse(text)
    except FeelSyntaxError as exc:
        return f"{exc.reason} at line {exc.line}, column {exc.column}"
    return None
