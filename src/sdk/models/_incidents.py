"""Wire models of incidents: where an instance got stuck and why, and resolving one.

An incident is resolved once its cause is fixed (e.g. a job's retries raised with
``PATCH /v2/jobs/{key}``); resolving retries what failed.
"""

from __future__ import annotations

from enum import Enum
from typing import Literal

from pydantic import Field

from ._base import OpenEnum, RequestModel, ResponseModel
from ._keys import (
    DEFAULT_TENANT,
    NO_KEY,
    ElementInstanceKey,
    IncidentKey,
    JobKey,
    ProcessDefinitionKey,
    ProcessInstanceKey,
)
from ._search import (
    BasicStringFilterProperty,
    DateTimeFilterProperty,
    KeyFilterProperty,
    PatternFilter,
    SearchQueryRequest,
    SearchQueryResponse,
    StringFilterProperty,
)


class IncidentErrorType(str, Enum):
    """Why the engine stopped: e.g. ``JOB_NO_RETRIES`` (a job failed with no retries left),
    ``EXTRACT_VALUE_ERROR`` / ``CONDITION_ERROR`` (an expression failed at run time)."""

    AD_HOC_SUB_PROCESS_NO_RETRIES = "AD_HOC_SUB_PROCESS_NO_RETRIES"
    CALLED_DECISION_ERROR = "CALLED_DECISION_ERROR"
    CALLED_ELEMENT_ERROR = "CALLED_ELEMENT_ERROR"
    CONDITION_ERROR = "CONDITION_ERROR"
    DECISION_EVALUATION_ERROR = "DECISION_EVALUATION_ERROR"
    EXECUTION_LISTENER_NO_RETRIES = "EXECUTION_LISTENER_NO_RETRIES"
    EXTRACT_VALUE_ERROR = "EXTRACT_VALUE_ERROR"
    FORM_NOT_FOUND = "FORM_NOT_FOUND"
    IO_MAPPING_ERROR = "IO_MAPPING_ERROR"
    JOB_NO_RETRIES = "JOB_NO_RETRIES"
    MESSAGE_SIZE_EXCEEDED = "MESSAGE_SIZE_EXCEEDED"
    RESOURCE_NOT_FOUND = "RESOURCE_NOT_FOUND"
    SECRET_RESOLUTION_ERROR = "SECRET_RESOLUTION_ERROR"
    TASK_LISTENER_NO_RETRIES = "TASK_LISTENER_NO_RETRIES"
    UNHANDLED_ERROR_EVENT = "UNHANDLED_ERROR_EVENT"
    UNKNOWN = "UNKNOWN"
    UNSPECIFIED = "UNSPECIFIED"


class IncidentState(str, Enum):
    ACTIVE = "ACTIVE"
    MIGRATED = "MIGRATED"
    PENDING = "PENDING"
    RESOLVED = "RESOLVED"
    UNKNOWN = "UNKNOWN"


class IncidentResult(ResponseModel):
    incident_key: IncidentKey
    error_type: OpenEnum[IncidentErrorType]
    state: OpenEnum[IncidentState]
    error_message: str = ""
    element_id: str = ""
    element_instance_key: ElementInstanceKey = ElementInstanceKey(NO_KEY)
    job_key: JobKey | None = None
    creation_time: str = ""
    process_instance_key: ProcessInstanceKey = ProcessInstanceKey(NO_KEY)
    root_process_instance_key: ProcessInstanceKey | None = None
    process_definition_key: ProcessDefinitionKey = ProcessDefinitionKey(NO_KEY)
    process_definition_id: str = ""
    tenant_id: str = DEFAULT_TENANT


class IncidentFilter(RequestModel):
    process_definition_id: StringFilterProperty | None = None
    error_type: IncidentErrorType | PatternFilter[IncidentErrorType] | None = None
    error_message: StringFilterProperty | None = None
    element_id: StringFilterProperty | None = None
    creation_time: DateTimeFilterProperty | None = None
    state: IncidentState | PatternFilter[IncidentState] | None = None
    tenant_id: StringFilterProperty | None = None
    incident_key: BasicStringFilterProperty | None = None
    process_definition_key: KeyFilterProperty | None = None
    process_instance_key: KeyFilterProperty | None = None
    element_instance_key: KeyFilterProperty | None = None
    job_key: KeyFilterProperty | None = None


IncidentSortField = Literal[
    "incidentKey",
    "processDefinitionKey",
    "processDefinitionId",
    "processInstanceKey",
    "errorType",
    "elementId",
    "elementInstanceKey",
    "creationTime",
    "state",
    "jobKey",
    "tenantId",
]


class IncidentSearchQuery(SearchQueryRequest[IncidentFilter, IncidentSortField]):
    """POST /v2/incidents/search, and /v2/process-instances/{key}/incidents/search."""


class IncidentSearchQueryResult(SearchQueryResponse[IncidentResult]):
    pass


class IncidentResolutionRequest(RequestModel):
    """POST /v2/incidents/{incidentKey}/resolution (the body itself is optional)."""

    operation_reference: int | None = Field(default=None, ge=1)
