"""FEEL, the expression language of Zeebe's conditions, mappings, timers and correlation keys.

Written to evaluate as Zeebe's engine (feel-scala) does: numbers are decimals, null propagates,
``and``/``or`` are three-valued, and what feel-scala only warns about (a missing variable, an
unknown function, values that cannot be compared) gives null plus a warning instead of an
error. Parse once, evaluate many times::

    expression = parse('if amount > 100 then "review" else "auto"')
    result = expression.evaluate({"amount": 250})
    result.value  # 'review'

The package is pure: no I/O, no clock of its own (``now()`` reads the ``now`` given to
`Expression.evaluate`). See the conformance table in the docs (FEEL page).
"""

from __future__ import annotations

from ..errors import FeelSyntaxError as FeelSyntaxError
from ._api import Expression as Expression
from ._api import Result as Result
from ._api import parse as parse
from ._convert import to_feel as to_feel
from ._convert import to_json as to_json

__all__ = ["Expression", "FeelSyntaxError", "Result", "parse", "to_feel", "to_json"]
