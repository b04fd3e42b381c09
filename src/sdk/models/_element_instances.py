"""Wire models of element instances: each run of one BPMN element (a task, an event, a gateway,
the process itself) inside a process instance, as search and get answer them."""

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
    LongKey,
    ProcessDefinitionKey,
    ProcessInstanceKey,
)
from ._search import (
    DateTimeFilterProperty,
    EnumFilter,
    PatternFilter,
    SearchQueryRequest,
    SearchQueryResponse,
    StringFilterProperty,
)


class ElementInstanceState(str, Enum):
    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"
    TERMINATED = "TERMINATED"


class ElementInstanceType(str, Enum):
    """The BPMN element kind; ``MULTI_INSTANCE_BODY`` is the wrapper around the inner runs."""

    UNSPECIFIED = "UNSPECIFIED"
    PROCESS = "PROCESS"
    SUB_PROCESS = "SUB_PROCESS"
    EVENT_SUB_PROCESS = "EVENT_SUB_PROCESS"
    AD_HOC_SUB_PROCESS = "AD_HOC_SUB_PROCESS"
    AD_HOC_SUB_PROCESS_INNER_INSTANCE = "AD_HOC_SUB_PROCESS_INNER_INSTANCE"
    START_EVENT = "START_EVENT"
    INTERMEDIATE_CATCH_EVENT = "INTERMEDIATE_CATCH_EVENT"
    INTERMEDIATE_THROW_EVENT = "INTERMEDIATE_THROW_EVENT"
    BOUNDARY_EVENT = "BOUNDARY_EVENT"
    END_EVENT = "END_EVENT"
    SERVICE_TASK = "SERVICE_TASK"
    RECEIVE_TASK = "RECEIVE_TASK"
    USER_TASK = "USER_TASK"
    MANUAL_TASK = "MANUAL_TASK"
    TASK = "TASK"
    EXCLUSIVE_GATEWAY = "EXCLUSIVE_GATEWAY"
    INCLUSIVE_GATEWAY = "INCLUSIVE_GATEWAY"
    PARALLEL_GATEWAY = "PARALLEL_GATEWAY"
    EVENT_BASED_GATEWAY = "EVENT_BASED_GATEWAY"
    SEQUENCE_FLOW = "SEQUENCE_FLOW"
    MULTI_INSTANCE_BODY = "MULTI_INSTANCE_BODY"
    CALL_ACTIVITY = "CALL_ACTIVITY"
    BUSINESS_RULE_TASK = "BUSINESS_RULE_TASK"
    SCRIPT_TASK = "SCRIPT_TASK"
    SEND_TASK = "SEND_TASK"
    UNKNOWN = "UNKNOWN"


ElementInstanceStateFilterProperty = ElementInstanceState | EnumFilter[ElementInstanceState]


class ElementInstanceResult(ResponseModel):
    element_instance_key: ElementInstanceKey
    type: OpenEnum[ElementInstanceType]
    state: OpenEnum[ElementInstanceState]
    element_id: str = ""
    element_name: str = ""
    has_incident: bool = False
    incident_key: IncidentKey | None = None
    start_date: str = ""
    end_date: str | None = None
    process_instance_key: ProcessInstanceKey = ProcessInstanceKey(NO_KEY)
    root_process_instance_key: ProcessInstanceKey | None = None
    process_definition_key: ProcessDefinitionKey = ProcessDefinitionKey(NO_KEY)
    process_definition_id: str = ""
    tenant_id: str = DEFAULT_TENANT


class ElementInstanceFilterFields(RequestModel):
    """Keys, type and tenant match exactly; ``element_instance_scope_key`` (a process or element
    instance key) selects that scope's immediate children."""

    process_definition_id: str | None = None
    state: ElementInstanceStateFilterProperty | None = None
    type: ElementInstanceType | None = None
    element_id: str | PatternFilter[str] | None = None
    element_name: StringFilterProperty | None = None
    has_incident: bool | None = None
    tenant_id: str | None = None
    element_instance_key: LongKey | None = None
    process_instance_key: LongKey | None = None
    process_definition_key: LongKey | None = None
    incident_key: LongKey | None = None
    start_date: DateTimeFilterProperty | None = None
    end_date: DateTimeFilterProperty | None = None
    element_instance_scope_key: LongKey | None = None


class ElementInstanceFilter(ElementInstanceFilterFields):
    """The fields, all of which must match, and ``$or``: at least one of these must match too."""

    or_: list[ElementInstanceFilterFields] | None = Field(default=None, alias="$or")


ElementInstanceSortField = Literal[
    "elementInstanceKey",
    "processInstanceKey",
    "processDefinitionKey",
    "processDefinitionId",
    "startDate",
    "endDate",
    "elementId",
    "elementName",
    "type",
    "state",
    "incidentKey",
    "tenantId",
]


class ElementInstanceSearchQuery(
    SearchQueryRequest[ElementInstanceFilter, ElementInstanceSortField]
):
    """POST /v2/element-instances/search."""


class ElementInstanceSearchQueryResult(SearchQueryResponse[ElementInstanceResult]):
    pass
