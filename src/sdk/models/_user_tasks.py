"""Wire models of Camunda user tasks (``zeebe:userTask``): search, get, assign, complete.

Job-based user tasks are jobs of type ``io.camunda.zeebe:userTask`` instead, worked like any
other job.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Literal

from pydantic import Field

from ._base import OpenEnum, RequestModel, ResponseModel
from ._keys import (
    DEFAULT_TENANT,
    NO_KEY,
    ElementInstanceKey,
    LongKey,
    ProcessDefinitionKey,
    ProcessInstanceKey,
    UserTaskKey,
)
from ._process_instances import MAX_TAGS, Tag
from ._search import (
    DateTimeFilterProperty,
    EnumFilter,
    IntegerFilterProperty,
    KeyFilterProperty,
    PatternFilter,
    SearchQueryRequest,
    SearchQueryResponse,
    StringFilterProperty,
)
from ._variables import VariableValueFilterProperty

DEFAULT_USER_TASK_PRIORITY = 50


class UserTaskState(str, Enum):
    """The ``-ING`` states are a task whose change waits for its task listeners."""

    CREATING = "CREATING"
    CREATED = "CREATED"
    ASSIGNING = "ASSIGNING"
    UPDATING = "UPDATING"
    COMPLETING = "COMPLETING"
    COMPLETED = "COMPLETED"
    CANCELING = "CANCELING"
    CANCELED = "CANCELED"
    FAILED = "FAILED"


class UserTaskResult(ResponseModel):
    user_task_key: UserTaskKey
    state: OpenEnum[UserTaskState]
    name: str | None = None
    assignee: str | None = None
    candidate_groups: list[str] = Field(default_factory=list)
    candidate_users: list[str] = Field(default_factory=list)
    priority: int = DEFAULT_USER_TASK_PRIORITY
    creation_date: str = ""
    completion_date: str | None = None
    follow_up_date: str | None = None
    due_date: str | None = None
    form_key: str | None = None
    external_form_reference: str | None = None
    custom_headers: dict[str, str] = Field(default_factory=dict)
    element_id: str = ""
    element_instance_key: ElementInstanceKey = ElementInstanceKey(NO_KEY)
    process_instance_key: ProcessInstanceKey = ProcessInstanceKey(NO_KEY)
    root_process_instance_key: ProcessInstanceKey | None = None
    process_definition_key: ProcessDefinitionKey = ProcessDefinitionKey(NO_KEY)
    process_definition_id: str = ""
    process_definition_version: int = -1
    process_name: str | None = None
    business_id: str | None = None
    tags: list[str] = Field(default_factory=list)
    tenant_id: str = DEFAULT_TENANT


class UserTaskFilter(RequestModel):
    """``element_id``, ``user_task_key`` and ``element_instance_key`` match exactly only."""

    state: UserTaskState | EnumFilter[UserTaskState] | None = None
    assignee: StringFilterProperty | None = None
    business_id: StringFilterProperty | None = None
    priority: IntegerFilterProperty | None = None
    element_id: str | None = None
    name: StringFilterProperty | None = None
    candidate_group: StringFilterProperty | None = None
    candidate_user: StringFilterProperty | None = None
    tenant_id: StringFilterProperty | None = None
    process_definition_id: str | PatternFilter[str] | None = None
    creation_date: DateTimeFilterProperty | None = None
    completion_date: DateTimeFilterProperty | None = None
    follow_up_date: DateTimeFilterProperty | None = None
    due_date: DateTimeFilterProperty | None = None
    process_instance_variables: list[VariableValueFilterProperty] | None = None
    local_variables: list[VariableValueFilterProperty] | None = None
    user_task_key: LongKey | None = None
    process_definition_key: KeyFilterProperty | None = None
    process_instance_key: KeyFilterProperty | None = None
    element_instance_key: LongKey | None = None
    tags: list[Tag] | None = Field(default=None, max_length=MAX_TAGS)


UserTaskSortField = Literal[
    "creationDate", "completionDate", "followUpDate", "dueDate", "priority", "name", "businessId"
]


class UserTaskSearchQuery(SearchQueryRequest[UserTaskFilter, UserTaskSortField]):
    """POST /v2/user-tasks/search."""


class UserTaskSearchQueryResult(SearchQueryResponse[UserTaskResult]):
    pass


class UserTaskAssignmentRequest(RequestModel):
    """POST /v2/user-tasks/{key}/assignment. ``allow_override`` false refuses an assigned task;
    ``action`` (default ``assign``) is what the task's listeners see."""

    assignee: str | None = Field(default=None, min_length=1)
    allow_override: bool | None = None
    action: str | None = None


class UserTaskCompletionRequest(RequestModel):
    """POST /v2/user-tasks/{key}/completion. ``action`` defaults to ``complete``."""

    variables: dict[str, Any] | None = None
    action: str | None = None
