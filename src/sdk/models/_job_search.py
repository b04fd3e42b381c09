"""Wire models of Camunda's own job search, POST /v2/jobs/search.

Not the embedded broker's ``/v2/ext/jobs/search`` (``JobSearchRequest``, ``Job``): Camunda's
answers with its record view of a job, whose ``state`` is the last thing that happened to it
(``CamundaJobState``) and whose times are ISO 8601 strings.
"""

from __future__ import annotations

from enum import Enum
from typing import Literal

from pydantic import Field

from ._base import OpenEnum, RequestModel, ResponseModel
from ._jobs import JobKind, JobListenerEventType
from ._keys import (
    DEFAULT_TENANT,
    NO_KEY,
    ElementInstanceKey,
    JobKey,
    ProcessDefinitionKey,
    ProcessInstanceKey,
)
from ._search import (
    DateTimeFilterProperty,
    EnumFilter,
    IntegerFilterProperty,
    KeyFilterProperty,
    SearchQueryRequest,
    SearchQueryResponse,
    StringFilterProperty,
)


class CamundaJobState(str, Enum):
    """The last event of a job in Camunda's records (the spec's ``JobStateEnum``)."""

    CANCELED = "CANCELED"
    COMPLETED = "COMPLETED"
    CREATED = "CREATED"
    ERROR_THROWN = "ERROR_THROWN"
    FAILED = "FAILED"
    MIGRATED = "MIGRATED"
    PRIORITY_UPDATED = "PRIORITY_UPDATED"
    RETRIES_UPDATED = "RETRIES_UPDATED"
    TIMEOUT_UPDATED = "TIMEOUT_UPDATED"
    TIMED_OUT = "TIMED_OUT"


class CamundaJob(ResponseModel):
    """One job as Camunda's search answers it (the spec's ``JobSearchResult``)."""

    job_key: JobKey
    type: str
    state: OpenEnum[CamundaJobState]
    kind: OpenEnum[JobKind] = JobKind.BPMN_ELEMENT
    listener_event_type: OpenEnum[JobListenerEventType] = JobListenerEventType.UNSPECIFIED
    retries: int = 0
    worker: str = ""
    deadline: str | None = None
    custom_headers: dict[str, str] = Field(default_factory=dict)
    error_code: str | None = None
    error_message: str | None = None
    has_failed_with_retries_left: bool = False
    is_denied: bool | None = None
    denied_reason: str | None = None
    priority: int = 0
    creation_time: str | None = None
    last_update_time: str | None = None
    end_time: str | None = None
    element_id: str | None = None
    element_instance_key: ElementInstanceKey = ElementInstanceKey(NO_KEY)
    process_instance_key: ProcessInstanceKey = ProcessInstanceKey(NO_KEY)
    root_process_instance_key: ProcessInstanceKey | None = None
    process_definition_key: ProcessDefinitionKey = ProcessDefinitionKey(NO_KEY)
    process_definition_id: str = ""
    business_id: str | None = None
    tenant_id: str = DEFAULT_TENANT


class JobFilter(RequestModel):
    type: StringFilterProperty | None = None
    state: CamundaJobState | EnumFilter[CamundaJobState] | None = None
    kind: JobKind | EnumFilter[JobKind] | None = None
    listener_event_type: JobListenerEventType | EnumFilter[JobListenerEventType] | None = None
    job_key: KeyFilterProperty | None = None
    worker: StringFilterProperty | None = None
    retries: IntegerFilterProperty | None = None
    priority: IntegerFilterProperty | None = None
    deadline: DateTimeFilterProperty | None = None
    creation_time: DateTimeFilterProperty | None = None
    last_update_time: DateTimeFilterProperty | None = None
    end_time: DateTimeFilterProperty | None = None
    error_code: StringFilterProperty | None = None
    error_message: StringFilterProperty | None = None
    has_failed_with_retries_left: bool | None = None
    is_denied: bool | None = None
    denied_reason: StringFilterProperty | None = None
    element_id: StringFilterProperty | None = None
    element_instance_key: KeyFilterProperty | None = None
    process_instance_key: KeyFilterProperty | None = None
    process_definition_key: KeyFilterProperty | None = None
    process_definition_id: StringFilterProperty | None = None
    tenant_id: StringFilterProperty | None = None


JobSortField = Literal[
    "creationTime",
    "deadline",
    "deniedReason",
    "elementId",
    "elementInstanceKey",
    "endTime",
    "errorCode",
    "errorMessage",
    "hasFailedWithRetriesLeft",
    "isDenied",
    "jobKey",
    "kind",
    "listenerEventType",
    "priority",
    "processDefinitionId",
    "processDefinitionKey",
    "processInstanceKey",
    "retries",
    "state",
    "tenantId",
    "type",
    "worker",
]


class JobSearchQuery(SearchQueryRequest[JobFilter, JobSortField]):
    """POST /v2/jobs/search (Camunda's; see the module docstring)."""


class JobSearchQueryResult(SearchQueryResponse[CamundaJob]):
    pass
