"""The process API's wire models against the upstream Camunda v2 processes spec, field by field.

For every operation of the spec, the model of its JSON request and of its JSON answer must have
exactly the spec's properties (through ``$ref``, ``allOf`` and ``oneOf``), the same required
ones (a request exactly; an answer never demands what the spec does not promise), the same
nullability (answers), the same enum values, all the way down; and example bodies built from
the spec's schemas must survive a parse and a dump unchanged. A spec change shows up here.

The spec is upstream reference data under the Camunda License: it is read from the ``shared/``
folder beside the repository and never copied into the project; without it these tests skip.
"""

from __future__ import annotations

import json
import re
import types
from collections.abc import Mapping
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import pytest
import yaml
from pydantic import BaseModel, ValidationError

from sdk.models import (
    CamundaJob,
    CancelProcessInstanceRequest,
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
    JobSearchQuery,
    JobSearchQueryResult,
    MessageCorrelationRequest,
    MessageCorrelationResult,
    MessagePublicationRequest,
    MessagePublicationResult,
    MessageSubscriptionSearchQuery,
    MessageSubscriptionSearchQueryResult,
    ProcessDefinitionResult,
    ProcessDefinitionSearchQuery,
    ProcessDefinitionSearchQueryResult,
    ProcessInstanceCreationInstruction,
    ProcessInstanceElementStatisticsQueryResult,
    ProcessInstanceResult,
    ProcessInstanceSearchQuery,
    ProcessInstanceSearchQueryResult,
    ProcessInstanceSequenceFlowsQueryResult,
    ProcessInstanceState,
    RequestModel,
    ResourceResult,
    ResponseModel,
    SearchQueryPageRequest,
    SetVariableRequest,
    SignalBroadcastRequest,
    SignalBroadcastResult,
    UserTaskAssignmentRequest,
    UserTaskCompletionRequest,
    UserTaskResult,
    UserTaskSearchQuery,
    UserTaskSearchQueryResult,
    VariableResult,
    VariableSearchQuery,
    VariableSearchQueryResult,
)

SPEC_NAME = "camunda-v2-processes.openapi.yaml"
EXAMPLE_VARIANTS = range(4)
"""Examples per body: each picks a different ``oneOf`` variant and enum value (see _example)."""

Schema = Mapping[str, Any]
Spec = Mapping[str, Any]
Problems = list[str]

# operationId -> (model of the JSON request body, model of the JSON 200 answer); None: no JSON
OPERATIONS: dict[str, tuple[type[RequestModel] | None, type[ResponseModel] | None]] = {
    "createDeployment": (None, DeploymentResult),  # the request is multipart
    "getResource": (None, ResourceResult),
    "deleteResource": (DeleteResourceRequest, DeleteResourceResponse),
    "searchProcessDefinitions": (ProcessDefinitionSearchQuery, ProcessDefinitionSearchQueryResult),
    "getProcessDefinition": (None, ProcessDefinitionResult),
    "getProcessDefinitionXML": (None, None),  # the answer is the XML itself
    "createProcessInstance": (ProcessInstanceCreationInstruction, CreateProcessInstanceResult),
    "searchProcessInstances": (ProcessInstanceSearchQuery, ProcessInstanceSearchQueryResult),
    "getProcessInstance": (None, ProcessInstanceResult),
    "cancelProcessInstance": (CancelProcessInstanceRequest, None),
    "searchProcessInstanceIncidents": (IncidentSearchQuery, IncidentSearchQueryResult),
    "getProcessInstanceSequenceFlows": (None, ProcessInstanceSequenceFlowsQueryResult),
    "getProcessInstanceStatistics": (None, ProcessInstanceElementStatisticsQueryResult),
    "searchElementInstances": (ElementInstanceSearchQuery, ElementInstanceSearchQueryResult),
    "getElementInstance": (None, ElementInstanceResult),
    "createElementInstanceVariables": (SetVariableRequest, None),
    "searchIncidents": (IncidentSearchQuery, IncidentSearchQueryResult),
    "getIncident": (None, IncidentResult),
    "resolveIncident": (IncidentResolutionRequest, None),
    "searchVariables": (VariableSearchQuery, VariableSearchQueryResult),
    "getVariable": (None, VariableResult),
    "publishMessage": (MessagePublicationRequest, MessagePublicationResult),
    "correlateMessage": (MessageCorrelationRequest, MessageCorrelationResult),
    "searchMessageSubscriptions": (
        MessageSubscriptionSearchQuery,
        MessageSubscriptionSearchQueryResult,
    ),
    "broadcastSignal": (SignalBroadcastRequest, SignalBroadcastResult),
    "searchUserTasks": (UserTaskSearchQuery, UserTaskSearchQueryResult),
    "getUserTask": (None, UserTaskResult),
    "assignUserTask": (UserTaskAssignmentRequest, None),
    "completeUserTask": (UserTaskCompletionRequest, None),
    "searchJobs": (JobSearchQuery, JobSearchQueryResult),
    "pinClock": (ClockPinRequest, None),
    "resetClock": (None, None),
}
REQUESTS = {op: model for op, (model, _) in OPERATIONS.items() if model is not None}
ANSWERS = {op: model for op, (_, model) in OPERATIONS.items() if model is not None}


