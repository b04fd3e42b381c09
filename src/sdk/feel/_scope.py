"""What an evaluation carries: the variables in scope, the warnings so far and the clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ._convert import from_python

_MISSING = object()


class State:
    """One evaluation's warnings (in order, each once) and its clock reading."""

    __slots__ = ("_now", "failure", "warnings")

    def __init__(self, now: dt.datetime | None) -> None:
        self._now = now
        self.warnings: list[str] = []
        self.failure: str | None = None

    def warn(self, message: str) -> None:
        """Record a suppressed failure (feel-scala's wording); the expression goes on."""
        if message not in self.warnings:
            self.warnings.append(message)

    def now(self) -> dt.datetime:
        """The evaluation's "now": the clock given to it, else the wall clock in UTC, read once."""
        if self._now is None:
            self._now = dt.datetime.now(dt.timezone.utc)
        elif self._now.tzinfo is None:
            self._now = self._now.replace(tzinfo=dt.timezone.utc)
        return self._now


class Scope:
    """Variables visible at one point: local names first, then the enclosing scope's.

    The root scope holds the caller's variables as given (JSON-like Python values); a value is
    converted to FEEL's types the first time it is read, once per evaluation.
    """

    __slots__ = ("_converted", "parent", "state", "values")

    def __init__(self, values: Mapping[str, Any], state: State, parent: Scope | None = None):
        self.values = values
        self.state = state
        self.parent = parent
        self._converted: dict[str, Any] | None = {} if parent is None else None

    def child(self, values: Mapping[str, Any]) -> Scope:
        """A scope with ``values`` in front of this one (already FEEL values)."""
        return Scope(values, self.state, self)

    def lookup(self, name: str) -> Any:
        """The value of ``name``, or the `MISSING` marker."""
        scope: Scope | None = self
        while scope is not None:
            value = scope.values.get(name, _MISSING)
            if value is not _MISSING:
                return value if scope._converted is None else scope._root_value(name, value)
            scope = scope.parent
        return _MISSING

    def _root_value(self, name: str, raw: Any) -> Any:
        cache = self._converted
        assert cache is not None
        if name not in cache:
            cache[name] = from_python(raw)
        return cache[name]


MISSING = _MISSING
