"""Every value reaches the database as a bound parameter, never as SQL text.

Two nets: at run time, hostile strings (quotes, ``; DROP TABLE``, a unique marker) go into
every text input of the store, and the SQL text of every statement executed must never
contain them (they must show up among the parameters instead); and a scan of the store's
source finds every SQL string built with an f-string, ``%`` or ``+`` and allows only the
fixed clause builders to be interpolated.
"""

from __future__ import annotations

import ast
import re
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sdk.broker.store import Activation, Failure, _search
from sdk.broker.store.sqlite import SqliteJobs, _idempotency, _jobs, _limits
from sdk.models import JobSpec, JobState

MARKER = "zq9MARKERzq9"
NOW = 1_700_000_000_000
SQL_WORDS = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|WHERE|PRAGMA|VALUES|FROM|AND|IN|SET)\b")


class RecordingConnection:
    """Stands in for the store's connection and notes each statement with its parameters."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self.statements: list[tuple[str, tuple[Any, ...]]] = []

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> sqlite3.Cursor:
        self.statements.append((sql, tuple(parameters)))
        return self._db.execute(sql, parameters)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> sqlite3.Cursor:
        self.statements += [(sql, tuple(row)) for row in rows]
        return self._db.executemany(sql, rows)

    def executescript(self, script: str) -> sqlite3.Cursor:
        self.statements.append((script, ()))
        return self._db.executescript(script)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)


hostile = st.one_of(
    st.sampled_from(["'", '"', "' OR '1'='1", "x'); DROP TABLE jobs; --", "?", ":name", "\\"]),
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=12),
).map(lambda s: f"{MARKER}{s}")


@settings(max_examples=60, deadline=None, database=None)
@given(text=hostile, other=hostile)
def test_hostile_strings_are_bound_never_spliced(text: str, other: str) -> None:
    jobs = SqliteJobs(":memory:")
    recorder = RecordingConnection(jobs._db)
    jobs._db = cast(sqlite3.Connection, recorder)
    try:
        spec = JobSpec(
            type=text,
            variables={text: other, "k": [other]},
            custom_headers={text: other},
            element_id=other,
        )
        done, failed, thrown, updated = (int(k) for k in jobs.create([spec] * 4, NOW))
        query = Activation(
            job_type=text,
            worker=other,
            timeout_ms=60_000,
            max_jobs=4,
            fetch_variables=[text, other],
            tenant_ids=[other, "<default>"],
            with_lease=True,
        )
        activated, _ = jobs.activate(query, NOW)
        assert [int(j.job_key) for j in activated] == [done, failed, thrown, updated]
        tokens = {int(j.job_key): j.lease_token for j in activated}
        jobs.complete(done, {other: text}, tokens[done], NOW + 1)
        jobs.fail(failed, Failure(0, other, 0, {text: other}), tokens[failed], NOW + 1)
        jobs.throw_error(thrown, text, other, {other: text}, tokens[thrown], NOW + 1)
        jobs.update(updated, 5, 1_000, NOW + 1, tokens[updated])
        with pytest.raises(Exception, match="lease token"):
            jobs.complete(updated, None, other, NOW + 1)  # a hostile token: refused, not run
        jobs.cancel(updated, NOW + 2)

        assert jobs.get(done, NOW).variables == {text: other, "k": [other], other: text}
        assert jobs.get(failed, NOW).error_message == other
        assert (jobs.get(thrown, NOW).error_code, jobs.get(thrown, NOW).error_message) == (
            text,
            other,
        )
        found, _ = jobs.search(text, JobState.CANCELED, 10, None, NOW)
        assert [int(j.job_key) for j in found] == [updated]
        assert jobs.search(text + "' OR 1=1 --", None, 10, None, NOW)[0] == []  # no such type
        assert len(jobs.events_after(0, 100)) > 4
    finally:
        jobs.close()

    spliced = [sql for sql, _ in recorder.statements if MARKER in sql]
    assert spliced == []
    bound = [params for _, params in recorder.statements if any(MARKER in str(p) for p in params)]
    assert len(bound) > 10  # the inputs did reach SQLite, as parameters


# -- the source ---------------------------------------------------------------------------------


def _is_placeholders(node: ast.expr) -> bool:
    """``', '.join('?' * len(values))``: a list of ``?`` as long as the values it binds."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "join"
        and isinstance(node.func.value, ast.Constant)
        and len(node.args) == 1
        and isinstance(arg := node.args[0], ast.BinOp)
        and isinstance(arg.op, ast.Mult)
        and isinstance(arg.left, ast.Constant)
        and arg.left.value == "?"
    ) or (
        isinstance(node, ast.Call)
        and ast.unparse(node.func) == "', '.join"
        and len(node.args) == 1
        and ast.unparse(node.args[0]) == "[self.mark] * len(values)"
    )


