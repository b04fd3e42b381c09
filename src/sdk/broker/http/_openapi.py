"""The broker's own OpenAPI 3.1 document, built from its route table and its wire models.

Served at ``GET /v2/ext/openapi.json`` so tools (and our fuzz tests) can read what this broker
accepts. It is generated, never written by hand: the request and response schemas are the
pydantic models' JSON schemas, the paths are the routes the app really serves, so the document
cannot drift from the code. A REST route (under ``/v2``) without an entry in ``OPERATIONS`` is
still listed, with a "not described" answer, so a new route is never invisible; describing it
here is what gets it fuzzed by ``tests/reliability``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.alias_generators import to_camel
from pydantic.json_schema import models_json_schema
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ... import __version__
from ...models import (
    SCHEDULE_NAME_PATTERN,
    BulkJobsRequest,
    BulkJobsResult,
    CamundaUserResult,
    CancelProcessInstanceRequest,
    Capabilities,
    ClockPinRequest,
    CreateProcessInstanceResult,
    DeleteResourceRequest,
    DeleteResourceResponse,
    DeploymentResult,
    ElementInstanceResult,
    ElementInstanceSearchQuery,
    ElementInstanceSearchQueryResult,
    IncidentResolutionRequest,
    IncidentResult,
    IncidentSearchQuery,
    IncidentSearchQueryResult,
    Job,
    JobActivationRequest,
    JobActivationResult,
    JobCompletionRequest,
    JobCreationRequest,
    JobCreationResult,
    JobErrorRequest,
    JobEventPage,
    JobFailRequest,
    JobProgressRequest,
    JobReportBatch,
    JobReportBatchResult,
    JobResult,
    JobSearchQuery,
    JobSearchQueryResult,
    JobSearchRequest,
    JobSearchResult,
    JobTypeLimits,
    JobTypeLimitsList,
    JobTypeLimitsRequest,
    JobUpdateRequest,
    MessageCorrelationRequest,
    MessageCorrelationResult,
    MessagePublicationRequest,
    MessagePublicationResult,
    MessageSubscriptionSearchQuery,
    MessageSubscriptionSearchQueryResult,
    ProblemDetail,
    ProcessDefinitionResult,
    ProcessDefinitionSearchQuery,
    ProcessDefinitionSearchQueryResult,
    ProcessInstanceCreationInstruction,
    ProcessInstanceElementStatisticsQueryResult,
    ProcessInstanceResult,
    ProcessInstanceSearchQuery,
    ProcessInstanceSearchQueryResult,
    ProcessInstanceSequenceFlowsQueryResult,
    ResourceResult,
    Schedule,
    ScheduleList,
    ScheduleRequest,
    SetVariableRequest,
    SignalBroadcastRequest,
    SignalBroadcastResult,
    TopologyResponse,
    UserTaskAssignmentRequest,
    UserTaskCompletionRequest,
    UserTaskResult,
    UserTaskSearchQuery,
    UserTaskSearchQueryResult,
    VariableResult,
    VariableSearchQuery,
    VariableSearchQueryResult,
)
from .._problems import PROBLEM_JSON
from ..store import MAX_WINDOW_MINUTES
from ._limits import LIMITS_PATH, MAX_TYPE_LENGTH
from ._schedules import SCHEDULE_PATH, SCHEDULES_PATH

OPENAPI_PATH = "/v2/ext/openapi.json"
JOB_KEY_SCHEMA: dict[str, Any] = {
    "type": "string",
    "pattern": "^[0-9]{1,19}$",
    "description": "A job key: a positive 64-bit integer as a decimal string.",
}
_REASONS = {
    400: "The request is malformed (bad JSON, wrong types, unknown fields, too deep).",
    404: "No such job (or it has ended), process definition, resource, process instance,"
    " element instance, incident or variable.",
    409: "The job is not in a state that allows this (e.g. not activated, lease expired).",
    413: "The request body is too large.",
    422: "The Idempotency-Key was already used with a different request body.",
    504: "The instance did not complete within requestTimeout (it keeps running).",
}

Mode = Literal["validation", "serialization"]


@dataclass(frozen=True)
class Parameter:
    """A query or header parameter (path parameters come from the route itself)."""

    name: str
    location: Literal["query", "header"]
    schema: dict[str, Any]
    description: str


@dataclass(frozen=True)
class Operation:
    """What one route takes and answers. ``response`` ``None``: an empty answer when
    ``status`` is 204, else a JSON object not described further."""

    summary: str
    request: type[BaseModel] | None = None
    request_required: bool = True
    response: type[BaseModel] | None = None
    status: int = 200
    media_type: str = "application/json"
    """Of an answer not described by a model (e.g. ``text/xml``)."""
    errors: tuple[int, ...] = ()
    parameters: tuple[Parameter, ...] = ()


def _integer(low: int, high: int) -> dict[str, Any]:
    return {"type": "integer", "minimum": low, "maximum": high}


_EVENT_ID = {"type": "string", "pattern": "^[0-9]{1,18}$"}


_JOB_COMMAND_ERRORS = (400, 404, 409, 413)
# 404: a type holding a control character (a newline) matches no route.
_LIMITS_ERRORS = (400, 404)
_JOB_TYPE_SCHEMA = {"type": "string", "minLength": 1, "maxLength": MAX_TYPE_LENGTH}

OPERATIONS: dict[tuple[str, str], Operation] = {
    ("POST", "/v2/jobs/activation"): Operation(
        "Activate jobs of a type, long-polling up to requestTimeout ms for new ones.",
        JobActivationRequest,
        response=JobActivationResult,
        errors=(400, 413),
    ),
    ("POST", "/v2/jobs/{job_key}/completion"): Operation(
        "Complete an activated job.",
        JobCompletionRequest,
        request_required=False,
        status=204,
        errors=_JOB_COMMAND_ERRORS,
    ),
    ("POST", "/v2/jobs/{job_key}/failure"): Operation(
        "Fail an activated job; retries 0 raises an incident.",
        JobFailRequest,
        request_required=False,
        status=204,
        errors=_JOB_COMMAND_ERRORS,
    ),
    ("POST", "/v2/jobs/{job_key}/error"): Operation(
        "Throw a business (BPMN) error for an activated job.",
        JobErrorRequest,
        status=204,
        errors=_JOB_COMMAND_ERRORS,
    ),
    ("PATCH", "/v2/jobs/{job_key}"): Operation(
        "Change a job's retries and/or its activation timeout.",
        JobUpdateRequest,
        status=204,
        errors=_JOB_COMMAND_ERRORS,
    ),
    ("GET", "/v2/topology"): Operation(
        "The cluster's shape and version.", response=TopologyResponse
    ),
    ("POST", "/v2/deployments"): Operation(
        "Deploy BPMN resources (multipart/form-data: one 'resources' part per file, optional"
        " 'tenantId') in one transaction, versioned per process id; a refusal names every"
        " problem.",
        response=DeploymentResult,
        errors=(400, 413),
    ),
    ("POST", "/v2/process-definitions/search"): Operation(
        "Search process definitions ({filter, sort, page}).",
        ProcessDefinitionSearchQuery,
        request_required=False,
        response=ProcessDefinitionSearchQueryResult,
        errors=(400, 413),
    ),
    ("GET", "/v2/process-definitions/{process_definition_key}"): Operation(
        "One process definition.", response=ProcessDefinitionResult, errors=(400, 404)
    ),
    ("GET", "/v2/process-definitions/{process_definition_key}/xml"): Operation(
        "A process definition's BPMN XML, byte for byte as deployed.",
        media_type="text/xml",
        errors=(400, 404),
    ),
    ("GET", "/v2/resources/{resource_key}"): Operation(
        "A deployed resource (here: a process definition's resource).",
        response=ResourceResult,
        errors=(400, 404),
    ),
    ("GET", "/v2/resources/{resource_key}/content"): Operation(
        "A deployed resource's bytes.", media_type="application/octet-stream", errors=(400, 404)
    ),
    ("POST", "/v2/resources/{resource_key}/deletion"): Operation(
        "Delete a process definition's resource: it is no longer startable nor latest.",
        DeleteResourceRequest,
        request_required=False,
        response=DeleteResourceResponse,
        errors=(400, 404, 413),
    ),
    ("POST", "/v2/process-instances"): Operation(
        "Start a process instance by BPMN process id (+ version) or definition key; with"
        " awaitCompletion, answer once it completed (504 when not in requestTimeout ms).",
        ProcessInstanceCreationInstruction,
        response=CreateProcessInstanceResult,
        errors=(400, 404, 413, 504),
    ),
    ("POST", "/v2/process-instances/search"): Operation(
        "Search process instances ({filter, sort, page}).",
        ProcessInstanceSearchQuery,
        request_required=False,
        response=ProcessInstanceSearchQueryResult,
        errors=(400, 413),
    ),
    ("GET", "/v2/process-instances/{process_instance_key}"): Operation(
        "One process instance.", response=ProcessInstanceResult, errors=(400, 404)
    ),
    ("POST", "/v2/process-instances/{process_instance_key}/cancellation"): Operation(
        "Cancel a process instance: its jobs are cancelled (later reports answer 404).",
        CancelProcessInstanceRequest,
        request_required=False,
        status=204,
        errors=(400, 404, 413),
    ),
    ("POST", "/v2/process-instances/{process_instance_key}/incidents/search"): Operation(
        "Search one process instance's incidents.",
        IncidentSearchQuery,
        request_required=False,
        response=IncidentSearchQueryResult,
        errors=(400, 404, 413),
    ),
    ("GET", "/v2/process-instances/{process_instance_key}/sequence-flows"): Operation(
        "The sequence flows the instance has taken.",
        response=ProcessInstanceSequenceFlowsQueryResult,
        errors=(400, 404),
    ),
    (
        "GET",
        "/v2/process-instances/{process_instance_key}/statistics/element-instances",
    ): Operation(
        "Per element: its instances that are active, completed, cancelled or in an incident.",
        response=ProcessInstanceElementStatisticsQueryResult,
        errors=(400, 404),
    ),
    ("POST", "/v2/element-instances/search"): Operation(
        "Search element instances ({filter, sort, page}).",
        ElementInstanceSearchQuery,
        request_required=False,
        response=ElementInstanceSearchQueryResult,
        errors=(400, 413),
    ),
    ("GET", "/v2/element-instances/{element_instance_key}"): Operation(
        "One element instance.", response=ElementInstanceResult, errors=(400, 404)
    ),
    ("POST", "/v2/incidents/search"): Operation(
        "Search incidents ({filter, sort, page}).",
        IncidentSearchQuery,
        request_required=False,
        response=IncidentSearchQueryResult,
        errors=(400, 413),
    ),
    ("GET", "/v2/incidents/{incident_key}"): Operation(
        "One incident.", response=IncidentResult, errors=(400, 404)
    ),
    ("POST", "/v2/incidents/{incident_key}/resolution"): Operation(
        "Resolve an incident: retry what failed (a job's retries are raised first).",
        IncidentResolutionRequest,
        request_required=False,
        status=204,
        errors=(400, 404, 413),
    ),
    ("POST", "/v2/variables/search"): Operation(
        "Search variables ({filter, sort, page}); each value is its JSON text.",
        VariableSearchQuery,
        request_required=False,
        response=VariableSearchQueryResult,
        errors=(400, 413),
    ),
    ("GET", "/v2/variables/{variable_key}"): Operation(
        "One variable, its full value.", response=VariableResult, errors=(400, 404)
    ),
    ("POST", "/v2/jobs/search"): Operation(
        "Search jobs as Camunda does ({filter, sort, page}); see also /v2/ext/jobs.",
        JobSearchQuery,
        request_required=False,
        response=JobSearchQueryResult,
        errors=(400, 413),
    ),
    ("PUT", "/v2/element-instances/{element_instance_key}/variables"): Operation(
        "Set variables on an element instance: with local on its own scope, else each where"
        " it exists (else the root); one transaction with the instance's step.",
        SetVariableRequest,
        status=204,
        errors=(400, 404, 413),
    ),
    ("POST", "/v2/user-tasks/search"): Operation(
        "Search Camunda user tasks ({filter, sort, page}).",
        UserTaskSearchQuery,
        request_required=False,
        response=UserTaskSearchQueryResult,
        errors=(400, 413),
    ),
    ("GET", "/v2/user-tasks/{user_task_key}"): Operation(
        "One user task.", response=UserTaskResult, errors=(400, 404)
    ),
    ("POST", "/v2/user-tasks/{user_task_key}/assignment"): Operation(
        "Assign a user task; allowOverride false refuses one assigned already (409).",
        UserTaskAssignmentRequest,
        status=204,
        errors=(400, 404, 409, 413),
    ),
    ("POST", "/v2/user-tasks/{user_task_key}/completion"): Operation(
        "Complete a user task with variables: its instance moves on in the same transaction"
        " (409 when the task is not waiting).",
        UserTaskCompletionRequest,
        request_required=False,
        status=204,
        errors=(400, 404, 409, 413),
    ),
    ("PUT", "/v2/clock"): Operation(
        "Pin the engine's clock at a timestamp (epoch ms): it stands still there, and every"
        " timer due by then fires. Only on a broker started with clock control (else 404).",
        ClockPinRequest,
        status=204,
        errors=(400, 404, 413),
    ),
    ("POST", "/v2/clock/reset"): Operation(
        "Give the engine back the wall clock. Only on a broker started with clock control.",
        status=204,
        errors=(404,),
    ),
    ("POST", "/v2/messages/publication"): Operation(
        "Publish a message: correlated once per process (a message start event, else one"
        " waiting subscription with its name and correlation key), then buffered for"
        " timeToLive ms (409 ALREADY_EXISTS: its messageId is buffered already).",
        MessagePublicationRequest,
        response=MessagePublicationResult,
        errors=(400, 409, 413),
    ),
    ("POST", "/v2/messages/correlation"): Operation(
        "Correlate a message now (not buffered): the first instance it reached or started"
        " (404 when nothing waits for it).",
        MessageCorrelationRequest,
        response=MessageCorrelationResult,
        errors=(400, 404, 413),
    ),
    ("POST", "/v2/message-subscriptions/search"): Operation(
        "Search message subscriptions ({filter, sort, page}).",
        MessageSubscriptionSearchQuery,
        request_required=False,
        response=MessageSubscriptionSearchQueryResult,
        errors=(400, 413),
    ),
    ("POST", "/v2/signals/broadcast"): Operation(
        "Broadcast a signal to every waiting signal catch event and signal start event.",
        SignalBroadcastRequest,
        response=SignalBroadcastResult,
        errors=(400, 413),
    ),
    ("GET", "/v2/authentication/me"): Operation(
        "Whom the request's credentials authenticate as (anonymous on an open broker).",
        response=CamundaUserResult,
    ),
    ("GET", "/v2/ext/capabilities"): Operation(
        "The extensions this server speaks beyond the Camunda job API.", response=Capabilities
    ),
    ("POST", "/v2/ext/jobs"): Operation(
        "Create a batch of jobs (durable before the answer). With an Idempotency-Key, the same"
        " key and body within the retention window answers the same job keys, creating"
        " nothing (and the header Idempotent-Replayed: true). A creation's answer carries"
        " Committed-At: the commit's wall-clock time in epoch seconds, to the microsecond."
        " With awaitCompletion, one job whose ending is awaited up to requestTimeout ms;"
        " 504 while it goes on.",
        JobCreationRequest,
        response=JobCreationResult,
        status=201,
        errors=(400, 413, 422, 504),
        parameters=(
            Parameter(
                "Idempotency-Key",
                "header",
                {"type": "string", "minLength": 1, "maxLength": 255},
                "A key unique to this request (e.g. a UUID), scoped per caller; send the same"
                " one when repeating the request.",
            ),
        ),
    ),
    ("GET", "/v2/ext/job-types/limits"): Operation(
        "Every job type that has limits.", response=JobTypeLimitsList
    ),
    ("GET", LIMITS_PATH): Operation(
        "The limits of a job type (null: none of that kind).",
        response=JobTypeLimits,
        errors=_LIMITS_ERRORS,
    ),
    ("PUT", LIMITS_PATH): Operation(
        "Set a job type's limits: most jobs ACTIVATED at once (maxActive) and most"
        " activations per second (rate); null removes that kind.",
        JobTypeLimitsRequest,
        response=JobTypeLimits,
        errors=(*_LIMITS_ERRORS, 413),
    ),
    ("DELETE", LIMITS_PATH): Operation(
        "Remove a job type's limits.", status=204, errors=_LIMITS_ERRORS
    ),
    ("POST", "/v2/ext/jobs/search"): Operation(
        "Search jobs by type and state, newest first, in cursor pages.",
        JobSearchRequest,
        request_required=False,
        response=JobSearchResult,
        errors=(400, 413),
    ),
    ("GET", "/v2/ext/jobs/{job_key}"): Operation(
        "One job with its history.", response=Job, errors=(400, 404)
    ),
    ("POST", "/v2/ext/jobs/{job_key}/cancellation"): Operation(
        "Cancel a job that has not ended.", status=204, errors=(400, 404, 409)
    ),
    ("POST", "/v2/ext/jobs/bulk"): Operation(
        "Retry (jobs in an incident) or cancel every job a filter matches, a page at a time;"
        " answers how many matched, changed and were skipped (by reason).",
        BulkJobsRequest,
        response=BulkJobsResult,
        errors=(400, 413),
    ),
    ("GET", "/v2/ext/jobs/{job_key}/result"): Operation(
        "How a job ended (its result variables, thrown error or incident), long-polling up"
        " to timeout ms (at most 60 s) for it to end; 504 while it goes on.",
        response=JobResult,
        errors=(400, 404, 504),
        parameters=(Parameter("timeout", "query", _integer(0, 2**63 - 1), "Longest wait in ms."),),
    ),
    ("POST", "/v2/ext/jobs/{job_key}/progress"): Operation(
        "Keep the progress (0 to 1, and a message) an activated job's handler reported.",
        JobProgressRequest,
        status=204,
        errors=(400, 404, 409, 413),
    ),
    ("GET", "/v2/ext/events"): Operation(
        "The job event log after a position, as one JSON page (long-polled up to waitMs ms);"
        " with Accept: text/event-stream, as a Server-Sent Events stream instead.",
        response=JobEventPage,
        errors=(400,),
        parameters=(  # the bounds _events.py checks
            Parameter("after", "query", _integer(0, 2**63 - 1), "Resume after this event id."),
            Parameter("type", "query", {"type": "string"}, "Only events of this job type."),
            Parameter("limit", "query", _integer(1, 1_000), "Most events in the page."),
            Parameter("waitMs", "query", _integer(0, 60_000), "Long-poll wait for the first."),
            Parameter("last-event-id", "header", _EVENT_ID, "Resume after this event id."),
        ),
    ),
    ("POST", "/v2/ext/jobs/reports"): Operation(
        "Report many job outcomes in one transaction; each result carries the status its"
        " per-job Camunda call would have answered.",
        JobReportBatch,
        response=JobReportBatchResult,
        errors=(400, 413),
    ),
    ("GET", "/v2/ext/stats"): Operation(
        "Jobs by type and state, throughput per minute, and workers, for dashboards.",
        errors=(400,),
        parameters=(
            Parameter("minutes", "query", _integer(1, MAX_WINDOW_MINUTES), "Throughput window."),
        ),
    ),
    ("GET", OPENAPI_PATH): Operation("This document."),
    ("GET", SCHEDULES_PATH): Operation(
        "Every schedule, by name, with its next run.", response=ScheduleList
    ),
    ("GET", SCHEDULE_PATH): Operation(
        "One schedule: its next run, its last run and last job.",
        response=Schedule,
        errors=(400, 404),
    ),
    ("PUT", SCHEDULE_PATH): Operation(
        "Create or replace a schedule: a job of jobType at each tick of a five-field cron"
        " (in timeZone, default UTC) or of an ISO 8601 interval; exactly one job per tick"
        " across restarts and replicas. overlap: skip (no job while the previous one is"
        " open) or allow; catchUp after downtime: none or one.",
        ScheduleRequest,
        response=Schedule,
        errors=(400, 413),
    ),
    ("DELETE", SCHEDULE_PATH): Operation(
        "Delete a schedule (its jobs stay).", status=204, errors=(400, 404)
    ),
    ("POST", SCHEDULE_PATH + "/pause"): Operation(
        "Stop a schedule's ticks.", response=Schedule, errors=(400, 404)
    ),
    ("POST", SCHEDULE_PATH + "/resume"): Operation(
        "Tick again from the next tick after now.", response=Schedule, errors=(400, 404)
    ),
}


def build_document(routes: Iterable[BaseRoute]) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``routes`` (an app's ``routes``; HEAD is left out)."""
    served = [
        (method, route.path)
        for route in routes
        if isinstance(route, Route) and route.path.startswith("/v2/")
        for method in sorted(route.methods or ())
        if method != "HEAD"
    ]
    described = [OPERATIONS.get(key) for key in served]
    refs, definitions = _schemas([op for op in described if op is not None])
    paths: dict[str, dict[str, Any]] = {}
    for (method, path), operation in zip(served, described, strict=True):
        item = paths.setdefault(openapi_path(path), {})
        item[method.lower()] = (
            _undescribed(method, path)
            if operation is None
            else _operation(method, path, operation, refs)
        )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "sdk broker",
            "version": __version__,
            "description": (
                "The embedded job server: the Camunda 8 REST v2 job API (under /v2) and its own"
                " extensions (under /v2/ext). Errors are RFC 9457 application/problem+json."
            ),
        },
        "paths": paths,
        "components": {"schemas": definitions},
    }