def _spec_path() -> Path | None:
    """``shared/`` beside the repository, found from any checkout (a worktree sits deeper)."""
    for folder in Path(__file__).resolve().parents:
        candidate = folder / "shared" / SPEC_NAME
        if candidate.is_file():
            return candidate
    return None


@pytest.fixture(scope="module")
def spec() -> Spec:
    path = _spec_path()
    if path is None:
        pytest.skip(f"Camunda v2 processes spec ({SPEC_NAME}) not found in a shared/ folder")
    with path.open(encoding="utf-8") as fh:
        loaded: Spec = yaml.safe_load(fh)
    return loaded


def _operations(spec: Spec) -> dict[str, Schema]:
    return {
        op["operationId"]: op
        for item in spec["paths"].values()
        for method, op in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    }


def _json_schema(content: Mapping[str, Any] | None) -> Schema | None:
    media = (content or {}).get("application/json")
    return None if media is None else media["schema"]


def _request_schema(operation: Schema) -> Schema | None:
    return _json_schema(operation.get("requestBody", {}).get("content"))


def _answer_schema(spec: Spec, operation: Schema) -> Schema | None:
    answer = operation["responses"].get("200")
    return None if answer is None else _json_schema(_resolve(spec, answer).get("content"))


# -- reading the spec ------------------------------------------------------------------------


def _resolve(spec: Spec, schema: Schema) -> Schema:
    while "$ref" in schema:
        node: Any = spec
        for part in str(schema["$ref"]).removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def _merged(spec: Spec, schema: Schema) -> dict[str, Any]:
    """``schema`` with its ``$ref`` followed and its ``allOf`` parts folded in."""
    schema = _resolve(spec, schema)
    out = {k: v for k, v in schema.items() if k != "allOf"}
    properties = dict(schema.get("properties", {}))
    required = set(schema.get("required", []))
    for part in schema.get("allOf", []):
        folded = _merged(spec, part)
        properties = {**folded.pop("properties", {}), **properties}
        required |= set(folded.pop("required", []))
        out["nullable"] = bool(out.get("nullable")) or bool(folded.pop("nullable", False))
        for key, value in folded.items():
            out.setdefault(key, value)
    if properties:
        out["properties"] = properties
    out["required"] = sorted(required)
    return out


def _variants(spec: Spec, schema: Schema) -> list[dict[str, Any]]:
    return [_merged(spec, v) for v in schema.get("oneOf", [])]


