"""Keyed limits: at most N jobs of a type ACTIVATED at once per value of a key.

The key is a job variable or custom header the operator names (a tenant, a customer id). An
activation counts the type's live activations per key (each job keeps the key it was handed
out under, ``limit_key``), then walks the activatable jobs in activation order and takes those
whose key has a free slot; the rest stay activatable and are handed out when a slot of their
key frees, woken as the per-type ``max_active`` is (a completion wakes the type's polls, an
expiring activation is the poll's next look). Jobs without the key share one bucket (stored
as NULL). Both backends run this in the activation's transaction, which on PostgreSQL holds
the type's limits row, so replicas never both see one free slot.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from ._rules import Row

R = TypeVar("R", bound="Row")

COLUMNS = {"max_active_per_key": "INTEGER", "key_variable": "TEXT", "key_header": "TEXT"}
"""The limits table's columns of a keyed limit."""
JOB_COLUMN = "limit_key"
"""The jobs table's column: the key a live activation counts under."""
ACTIVE_BY_KEY = (
    "SELECT limit_key, COUNT(*) AS n FROM jobs WHERE type = {p} AND state = 'ACTIVATED'"
    " AND available_at > {p} GROUP BY limit_key"
)
"""(type, now): live activations per key (``{p}``: the backend's parameter mark)."""


@dataclass(frozen=True)
class KeyedLimit:
    """At most ``per_key`` ACTIVATED jobs per value of ``variable`` (or ``header``)."""

    per_key: int
    variable: str | None = None
    header: str | None = None

    @classmethod
    def of(cls, row: Row) -> KeyedLimit | None:
        """The keyed limit of a limits row (``None``: it has none)."""
        per_key = row["max_active_per_key"]
        if per_key is None:
            return None
        return cls(int(per_key), row["key_variable"], row["key_header"])

    def key_of(self, row: Row) -> str | None:
        """The job's key as stored (its JSON text, so ``1`` and ``"1"`` differ); ``None``
        for a job without it."""
        if self.variable is not None:
            source, name = row["variables"], self.variable
        else:
            source, name = row["custom_headers"], self.header or ""
        values: dict[str, Any] = json.loads(source)
        if name not in values:
            return None
        return json.dumps(values[name], sort_keys=True, separators=(",", ":"))


def pick(
    limit: KeyedLimit, rows: Iterable[R], wanted: int, active: dict[str | None, int]
) -> list[tuple[R, str | None]]:
    """Up to ``wanted`` of ``rows`` (in activation order) whose key has a free slot, each
    with its key; ``active`` (live activations per key) is counted up as they are taken."""
    taken: list[tuple[R, str | None]] = []
    for row in rows:
        if len(taken) >= wanted:
            break
        key = limit.key_of(row)
        if active.get(key, 0) < limit.per_key:
            active[key] = active.get(key, 0) + 1
            taken.append((row, key))
    return taken