async def openapi_document(request: Request) -> Response:
    """``GET /v2/ext/openapi.json``: built once per app from the routes it serves."""
    body: bytes | None = getattr(request.app.state, "openapi_document", None)
    if body is None:
        body = json.dumps(build_document(request.app.routes)).encode()
        request.app.state.openapi_document = body
    return Response(body, media_type="application/json")


def _schemas(
    operations: list[Operation],
) -> tuple[dict[tuple[type[BaseModel], Mode], dict[str, Any]], dict[str, Any]]:
    """JSON schemas of every model in play, as ``$ref``s into ``components/schemas``."""
    wanted: dict[tuple[type[BaseModel], Mode], None] = {(ProblemDetail, "serialization"): None}
    for op in operations:
        if op.request is not None:
            wanted[(op.request, "validation")] = None
        if op.response is not None:
            wanted[(op.response, "serialization")] = None
    refs, top = models_json_schema(
        list(wanted), by_alias=True, ref_template="#/components/schemas/{model}"
    )
    by_model = {key: refs[key] for key in wanted}  # typed by what was asked for
    return by_model, dict(top.get("$defs", {}))


def openapi_path(path: str) -> str:
    """Starlette's ``{job_key}`` becomes the wire's ``{jobKey}`` (any ``{name:type}`` too)."""
    parts = [
        "{" + to_camel(p[1:-1].split(":")[0]) + "}" if p.startswith("{") and p.endswith("}") else p
        for p in path.split("/")
    ]
    return "/".join(parts)