def _union_of_objects(variants: list[dict[str, Any]]) -> dict[str, Any]:
    """One object schema standing for a ``oneOf`` of objects: every variant's properties, and
    only the properties all of them require."""
    properties: dict[str, Any] = {}
    for variant in variants:
        properties.update(variant["properties"])
    required = set.intersection(*(set(v["required"]) for v in variants))
    return {"type": "object", "properties": properties, "required": sorted(required)}


# -- reading the models ----------------------------------------------------------------------


def _members(annotation: Any) -> tuple[list[Any], bool]:
    """The types a field accepts (``Annotated`` and ``NewType`` unwrapped) and whether ``None``."""
    while hasattr(annotation, "__supertype__"):  # a NewType
        annotation = annotation.__supertype__
    origin = get_origin(annotation)
    if origin is Annotated:
        return _members(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        members: list[Any] = []
        nullable = False
        for arg in get_args(annotation):
            inner, inner_nullable = ([], True) if arg is type(None) else _members(arg)
            members += inner
            nullable = nullable or inner_nullable
        return members, nullable
    return [annotation], False


def _enum_values(member: Any) -> list[Any] | None:
    if isinstance(member, type) and issubclass(member, Enum):
        return [m.value for m in member]
    if get_origin(member) is Literal:
        return list(get_args(member))
    return None


def _is_model(member: Any) -> bool:
    return isinstance(member, type) and issubclass(member, BaseModel)


# -- model against schema --------------------------------------------------------------------


def _check(spec: Spec, annotation: Any, schema: Schema, where: str, answer: bool) -> Problems:
    """What differs between a field's type and the schema of its property, one line each."""
    merged = _merged(spec, schema)
    members, _ = _members(annotation)
    if "oneOf" in merged:
        return _check_one_of(spec, members, merged, where, answer)
    if "enum" in merged:
        return _check_enum(members, merged["enum"], where, answer)
    kind = merged.get("type", "object" if "properties" in merged else None)
    if kind == "object":
        return _check_object(spec, members, merged, where, answer)
    if kind == "array":
        lists = [m for m in members if get_origin(m) is list]
        if len(lists) != 1:
            return [f"{where}: the spec says array, the model {members}"]
        return _check(spec, get_args(lists[0])[0], merged["items"], f"{where}[]", answer)
    return _check_scalar(members, kind, where)


def _check_one_of(
    spec: Spec, members: list[Any], merged: Schema, where: str, answer: bool
) -> Problems:
    variants = _variants(spec, merged)
    models = [m for m in members if _is_model(m)]
    if len(models) == len(members) == 1 and all("properties" in v for v in variants):
        # one model standing for all variants (a rule in the model picks among them)
        return _check_fields(spec, models[0], _union_of_objects(variants), where, answer)
    problems = []
    for i, variant in enumerate(variants):
        if not any(not _check(spec, m, variant, where, answer) for m in members):
            problems.append(f"{where}: no type of {members} fits variant {i} of the oneOf")
    for member in members:
        if all(_check(spec, member, v, where, answer) for v in variants):
            problems.append(f"{where}: {member} fits no variant of the oneOf")
    return problems


def _check_enum(members: list[Any], values: list[Any], where: str, answer: bool) -> Problems:
    enums = [v for v in map(_enum_values, members) if v is not None]
    if len(enums) != 1:
        return [f"{where}: the spec has an enum, the model {members}"]
    problems = []
    if sorted(enums[0]) != sorted(values):
        problems.append(f"{where}: enum {sorted(enums[0])}, the spec {sorted(values)}")
    if not answer and str in members:
        problems.append(f"{where}: a request field takes any string where the spec has an enum")
    return problems


def _check_object(
    spec: Spec, members: list[Any], merged: Schema, where: str, answer: bool
) -> Problems:
    if "properties" in merged:
        models = [m for m in members if _is_model(m)]
        if len(models) != 1:
            return [f"{where}: the spec has an object, the model {members}"]
        return _check_fields(spec, models[0], merged, where, answer)
    dicts = [m for m in members if m is dict or get_origin(m) is dict]
    if len(dicts) != 1:
        return [f"{where}: the spec has a map, the model {members}"]
    values = merged.get("additionalProperties", True)
    if isinstance(values, dict) and get_args(dicts[0]):
        return _check(spec, get_args(dicts[0])[1], values, f"{where}{{}}", answer)
    return []


_SCALARS: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
}


