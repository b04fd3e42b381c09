"""Camunda user tasks (``zeebe:userTask``) in the store: the ``user_tasks`` table and its rules.

The engine decides (``UserTaskCreated`` when a user task is entered, ``UserTaskCanceled`` when
its element is left otherwise, ``CompleteUserTask`` when the API completes it); ``_instances.
persist`` writes the rows below in the same transaction as the instance's step. Assignment
changes only the row (the engine does not look at the assignee).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ...models import DEFAULT_TENANT, UserTaskResult
from ..engine import CompleteUserTask, InstanceState, UserTaskCanceled, UserTaskCreated

Statement = tuple[str, tuple[Any, ...]]

TABLES = """
CREATE TABLE IF NOT EXISTS user_tasks (
    key {int} PRIMARY KEY,
    element_instance_key {int} NOT NULL UNIQUE,
    process_instance_key {int} NOT NULL,
    process_definition_key {int} NOT NULL,
    bpmn_process_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    element_id TEXT NOT NULL,
    name TEXT,
    assignee TEXT,
    candidate_users TEXT NOT NULL,
    candidate_groups TEXT NOT NULL,
    due_date TEXT,
    follow_up_date TEXT,
    form_key TEXT,
    priority INTEGER NOT NULL,
    state TEXT NOT NULL,
    creation_date {int} NOT NULL,
    completion_date {int},
    tenant_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS user_tasks_instance ON user_tasks (process_instance_key);
"""
"""One row per Camunda user task; ``candidate_*`` are JSON lists."""

DEFAULT_PRIORITY = 50
OPEN = "CREATED"


def sqlite_tables() -> str:
    return TABLES.format(int="INTEGER")


def postgres_tables() -> tuple[str, ...]:
    return tuple(s.strip() for s in TABLES.format(int="BIGINT").split(";") if s.strip())


def _names(value: Any) -> list[str]:
    """Candidate users or groups as given: a list, or a comma-separated text."""
    if value is None:
        return []
    items = value if isinstance(value, list) else str(value).split(",")
    return [str(item).strip() for item in items if str(item).strip()]


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _priority(value: Any) -> int:
    try:
        return max(0, min(100, int(value)))
    except (TypeError, ValueError):
        return DEFAULT_PRIORITY


def created(
    effect: UserTaskCreated, state: InstanceState, key: int, now: int, tenant_id: str
) -> Statement:
    found = effect.attributes
    return (
        "INSERT INTO user_tasks (key, element_instance_key, process_instance_key,"
        " process_definition_key, bpmn_process_id, version, element_id, name, assignee,"
        " candidate_users, candidate_groups, due_date, follow_up_date, form_key, priority,"
        " state, creation_date, tenant_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'CREATED', ?, ?)"
        " ON CONFLICT (element_instance_key) DO NOTHING",
        (
            key,
            effect.element_instance_key,
            state.key,
            state.process_definition_key,
            state.bpmn_process_id,
            state.version,
            effect.element_id,
            _text(found.get("name")) or effect.element_id,
            _text(found.get("assignee")) or None,
            json.dumps(_names(found.get("candidate_users"))),
            json.dumps(_names(found.get("candidate_groups"))),
            _text(found.get("due_date")),
            _text(found.get("follow_up_date")),
            _text(found.get("form_key")),
            _priority(found.get("priority", DEFAULT_PRIORITY)),
            now,
            tenant_id,
        ),
    )


def canceled(effect: UserTaskCanceled, now: int) -> Statement:
    return (
        "UPDATE user_tasks SET state = 'CANCELED', completion_date = ?"
        " WHERE element_instance_key = ? AND state = 'CREATED'",
        (now, effect.element_instance_key),
    )


def completed(command: CompleteUserTask, now: int) -> Statement:
    return (
        "UPDATE user_tasks SET state = 'COMPLETED', completion_date = ?"
        " WHERE element_instance_key = ? AND state = 'CREATED'",
        (now, command.element_instance_key),
    )


def statements(
    effect: object,
    state: InstanceState,
    keys: Callable[[], int],
    now: int,
    tenant_id: str,
) -> list[Statement]:
    """What ``effect`` writes to ``user_tasks`` (nothing for another effect)."""
    if isinstance(effect, UserTaskCreated):
        return [created(effect, state, keys(), now, tenant_id)]
    if isinstance(effect, UserTaskCanceled):
        return [canceled(effect, now)]
    return []


SELECT_ALL = "SELECT * FROM user_tasks"
SELECT_ONE = "SELECT * FROM user_tasks WHERE key = ?"
ASSIGN = "UPDATE user_tasks SET assignee = ? WHERE key = ? AND state = 'CREATED'"


def result(row: Any, iso: Callable[[int | None], str | None]) -> UserTaskResult:
    return UserTaskResult.model_validate(
        {
            "userTaskKey": str(row["key"]),
            "state": row["state"],
            "name": row["name"],
            "assignee": row["assignee"],
            "candidateUsers": json.loads(row["candidate_users"]),
            "candidateGroups": json.loads(row["candidate_groups"]),
            "priority": row["priority"],
            "creationDate": iso(row["creation_date"]),
            "completionDate": iso(row["completion_date"]),
            "dueDate": row["due_date"],
            "followUpDate": row["follow_up_date"],
            "formKey": row["form_key"],
            "elementId": row["element_id"],
            "elementInstanceKey": str(row["element_instance_key"]),
            "processInstanceKey": str(row["process_instance_key"]),
            "rootProcessInstanceKey": str(row["process_instance_key"]),
            "processDefinitionKey": str(row["process_definition_key"]),
            "processDefinitionId": row["bpmn_process_id"],
            "processDefinitionVersion": row["version"],
            "tenantId": row["tenant_id"] or DEFAULT_TENANT,
        }
    )
