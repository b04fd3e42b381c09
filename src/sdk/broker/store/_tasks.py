"""The user tasks' face of the store (``JobStore.user_tasks``): what the user-task routes and
the element-instance variables route call.

Completing a task and setting variables are commands on the instance: one transaction each,
with the instance's step (``Processes.advance``). Reads come from the ``user_tasks`` table
(``_user_tasks.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...models import UserTaskResult
from .._problems import JobInWrongState, NotFound
from ..engine import CompleteUserTask, Rejected, SetVariables
from . import _instances, _user_tasks

if TYPE_CHECKING:
    from ._face import JobStore


class UserTasks:
    """Camunda user tasks and element-instance variables, on ``store``."""

    def __init__(self, store: JobStore) -> None:
        self._store = store

    async def all(self) -> list[UserTaskResult]:
        rows = await self._store._backend.query(_user_tasks.SELECT_ALL)
        return [_user_tasks.result(row, _instances.iso) for row in rows]

    async def get(self, key: int) -> UserTaskResult:
        rows = await self._store._backend.query(_user_tasks.SELECT_ONE, (key,))
        if not rows:
            raise NotFound(f"User task with key '{key}' not found")
        return _user_tasks.result(rows[0], _instances.iso)

    async def assign(self, key: int, assignee: str, allow_override: bool) -> None:
        """Assign the task; with ``allow_override`` false an assigned task is refused (409)."""
        task = await self.get(key)
        self._open(task, "assign")
        if not allow_override and task.assignee and task.assignee != assignee:
            raise JobInWrongState(
                f"Command 'ASSIGN' rejected with code 'INVALID_STATE': Expected to assign user"
                f" task with key '{key}', but it is already assigned to '{task.assignee}'"
                " (allowOverride is false); unassign it first"
            )
        await self._store._backend.execute([(_user_tasks.ASSIGN, (assignee, key))])

    async def complete(self, key: int, variables: Mapping[str, Any]) -> None:
        """Complete the task with ``variables``: its element completes, the instance moves on,
        and the task's row is COMPLETED, in one transaction."""
        task = await self.get(key)
        self._open(task, "complete")
        command = CompleteUserTask(int(task.element_instance_key), dict(variables))
        try:
            await self._store.processes._advance(int(task.process_instance_key), command)
        except Rejected:
            raise self._wrong_state(key, "complete", "no longer waiting") from None

    def _open(self, task: UserTaskResult, action: str) -> None:
        if task.state != "CREATED":
            raise self._wrong_state(task.user_task_key, action, f"in state '{task.state}'")

    @staticmethod
    def _wrong_state(key: Any, action: str, why: str) -> JobInWrongState:
        return JobInWrongState(
            f"Command '{action.upper()}' rejected with code 'INVALID_STATE': Expected to"
            f" {action} user task with key '{key}', but it is {why}"
        )

    async def set_variables(
        self, element_instance_key: int, variables: Mapping[str, Any], local: bool
    ) -> None:
        """Set variables on an element instance's scope (``local``), or where each exists."""
        element = await self._store.processes.element(element_instance_key)
        missing = NotFound(
            f"Expected to update variables for element with key '{element_instance_key}',"
            " but no such element was found"
        )
        if element.state != "ACTIVE":
            raise missing
        command = SetVariables(element_instance_key, dict(variables), local)
        try:
            await self._store.processes._advance(int(element.process_instance_key), command)
        except Rejected:
            raise missing from None