def _check_scalar(members: list[Any], kind: str | None, where: str) -> Problems:
    if kind is None:
        return []
    wanted = _SCALARS[kind]
    for member in members:
        literal = _enum_values(member)
        if member in wanted or (literal and all(type(v) in wanted for v in literal)):
            return []
    return [f"{where}: the spec says {kind}, the model {members}"]


def _field_names(model: type[BaseModel]) -> dict[str, str]:
    """Wire name -> attribute name."""
    return {
        (info.serialization_alias or info.alias or name): name
        for name, info in model.model_fields.items()
    }


def _check_fields(
    spec: Spec, model: type[BaseModel], merged: Schema, where: str, answer: bool
) -> Problems:
    where = f"{where}({model.__name__})"
    properties: dict[str, Any] = merged["properties"]
    required = set(merged["required"])
    names = _field_names(model)
    problems = [f"{where}.{p}: in the spec, not in the model" for p in properties if p not in names]
    problems += [
        f"{where}.{n}: in the model, not in the spec" for n in names if n not in properties
    ]
    for wire, prop in properties.items():
        if wire in names:
            info = model.model_fields[names[wire]]
            problems += _check_presence(
                spec,
                info.is_required(),
                info.annotation,
                prop,
                wire in required,
                f"{where}.{wire}",
                answer,
            )
            problems += _check(spec, info.annotation, prop, f"{where}.{wire}", answer)
    return problems


def _check_presence(
    spec: Spec,
    model_required: bool,
    annotation: Any,
    prop: Schema,
    spec_required: bool,
    where: str,
    answer: bool,
) -> Problems:
    spec_nullable = bool(_merged(spec, prop).get("nullable"))
    _, model_nullable = _members(annotation)
    if not answer:
        if model_required != spec_required:
            return [f"{where}: required {model_required} in the model, {spec_required} in the spec"]
        return []
    problems = []
    if model_required and not spec_required:
        problems.append(f"{where}: the model requires what the spec does not promise")
    if spec_nullable != model_nullable:
        problems.append(
            f"{where}: nullable {model_nullable} in the model, {spec_nullable} in the spec"
        )
    return problems


def _problems(spec: Spec, model: type[BaseModel], schema: Schema, answer: bool) -> Problems:
    return _check(spec, model, schema, "body", answer)


# -- example bodies from the schemas ---------------------------------------------------------

_STRINGS = ["order_1", "2251799813685249", "<default>", "YWJjZA=="]
"""Candidates for a string with a pattern: the first the pattern accepts is used."""
_DATE_TIME = "2024-05-01T10:00:00.000Z"


def _string(schema: Schema) -> str:
    if schema.get("format") == "date-time":
        return _DATE_TIME
    pattern = schema.get("pattern")
    if pattern is None:
        return _STRINGS[0]
    # Python's re has no \p classes; these ASCII stand-ins are enough for examples
    pattern = str(pattern).replace(r"\p{L}", "A-Za-z").replace(r"\p{N}", "0-9")
    for candidate in _STRINGS:
        if re.search(pattern, candidate):
            return candidate
    raise AssertionError(f"no example string for the pattern {pattern}")


def _integer(schema: Schema) -> int:
    value = int(schema.get("minimum", 1))
    return min(value, int(schema["maximum"])) if "maximum" in schema else value


