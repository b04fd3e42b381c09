"""Wire models of process variables: search, get, and setting them on an element instance scope.

A variable's ``value`` is its JSON text (a string holding ``"\\"ok\\""`` or ``42``), as Camunda
answers it; a search may truncate long values, and says so in ``is_truncated``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ._base import RequestModel, ResponseModel
from ._keys import DEFAULT_TENANT, NO_KEY, ProcessInstanceKey, ScopeKey, VariableKey
from ._search import (
    KeyFilterProperty,
    SearchQueryRequest,
    SearchQueryResponse,
    StringFilterProperty,
)


class VariableValueFilterProperty(RequestModel):
    """Instances (or tasks) having a variable ``name`` whose JSON text matches ``value``."""

    name: str
    value: StringFilterProperty


class SetVariableRequest(RequestModel):
    """PUT /v2/element-instances/{key}/variables. Without ``local`` each variable goes to the
    nearest scope that already has it (else the root); with ``local`` to that scope itself."""

    variables: dict[str, Any]
    local: bool | None = None
    operation_reference: int | None = Field(default=None, ge=1)


class VariableResult(ResponseModel):
    """GET /v2/variables/{variableKey}: the full value, never truncated."""

    variable_key: VariableKey
    name: str = ""
    value: str = ""
    scope_key: ScopeKey = ScopeKey(NO_KEY)
    process_instance_key: ProcessInstanceKey = ProcessInstanceKey(NO_KEY)
    root_process_instance_key: ProcessInstanceKey | None = None
    tenant_id: str = DEFAULT_TENANT


class VariableSearchResult(VariableResult):
    is_truncated: bool = False


class VariableFilter(RequestModel):
    name: StringFilterProperty | None = None
    value: StringFilterProperty | None = None
    tenant_id: str | None = None
    is_truncated: bool | None = None
    variable_key: KeyFilterProperty | None = None
    scope_key: KeyFilterProperty | None = None
    process_instance_key: KeyFilterProperty | None = None


VariableSortField = Literal[
    "value", "name", "tenantId", "variableKey", "scopeKey", "processInstanceKey"
]


class VariableSearchQuery(SearchQueryRequest[VariableFilter, VariableSortField]):
    """POST /v2/variables/search."""


class VariableSearchQueryResult(SearchQueryResponse[VariableSearchResult]):
    pass