def _operation(
    method: str,
    path: str,
    op: Operation,
    refs: dict[tuple[type[BaseModel], Mode], dict[str, Any]],
) -> dict[str, Any]:
    problem = {"content": {PROBLEM_JSON: {"schema": refs[(ProblemDetail, "serialization")]}}}
    responses: dict[str, Any] = {}
    if op.response is not None:
        schema = refs[(op.response, "serialization")]
        responses[str(op.status)] = {
            "description": op.summary,
            "content": {"application/json": {"schema": schema}},
        }
    elif op.status == 204:
        responses["204"] = {"description": "Done; the body is empty."}
    else:
        schema = {"type": "object"} if op.media_type == "application/json" else {"type": "string"}
        responses[str(op.status)] = {
            "description": op.summary,
            "content": {op.media_type: {"schema": schema}},
        }
    for status in op.errors:
        responses[str(status)] = {"description": _REASONS[status], **problem}
    operation: dict[str, Any] = {
        "operationId": _operation_id(method, path),
        "summary": op.summary,
        "tags": ["extensions" if path.startswith("/v2/ext/") else "camunda"],
        "responses": responses,
    }
    _add_parameters(operation, path, op.parameters)
    if op.request is not None:
        operation["requestBody"] = {
            "required": op.request_required,
            "content": {"application/json": {"schema": refs[(op.request, "validation")]}},
        }
    return operation