def _example(spec: Spec, schema: Schema, k: int, full: bool) -> Any:
    """A body valid for ``schema``: every property if ``full``, else only the required ones;
    ``k`` picks the ``oneOf`` variant and the enum value, so examples differ from one another."""
    merged = _merged(spec, schema)
    if "oneOf" in merged:
        return _one_of_example(spec, merged, k, full)
    if "enum" in merged:
        return merged["enum"][k % len(merged["enum"])]
    kind = merged.get("type", "object" if "properties" in merged else None)
    if kind == "object":
        if "properties" not in merged:
            values = merged.get("additionalProperties")
            return {"key": _example(spec, values, k, full) if isinstance(values, dict) else 1}
        wanted = set(merged["required"])
        return {
            name: _example(spec, prop, k, full)
            for name, prop in merged["properties"].items()
            if full or name in wanted
        }
    if kind == "array":
        return [_example(spec, merged["items"], k, full)]
    return _scalar_example(merged, str(kind))


def _scalar_example(merged: Schema, kind: str) -> Any:
    if kind == "string":
        return _string(merged)
    if kind == "integer":
        return _integer(merged)
    return {"boolean": True, "number": 1.5}[kind]


def _one_of_example(spec: Spec, merged: Schema, k: int, full: bool) -> Any:
    variants = merged["oneOf"]
    chosen = variants[k % len(variants)]
    value = _example(spec, chosen, k, full)
    discriminator = merged.get("discriminator")
    if discriminator and isinstance(value, dict):
        tag = {ref: name for name, ref in discriminator["mapping"].items()}[chosen["$ref"]]
        value[discriminator["propertyName"]] = tag
    return value


def _contains(whole: Any, part: Any) -> bool:
    """Whether ``whole`` has everything ``part`` has (a dump may add the model's defaults)."""
    if isinstance(part, dict):
        return isinstance(whole, dict) and all(
            k in whole and _contains(whole[k], v) for k, v in part.items()
        )
    if isinstance(part, list):
        return (
            isinstance(whole, list)
            and len(whole) == len(part)
            and all(_contains(w, p) for w, p in zip(whole, part, strict=True))
        )
    return bool(whole == part)


# -- the tests -------------------------------------------------------------------------------


def test_every_operation_of_the_spec_has_its_models(spec: Spec) -> None:
    operations = _operations(spec)
    assert sorted(operations) == sorted(OPERATIONS)
    for name, (request, answer) in OPERATIONS.items():
        operation = operations[name]
        assert (request is None) == (_request_schema(operation) is None), name
        assert (answer is None) == (_answer_schema(spec, operation) is None), name


@pytest.mark.parametrize("operation", sorted(REQUESTS))
def test_request_model_is_the_spec_schema(spec: Spec, operation: str) -> None:
    schema = _request_schema(_operations(spec)[operation])
    assert schema is not None
    problems = _problems(spec, REQUESTS[operation], schema, answer=False)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("operation", sorted(ANSWERS))
def test_answer_model_is_the_spec_schema(spec: Spec, operation: str) -> None:
    schema = _answer_schema(spec, _operations(spec)[operation])
    assert schema is not None
    problems = _problems(spec, ANSWERS[operation], schema, answer=True)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("k", EXAMPLE_VARIANTS)
@pytest.mark.parametrize("operation", sorted(REQUESTS))
def test_request_examples_round_trip(spec: Spec, operation: str, k: int) -> None:
    schema = _request_schema(_operations(spec)[operation])
    assert schema is not None
    model = REQUESTS[operation]
    for full in (True, False):
        body = _example(spec, schema, k, full)
        parsed = model.model_validate_json(json.dumps(body))
        assert json.loads(parsed.to_wire()) == body


@pytest.mark.parametrize("k", EXAMPLE_VARIANTS)
@pytest.mark.parametrize("operation", sorted(ANSWERS))
def test_answer_examples_round_trip(spec: Spec, operation: str, k: int) -> None:
    schema = _answer_schema(spec, _operations(spec)[operation])
    assert schema is not None
    model = ANSWERS[operation]
    full = _example(spec, schema, k, full=True)
    assert json.loads(model.model_validate_json(json.dumps(full)).to_wire()) == full
    minimal = _example(spec, schema, k, full=False)
    dumped = json.loads(model.model_validate_json(json.dumps(minimal)).to_wire())
    assert _contains(dumped, minimal)


