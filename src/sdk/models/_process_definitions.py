"""Wire models of process definitions (each deployed version of a BPMN process): search, get.

Kept apart from the deployment answer, which every client loads, so that the search models
load only when used.
"""

from __future__ import annotations

from enum import Enum
from typing import Literal

from ._base import OpenEnum, RequestModel, ResponseModel
from ._keys import DEFAULT_TENANT, LongKey, ProcessDefinitionKey
from ._search import SearchQueryRequest, SearchQueryResponse, StringFilterProperty


class ProcessDefinitionState(str, Enum):
    """``DRAINING``: deleted, but instances still run on it."""

    ACTIVE = "ACTIVE"
    DRAINING = "DRAINING"
    DELETED = "DELETED"


class ProcessDefinitionResult(ResponseModel):
    """One deployed version of a BPMN process."""

    process_definition_key: ProcessDefinitionKey
    process_definition_id: str = ""
    name: str | None = None
    resource_name: str = ""
    version: int = 0
    version_tag: str | None = None
    tenant_id: str = DEFAULT_TENANT
    has_start_form: bool = False
    state: OpenEnum[ProcessDefinitionState] = ProcessDefinitionState.ACTIVE


class ProcessDefinitionFilter(RequestModel):
    """Most fields match exactly; only ``name`` and ``process_definition_id`` take operators."""

    name: StringFilterProperty | None = None
    is_latest_version: bool | None = None
    resource_name: str | None = None
    version: int | None = None
    version_tag: str | None = None
    process_definition_id: StringFilterProperty | None = None
    tenant_id: str | None = None
    process_definition_key: LongKey | None = None
    has_start_form: bool | None = None
    state: ProcessDefinitionState | None = None


ProcessDefinitionSortField = Literal[
    "processDefinitionKey",
    "name",
    "resourceName",
    "version",
    "versionTag",
    "processDefinitionId",
    "tenantId",
]


class ProcessDefinitionSearchQuery(
    SearchQueryRequest[ProcessDefinitionFilter, ProcessDefinitionSortField]
):
    """POST /v2/process-definitions/search."""


class ProcessDefinitionSearchQueryResult(SearchQueryResponse[ProcessDefinitionResult]):
    pass