def _undescribed(method: str, path: str) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": _operation_id(method, path),
        "summary": f"{method} {path} (not described in sdk.broker._openapi.OPERATIONS yet)",
        "tags": ["extensions" if path.startswith("/v2/ext/") else "camunda"],
        "responses": {"default": {"description": "Not described yet."}},
    }
    _add_parameters(operation, path)
    return operation


_KEY_SCHEMA: dict[str, Any] = {
    "type": "string",
    "pattern": "^[0-9]{1,19}$",
    "description": "A key: a positive 64-bit integer as a decimal string.",
}
_PATH_SCHEMAS: dict[str, dict[str, Any]] = {
    "job_key": JOB_KEY_SCHEMA,
    "job_type": _JOB_TYPE_SCHEMA,
    "process_definition_key": _KEY_SCHEMA,
    "resource_key": _KEY_SCHEMA,
    "name": {"type": "string", "maxLength": 255, "pattern": SCHEDULE_NAME_PATTERN},
}


def _path_schema(name: str) -> dict[str, Any]:
    """Every ``..._key`` path parameter is a key (so fuzzing can also send what is not one)."""
    if name in _PATH_SCHEMAS:
        return _PATH_SCHEMAS[name]
    return _KEY_SCHEMA if name.endswith("_key") else {"type": "string"}


def _add_parameters(
    operation: dict[str, Any], path: str, extra: tuple[Parameter, ...] = ()
) -> None:
    names = [
        part[1:-1].split(":")[0]
        for part in path.split("/")
        if part.startswith("{") and part.endswith("}")
    ]
    parameters = [
        {
            "name": to_camel(name),
            "in": "path",
            "required": True,
            "schema": _path_schema(name),
        }
        for name in names
    ]
    parameters += [
        {"name": p.name, "in": p.location, "schema": p.schema, "description": p.description}
        for p in extra
    ]
    if parameters:
        operation["parameters"] = parameters


def _operation_id(method: str, path: str) -> str:
    words = [p.strip("{}") for p in path.split("/") if p and p not in {"v2"}]
    camel = (to_camel(w.replace(".", "_")) for w in words)
    return method.lower() + "".join(w[:1].upper() + w[1:] for w in camel)
