"""Camunda's user-task routes (``zeebe:userTask``: search, get, assign, complete) and setting
variables on an element instance.

Completion and variables are commands on the instance, one transaction each; searches take
Camunda's ``{filter, sort, page}`` (``_query.py``).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...models import (
    SetVariableRequest,
    UserTaskAssignmentRequest,
    UserTaskCompletionRequest,
    UserTaskSearchQuery,
)
from .._problems import InvalidRequest
from ._processes import _json, _key
from ._query import search
from ._request import read_model, store_of

_CANDIDATES = {"candidateUser": "candidateUsers", "candidateGroup": "candidateGroups"}


def _candidate(names: list[str], condition: Any) -> bool:
    """A candidate filter (a name, or ``$eq`` / ``$in``) against a task's candidates."""
    if not isinstance(condition, dict):
        return condition in names
    if "$eq" in condition and condition["$eq"] not in names:
        return False
    if "$in" in condition and not set(condition["$in"]) & set(names):
        return False
    if "$exists" in condition and bool(names) != bool(condition["$exists"]):
        return False
    return True


async def search_user_tasks(request: Request) -> Response:
    query = await read_model(request, UserTaskSearchQuery, required=False)
    items = await store_of(request).user_tasks.all()
    if query.filter is not None:
        wanted = query.filter.model_dump(by_alias=True, exclude_none=True, mode="json")
        for name, field in _CANDIDATES.items():
            if name in wanted:
                items = [i for i in items if _candidate(getattr(i, _snake(field)), wanted[name])]
    special = frozenset(_CANDIDATES)
    chosen, page = search(items, query, default_sort="userTaskKey", special=special)
    return _json({"items": chosen, "page": page.model_dump(by_alias=True, mode="json")})


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


async def get_user_task(request: Request) -> Response:
    key = _key(request, "user_task_key", "userTaskKey")
    return _json(await store_of(request).user_tasks.get(key))


async def assign_user_task(request: Request) -> Response:
    key = _key(request, "user_task_key", "userTaskKey")
    body = await read_model(request, UserTaskAssignmentRequest)
    if body.assignee is None:
        raise InvalidRequest("No assignee provided: the assignee must not be empty or null")
    allow_override = True if body.allow_override is None else body.allow_override
    await store_of(request).user_tasks.assign(key, body.assignee, allow_override)
    return Response(status_code=204)


async def complete_user_task(request: Request) -> Response:
    key = _key(request, "user_task_key", "userTaskKey")
    body = await read_model(request, UserTaskCompletionRequest, required=False)
    await store_of(request).user_tasks.complete(key, body.variables or {})
    return Response(status_code=204)


async def set_element_variables(request: Request) -> Response:
    key = _key(request, "element_instance_key", "elementInstanceKey")
    body = await read_model(request, SetVariableRequest)
    await store_of(request).user_tasks.set_variables(key, body.variables, bool(body.local))
    return Response(status_code=204)


ROUTES = [
    Route("/v2/user-tasks/search", search_user_tasks, methods=["POST"]),
    Route("/v2/user-tasks/{user_task_key}", get_user_task),
    Route("/v2/user-tasks/{user_task_key}/assignment", assign_user_task, methods=["POST"]),
    Route("/v2/user-tasks/{user_task_key}/completion", complete_user_task, methods=["POST"]),
    Route(
        "/v2/element-instances/{element_instance_key}/variables",
        set_element_variables,
        methods=["PUT"],
    ),
]
