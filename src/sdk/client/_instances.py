"""The calls of Camunda's process-instance API and of what instances are made of: element
instances, variables, incidents, sequence flows, element statistics and Camunda's job search.

Searches and reads only read: safe to send again after a lost answer. Cancelling an instance
and resolving an incident are not (a second one answers 404).
"""

from __future__ import annotations

import re

from ..models import (
    ElementInstanceResult,
    ElementInstanceSearchQuery,
    ElementInstanceSearchQueryResult,
    IncidentResult,
    IncidentSearchQuery,
    IncidentSearchQueryResult,
    JobSearchQuery,
    JobSearchQueryResult,
    ProcessInstanceElementStatisticsQueryResult,
    ProcessInstanceResult,
    ProcessInstanceSearchQuery,
    ProcessInstanceSearchQueryResult,
    ProcessInstanceSequenceFlowsQueryResult,
    VariableResult,
    VariableSearchQuery,
    VariableSearchQueryResult,
)
from ._calls import Call, _model, _nothing

_LONG_KEY = re.compile(r"-?[0-9]{1,24}")


def _key(value: str | int, what: str) -> str:
    text = str(value).strip()
    if not _LONG_KEY.fullmatch(text):
        raise ValueError(f"invalid {what} {value!r}: expected a decimal integer")
    return text


def get_process_instance(key: str | int) -> Call[ProcessInstanceResult]:
    path = f"/process-instances/{_key(key, 'process instance key')}"
    return Call("GET", path, _model(ProcessInstanceResult), idempotent=True)


def search_process_instances(
    query: ProcessInstanceSearchQuery,
) -> Call[ProcessInstanceSearchQueryResult]:
    parse = _model(ProcessInstanceSearchQueryResult)
    return Call("POST", "/process-instances/search", parse, query, idempotent=True)


def cancel_process_instance(key: str | int) -> Call[None]:
    path = f"/process-instances/{_key(key, 'process instance key')}/cancellation"
    return Call("POST", path, _nothing, content=b"{}")


def search_instance_incidents(
    key: str | int, query: IncidentSearchQuery
) -> Call[IncidentSearchQueryResult]:
    path = f"/process-instances/{_key(key, 'process instance key')}/incidents/search"
    return Call("POST", path, _model(IncidentSearchQueryResult), query, idempotent=True)


def sequence_flows(key: str | int) -> Call[ProcessInstanceSequenceFlowsQueryResult]:
    path = f"/process-instances/{_key(key, 'process instance key')}/sequence-flows"
    return Call("GET", path, _model(ProcessInstanceSequenceFlowsQueryResult), idempotent=True)


def element_statistics(key: str | int) -> Call[ProcessInstanceElementStatisticsQueryResult]:
    path = f"/process-instances/{_key(key, 'process instance key')}/statistics/element-instances"
    parse = _model(ProcessInstanceElementStatisticsQueryResult)
    return Call("GET", path, parse, idempotent=True)


def search_element_instances(
    query: ElementInstanceSearchQuery,
) -> Call[ElementInstanceSearchQueryResult]:
    parse = _model(ElementInstanceSearchQueryResult)
    return Call("POST", "/element-instances/search", parse, query, idempotent=True)


def get_element_instance(key: str | int) -> Call[ElementInstanceResult]:
    path = f"/element-instances/{_key(key, 'element instance key')}"
    return Call("GET", path, _model(ElementInstanceResult), idempotent=True)


def search_incidents(query: IncidentSearchQuery) -> Call[IncidentSearchQueryResult]:
    parse = _model(IncidentSearchQueryResult)
    return Call("POST", "/incidents/search", parse, query, idempotent=True)


def get_incident(key: str | int) -> Call[IncidentResult]:
    path = f"/incidents/{_key(key, 'incident key')}"
    return Call("GET", path, _model(IncidentResult), idempotent=True)


def resolve_incident(key: str | int) -> Call[None]:
    path = f"/incidents/{_key(key, 'incident key')}/resolution"
    return Call("POST", path, _nothing, content=b"{}")


def search_variables(query: VariableSearchQuery) -> Call[VariableSearchQueryResult]:
    parse = _model(VariableSearchQueryResult)
    return Call("POST", "/variables/search", parse, query, idempotent=True)


def get_variable(key: str | int) -> Call[VariableResult]:
    path = f"/variables/{_key(key, 'variable key')}"
    return Call("GET", path, _model(VariableResult), idempotent=True)


def search_camunda_jobs(query: JobSearchQuery) -> Call[JobSearchQueryResult]:
    parse = _model(JobSearchQueryResult)
    return Call("POST", "/jobs/search", parse, query, idempotent=True)
