"""Wire models of what is read about process instances: get, search, the sequence flows an
instance took and how many element instances it has per element.

Kept apart from creation, which every client loads, so that these load only when used.
"""

from __future__ import annotations

from enum import Enum
from typing import Literal

from pydantic import Field

from ._base import OpenEnum, RequestModel, ResponseModel
from ._element_instances import ElementInstanceStateFilterProperty
from ._keys import (
    DEFAULT_TENANT,
    NO_KEY,
    ElementInstanceKey,
    ProcessDefinitionKey,
    ProcessInstanceKey,
)
from ._process_instances import MAX_TAGS, Tag
from ._search import (
    DateTimeFilterProperty,
    EnumFilter,
    IntegerFilterProperty,
    KeyFilterProperty,
    SearchQueryRequest,
    SearchQueryResponse,
    StringFilterProperty,
)
from ._variables import VariableValueFilterProperty


class ProcessInstanceState(str, Enum):
    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"
    SUSPENDED = "SUSPENDED"
    TERMINATED = "TERMINATED"


class ProcessInstanceResult(ResponseModel):
    """One process instance. Dates are ISO 8601 strings, as Camunda sends them."""

    process_instance_key: ProcessInstanceKey
    state: OpenEnum[ProcessInstanceState]
    process_definition_key: ProcessDefinitionKey = ProcessDefinitionKey(NO_KEY)
    process_definition_id: str = ""
    process_definition_name: str | None = None
    process_definition_version: int = -1
    process_definition_version_tag: str | None = None
    start_date: str = ""
    end_date: str | None = None
    suspended_date: str | None = None
    has_incident: bool = False
    tenant_id: str = DEFAULT_TENANT
    parent_process_instance_key: ProcessInstanceKey | None = None
    parent_element_instance_key: ElementInstanceKey | None = None
    root_process_instance_key: ProcessInstanceKey | None = None
    tags: list[str] = Field(default_factory=list)
    business_id: str | None = None


class ProcessInstanceFilterFields(RequestModel):
    """Instances matching all given fields. The ``element_*`` and ``has_element_instance_*``
    fields match instances having such an element instance; ``variables`` all must match."""

    process_instance_key: KeyFilterProperty | None = None
    process_definition_id: StringFilterProperty | None = None
    process_definition_name: StringFilterProperty | None = None
    process_definition_version: IntegerFilterProperty | None = None
    process_definition_version_tag: StringFilterProperty | None = None
    process_definition_key: KeyFilterProperty | None = None
    state: ProcessInstanceState | EnumFilter[ProcessInstanceState] | None = None
    start_date: DateTimeFilterProperty | None = None
    end_date: DateTimeFilterProperty | None = None
    suspended_date: DateTimeFilterProperty | None = None
    has_incident: bool | None = None
    tenant_id: StringFilterProperty | None = None
    variables: list[VariableValueFilterProperty] | None = None
    parent_process_instance_key: KeyFilterProperty | None = None
    parent_element_instance_key: KeyFilterProperty | None = None
    batch_operation_id: StringFilterProperty | None = None
    """Deprecated by Camunda in favour of ``batch_operation_key``."""
    batch_operation_key: StringFilterProperty | None = None
    error_message: StringFilterProperty | None = None
    has_retries_left: bool | None = None
    element_instance_state: ElementInstanceStateFilterProperty | None = None
    element_id: StringFilterProperty | None = None
    has_element_instance_incident: bool | None = None
    incident_error_hash_code: IntegerFilterProperty | None = None
    tags: list[Tag] | None = Field(default=None, max_length=MAX_TAGS)
    business_id: StringFilterProperty | None = None


class ProcessInstanceFilter(ProcessInstanceFilterFields):
    """The fields, all of which must match, and ``$or``: at least one of these must match too."""

    or_: list[ProcessInstanceFilterFields] | None = Field(default=None, alias="$or")


ProcessInstanceSortField = Literal[
    "processInstanceKey",
    "processDefinitionId",
    "processDefinitionName",
    "processDefinitionVersion",
    "processDefinitionVersionTag",
    "processDefinitionKey",
    "parentProcessInstanceKey",
    "parentElementInstanceKey",
    "startDate",
    "endDate",
    "suspendedDate",
    "state",
    "hasIncident",
    "tenantId",
    "businessId",
]


class ProcessInstanceSearchQuery(
    SearchQueryRequest[ProcessInstanceFilter, ProcessInstanceSortField]
):
    """POST /v2/process-instances/search."""


class ProcessInstanceSearchQueryResult(SearchQueryResponse[ProcessInstanceResult]):
    pass


# -- what an instance went through ------------------------------------------------------------


class ProcessInstanceSequenceFlowResult(ResponseModel):
    """A sequence flow the instance has taken (for drawing its path on the diagram)."""

    sequence_flow_id: str
    element_id: str = ""
    process_instance_key: ProcessInstanceKey = ProcessInstanceKey(NO_KEY)
    root_process_instance_key: ProcessInstanceKey | None = None
    process_definition_key: ProcessDefinitionKey = ProcessDefinitionKey(NO_KEY)
    process_definition_id: str = ""
    tenant_id: str = DEFAULT_TENANT


class ProcessInstanceSequenceFlowsQueryResult(ResponseModel):
    """GET /v2/process-instances/{key}/sequence-flows: all of them, unpaged."""

    items: list[ProcessInstanceSequenceFlowResult] = Field(default_factory=list)


class ProcessElementStatisticsResult(ResponseModel):
    """How many of one element's instances are in each state, within one process instance."""

    element_id: str
    active: int = 0
    canceled: int = 0
    incidents: int = 0
    completed: int = 0


class ProcessInstanceElementStatisticsQueryResult(ResponseModel):
    """GET /v2/process-instances/{key}/statistics/element-instances: one row per element."""

    items: list[ProcessElementStatisticsResult] = Field(default_factory=list)
