"""The calls of Camunda's user-task API (``zeebe:userTask``) and of setting variables on an
element instance.

Searches and reads only read. Assigning is idempotent (the same assignee twice is one
assignment); completing is not (a second one answers 409).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..models import (
    SetVariableRequest,
    UserTaskAssignmentRequest,
    UserTaskCompletionRequest,
    UserTaskResult,
    UserTaskSearchQuery,
    UserTaskSearchQueryResult,
)
from ._calls import Call, _model, _nothing
from ._instances import _key


def search_user_tasks(query: UserTaskSearchQuery) -> Call[UserTaskSearchQueryResult]:
    parse = _model(UserTaskSearchQueryResult)
    return Call("POST", "/user-tasks/search", parse, query, idempotent=True)


def get_user_task(key: str | int) -> Call[UserTaskResult]:
    path = f"/user-tasks/{_key(key, 'user task key')}"
    return Call("GET", path, _model(UserTaskResult), idempotent=True)


def assign_user_task(key: str | int, assignee: str, allow_override: bool | None) -> Call[None]:
    path = f"/user-tasks/{_key(key, 'user task key')}/assignment"
    body = UserTaskAssignmentRequest(assignee=assignee, allow_override=allow_override)
    return Call("POST", path, _nothing, body, idempotent=True)


def complete_user_task(key: str | int, variables: Mapping[str, Any] | None) -> Call[None]:
    path = f"/user-tasks/{_key(key, 'user task key')}/completion"
    body = UserTaskCompletionRequest(variables=dict(variables) if variables else None)
    return Call("POST", path, _nothing, body)


def set_element_variables(key: str | int, variables: Mapping[str, Any], local: bool) -> Call[None]:
    path = f"/element-instances/{_key(key, 'element instance key')}/variables"
    body = SetVariableRequest(variables=dict(variables), local=local)
    content = body.model_dump_json(by_alias=True, exclude_none=True).encode()
    return Call("PUT", path, _nothing, content=content, idempotent=True)