def _is_clause_join(node: ast.expr) -> bool:
    """``' AND '.join(where)``: joining the clause list a query builds from literals."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "join"
        and isinstance(node.func.value, ast.Constant)
        and [ast.unparse(a) for a in node.args] == ["where"]
    )


CLAUSE_NAMES = {"where", "clause", "column"}
"""Names the store gives only to clauses and column names it builds of literals."""


def allowed_in_sql(node: ast.expr) -> bool:
    """What may be pasted into SQL text: the clause builders, checked values, constants."""
    if ast.unparse(node) in ("self.mark", "p"):
        return True  # the dialect's parameter mark (``?`` or ``%s``)
    if isinstance(node, ast.Name):  # a clause built of literals; a column name; a constant
        return node.id in CLAUSE_NAMES or node.id.isupper()
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return node.attr.isupper()  # another store module's constant (``_scheduling.ORDER``)
    if isinstance(node, ast.Call) and ast.unparse(node.func) == "_checked_sync":
        return True  # one of a fixed set of pragma values, or ValueError
    return _is_placeholders(node) or _is_clause_join(node)


def _literal_text(node: ast.expr) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(_literal_text(v) for v in node.values)
    return ""


def sql_building_violations(source: str) -> list[str]:
    """Places in ``source`` where a value that is not a fixed clause goes into SQL text."""
    problems = []
    for node in ast.walk(ast.parse(source)):
        pasted: list[ast.expr] = []
        if isinstance(node, ast.JoinedStr) and SQL_WORDS.search(_literal_text(node)):
            pasted = [v.value for v in node.values if isinstance(v, ast.FormattedValue)]
        elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mod, ast.Add)):
            sides = [node.left, node.right]
            if any(SQL_WORDS.search(_literal_text(side)) for side in sides):
                pasted = [s for s in sides if not isinstance(s, (ast.Constant, ast.JoinedStr))]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "format"
            and SQL_WORDS.search(_literal_text(node.func.value))
        ):
            pasted = [*node.args, *(k.value for k in node.keywords)]
        problems += [
            f"line {p.lineno}: {ast.unparse(p)!r} pasted into SQL"
            for p in pasted
            if not allowed_in_sql(p)
        ]
    return problems


@pytest.mark.parametrize(
    "module", [_jobs, _idempotency, _limits, _search], ids=lambda m: m.__name__
)
def test_the_store_builds_sql_only_from_literals_and_placeholders(module: ModuleType) -> None:
    source = Path(module.__file__ or "").read_text()
    assert sql_building_violations(source) == []


@pytest.mark.parametrize(
    "bad",
    [
        "db.execute(f\"SELECT * FROM jobs WHERE type = '{job_type}'\")",
        'db.execute("SELECT * FROM jobs WHERE key = %s" % key)',
        'db.execute("DELETE FROM jobs WHERE type = \'" + job_type + "\'")',
        'db.execute("UPDATE jobs SET worker = {}".format(worker))',
        'where += f" AND tenant_id = {tenant}"',
    ],
)
def test_the_scan_catches_values_pasted_into_sql(bad: str) -> None:
    assert sql_building_violations(bad)


def test_the_scan_lets_the_clause_builders_through() -> None:
    good = (
        'rows = db.execute(f"SELECT * FROM jobs WHERE {where} LIMIT ?", (*args, limit))\n'
        "where += f\" AND tenant_id IN ({', '.join('?' * len(ids))})\"\n"
        "db.execute(f\"SELECT * FROM jobs WHERE {' AND '.join(where)}\")\n"
        'db.execute(f"PRAGMA synchronous={_checked_sync(mode)}")\n'
        'db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")\n'
    )
    assert sql_building_violations(good) == []
