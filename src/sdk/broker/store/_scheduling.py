"""When and in which order jobs are handed out: a creation's ``runAt`` and ``priority``.

A job created to run later is stored ``ACTIVATABLE`` with ``available_at`` at its ``run_at``:
the column a failure's back-off already uses, so activation skips it until then and a long
poll's wait already ends at the soonest ``available_at`` of its type (no timer, no polling).
``run_at`` is kept beside it only to show the job as scheduled and to say when it was meant
to run. Activation takes the highest ``priority`` first, then the job available longest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...models import JobSpec

if TYPE_CHECKING:  # _rules shows a row through ``view_fields``
    from ._rules import Row

ORDER = "priority DESC, available_at, key"
"""The activation order (an ``ORDER BY`` both backends take)."""

_READY = (
    "jobs_ready ON jobs (type, priority DESC, available_at)"
    " WHERE state IN ('ACTIVATABLE', 'ACTIVATED')"
)
INDEX = f"CREATE INDEX IF NOT EXISTS {_READY};"
"""The index that serves ``ORDER`` within a type (SQLite script form)."""
_COLUMNS = {"run_at": "INTEGER", "priority": "INTEGER NOT NULL DEFAULT 0"}


def sqlite_columns(have: set[str]) -> str:
    """The ``ALTER TABLE`` of each column a SQLite file's jobs lack, in place."""
    return "".join(
        f"ALTER TABLE jobs ADD COLUMN {name} {kind};"
        for name, kind in _COLUMNS.items()
        if name not in have
    )


POSTGRES_MIGRATION = (
    "ALTER TABLE jobs ADD COLUMN run_at BIGINT",
    "ALTER TABLE jobs ADD COLUMN priority INTEGER NOT NULL DEFAULT 0",
    f"CREATE INDEX {_READY}",
)
"""The PostgreSQL statements that add both columns and their index."""

POSTGRES_READY_BY_KEY = (
    "DROP INDEX jobs_ready",
    "CREATE INDEX jobs_ready ON jobs (type, priority DESC, available_at, key)"
    " WHERE state IN ('ACTIVATABLE', 'ACTIVATED')",
)
"""The index again, ending in ``ORDER``'s last column: without it, jobs created in the same
millisecond (a bulk creation) are all read and sorted by key to take the first few. SQLite's
index ends in the row id already."""


def run_at_ms(spec: JobSpec) -> int | None:
    """The spec's ``run_at`` in epoch milliseconds (``None``: at once)."""
    if spec.run_at is None:
        return None
    return int(spec.run_at.timestamp() * 1000)


def available_at(spec: JobSpec, now: int) -> int:
    """When a new job may first be handed out: at once, or at its ``run_at`` if later."""
    at = run_at_ms(spec)
    return now if at is None or at < now else at


def view_fields(row: Row, now: int) -> dict[str, Any]:
    """The ``Job`` fields of a stored row's run time and priority."""
    run_at = row["run_at"]
    return dict(
        run_at=run_at,
        priority=row["priority"],
        scheduled=(
            run_at is not None
            and row["state"] == "ACTIVATABLE"
            and run_at > now
            and row["available_at"] > now
        ),
    )
