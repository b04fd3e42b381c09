"""The broker's own OpenAPI document is served, valid, complete, and survives fuzzing.

schemathesis generates requests from the document (valid ones, and invalid ones: wrong types,
missing fields, unknown fields, malformed keys) and sends them to a real broker on loopback.
Every answer must be documented, never a 5xx, and every error must be problem+json with all
five fields. Examples are bounded so the module runs in seconds.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import partial
from typing import Any

import anyio.from_thread
import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import Case, GenerationMode, Response
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.schemas import BaseSchema

from sdk.broker import JobStore, create_app, serve
from sdk.broker._problems import PROBLEM_JSON
from sdk.broker.http._openapi import OPENAPI_PATH, OPERATIONS, build_document, openapi_path

EXAMPLES = 25
"""Per operation and generation mode: ~15 operations x 2 modes x 25 stays near 15 s."""
THOROUGH_EXAMPLES = 400
"""The same with ``--run-slow``."""
PROBLEM_FIELDS = {"type", "title", "status", "detail", "instance"}
INT64_MAX = 2**63 - 1
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    """A broker on loopback, run by an event loop in a background thread (schemathesis sends
    its requests synchronously)."""
    with anyio.from_thread.start_blocking_portal() as portal:
        task, broker = portal.start_task(partial(serve, ":memory:", "127.0.0.1", 0))
        yield broker.url.removesuffix("/v2")
        task.cancel()


@pytest.fixture(scope="module")
def document() -> Iterator[dict[str, Any]]:
    """The document of an app as ``create_app`` builds it (no server needed)."""
    store = JobStore(":memory:")
    try:
        yield build_document(create_app(store).routes)
    finally:
        anyio.run(store.aclose)


@pytest.fixture(scope="module")
def api(origin: str) -> BaseSchema:
    return schemathesis.openapi.from_url(f"{origin}{OPENAPI_PATH}")


class TestDocument:
    def test_is_served_as_json_and_is_valid_openapi_3_1(self, origin: str, api: BaseSchema) -> None:
        response = httpx.get(f"{origin}{OPENAPI_PATH}")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        document = response.json()
        assert document["openapi"] == "3.1.0"
        api.validate()  # against the OpenAPI 3.1 meta-schema

    def test_lists_every_route_the_app_serves(self, document: dict[str, Any]) -> None:
        listed = {
            (method.upper(), path) for path, item in document["paths"].items() for method in item
        }
        for method, path in OPERATIONS:
            assert (method, openapi_path(path)) in listed

    def test_every_rest_route_is_described_so_it_gets_fuzzed(
        self, document: dict[str, Any]
    ) -> None:
        undescribed = [
            f"{method.upper()} {path}"
            for path, item in document["paths"].items()
            for method, operation in item.items()
            if "not described" in operation["summary"]
        ]
        assert undescribed == [], "add these routes to sdk.broker.http._openapi.OPERATIONS"

    def test_every_described_operation_documents_its_errors_as_problems(
        self, document: dict[str, Any]
    ) -> None:
        for item in document["paths"].values():
            for operation in item.values():
                for status, answer in operation["responses"].items():
                    if status.startswith("4"):
                        assert list(answer["content"]) == [PROBLEM_JSON]

    def test_request_schemas_come_from_the_models(self, document: dict[str, Any]) -> None:
        activation = document["components"]["schemas"]["JobActivationRequest"]
        assert activation["additionalProperties"] is False
        assert set(activation["required"]) == {"type", "timeout", "maxJobsToActivate"}
        assert json.dumps(document)  # plain JSON, nothing left unserialisable


def _valid_wait(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= INT64_MAX


def _clamp_long_polls(case: Case[Any]) -> None:
    """Answer at once where the broker would long-poll: an activation with no job waits
    ``requestTimeout`` (10 s when absent), an event page ``waitMs``, an awaited creation or a
    job's result their timeouts. Invalid values (too big, not an int) are left alone: they are
    refused at once."""
    if case.operation.path == "/v2/jobs/activation" and isinstance(case.body, dict):
        timeout = case.body.get("requestTimeout")
        if timeout is None or _valid_wait(timeout):
            case.body["requestTimeout"] = -1
    if case.operation.path == "/v2/ext/jobs" and isinstance(case.body, dict):
        timeout = case.body.get("requestTimeout")
        if case.body.get("awaitCompletion") is True and (timeout is None or _valid_wait(timeout)):
            case.body["requestTimeout"] = 1  # an awaited creation: 504 at once, no worker
    if case.operation.path.endswith("/result") and isinstance(case.query, dict):
        wait = case.query.get("timeout")
        if wait is not None and _valid_wait(wait):
            case.query["timeout"] = 0
    if case.operation.path == "/v2/ext/events" and isinstance(case.query, dict):
        wait = case.query.get("waitMs")
        if wait is not None and _valid_wait(wait):
            case.query["waitMs"] = 0


def assert_problem_json(response: Response) -> None:
    if response.status_code < 400:
        return
    (content_type,) = response.headers["content-type"]
    assert content_type.split(";")[0] == PROBLEM_JSON, response.content
    body = json.loads(response.content)
    assert set(body) == PROBLEM_FIELDS, body
    assert body["status"] == response.status_code
    assert isinstance(body["detail"], str) and body["detail"]


def _cases() -> list[tuple[str, str, str]]:
    """Every described operation with valid data, and with invalid data where it takes any."""
    cases = []
    for (method, path), operation in sorted(OPERATIONS.items()):
        cases.append((method, path, "positive"))
        if operation.request is not None or "{" in path:
            cases.append((method, path, "negative"))
    return cases


def fuzz_operation(
    api: BaseSchema, origin: str, method: str, path: str, mode: str, examples: int
) -> None:
    operation = api[openapi_path(path)][method]
    checks = [*CHECKS, negative_data_rejection] if mode == "negative" else CHECKS

    @given(case=operation.as_strategy(generation_mode=GenerationMode(mode)))
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case: Case[Any]) -> None:
        _clamp_long_polls(case)
        response = case.call(base_url=origin, timeout=30)
        if response.status_code == 413:  # a rejection too, which schemathesis does not count
            case.validate_response(response, checks=CHECKS)
        else:
            case.validate_response(response, checks=checks)
        assert_problem_json(response)

    fuzz()


@pytest.mark.parametrize(("method", "path", "mode"), _cases())
def test_fuzzed_requests_get_documented_answers_and_never_a_5xx(
    api: BaseSchema, origin: str, method: str, path: str, mode: str
) -> None:
    fuzz_operation(api, origin, method, path, mode, EXAMPLES)


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize(("method", "path", "mode"), _cases())
def test_fuzzed_thoroughly(api: BaseSchema, origin: str, method: str, path: str, mode: str) -> None:
    fuzz_operation(api, origin, method, path, mode, THOROUGH_EXAMPLES)