@pytest.mark.parametrize("operation", sorted(REQUESTS))
def test_request_models_refuse_unknown_fields(spec: Spec, operation: str) -> None:
    schema = _request_schema(_operations(spec)[operation])
    assert schema is not None
    body = {**_example(spec, schema, 0, full=False), "notInTheSpec": 1}
    with pytest.raises(ValidationError):
        REQUESTS[operation].model_validate_json(json.dumps(body))


# -- behaviour the spec states in words ------------------------------------------------------


class TestSearchShape:
    def test_a_filter_property_is_a_value_or_operators(self) -> None:
        body = {
            "filter": {
                "state": "ACTIVE",
                "processDefinitionId": {"$like": "order*", "$notIn": ["old"]},
                "startDate": {"$gte": _DATE_TIME},
                "$or": [{"hasIncident": True}, {"processInstanceKey": {"$in": ["1", "2"]}}],
            },
            "sort": [{"field": "startDate", "order": "DESC"}],
            "page": {"limit": 10, "after": "YWJjZA=="},
        }
        query = ProcessInstanceSearchQuery.model_validate_json(json.dumps(body))
        assert query.filter is not None
        assert query.filter.state is ProcessInstanceState.ACTIVE
        assert json.loads(query.to_wire()) == body

    @pytest.mark.parametrize(
        "filter_",
        [
            {"state": {"$notIn": ["ACTIVE"]}},  # the state filter has no $notIn
            {"state": "RUNNING"},
            {"processDefinitionVersion": {"$like": "1*"}},  # integers have no $like
            {"processInstanceKey": "not-a-key"},
            {"processInstanceKey": {"$eq": "1", "$almost": "2"}},
        ],
    )
    def test_an_operator_the_spec_lacks_is_refused(self, filter_: dict[str, Any]) -> None:
        with pytest.raises(ValidationError):
            ProcessInstanceSearchQuery.model_validate_json(json.dumps({"filter": filter_}))

    @pytest.mark.parametrize(
        "page",
        [{"from": 0, "after": "YWJj"}, {"after": "YWJj", "before": "YWJj"}, {"limit": 10_001}],
    )
    def test_a_page_has_one_position(self, page: dict[str, Any]) -> None:
        with pytest.raises(ValidationError):
            SearchQueryPageRequest.model_validate_json(json.dumps(page))

    def test_an_offset_page_may_be_larger_than_a_cursor_page(self) -> None:
        page = SearchQueryPageRequest.model_validate_json('{"from": 0, "limit": 20000}')
        assert page.limit == 20_000


class TestAnswers:
    def test_an_enum_value_a_newer_server_adds_stays_a_string(self) -> None:
        known = ProcessInstanceResult.model_validate_json(
            '{"processInstanceKey": "1", "state": "COMPLETED"}'
        )
        newer = ProcessInstanceResult.model_validate_json(
            '{"processInstanceKey": "1", "state": "ARCHIVED"}'
        )
        assert known.state is ProcessInstanceState.COMPLETED
        assert newer.state == "ARCHIVED"

    def test_every_field_is_present_in_a_dump(self) -> None:
        job = CamundaJob.model_validate_json('{"jobKey": "1", "type": "t", "state": "CREATED"}')
        dumped = json.loads(job.to_wire())
        assert dumped["deadline"] is None
        assert dumped["kind"] == "BPMN_ELEMENT"
        assert len(dumped) == len(CamundaJob.model_fields)


def test_creation_by_key_accepts_and_ignores_a_version_as_camunda_does() -> None:
    body = '{"processDefinitionKey": "1", "processDefinitionVersion": -1}'
    assert ProcessInstanceCreationInstruction.model_validate_json(body).process_definition_key
