"""Client errors: each is ``application/problem+json`` with all five fields, never a 500."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from sdk.client import AsyncClient

pytestmark = pytest.mark.anyio

PROBLEM_FIELDS = {"type", "title", "status", "detail", "instance"}
MAX_BODY_BYTES = 4 * 1024 * 1024
INT64_MAX = 2**63 - 1
UNKNOWN_KEY = "2251799813685248"
"""A well-formed job key the broker never hands out (one below its first key)."""

VALID_ACTIVATION: dict[str, Any] = {
    "type": "charge-card",
    "worker": "w",
    "timeout": 1_000,
    "maxJobsToActivate": 1,
    "requestTimeout": -1,
}


@pytest.fixture
def store_path() -> str:
    """Errors are answered the same over either store; the job semantics run on both."""
    return ":memory:"


def activation(**changes: Any) -> bytes:
    """A valid activation body with ``changes`` applied (a value of ``...`` drops the field)."""
    body = {**VALID_ACTIVATION, **changes}
    return json.dumps({k: v for k, v in body.items() if v is not ...}).encode()


def as_json(value: Any) -> bytes:
    return json.dumps(value).encode()


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The response is a complete problem+json body with ``status``; returns the body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert set(body) == PROBLEM_FIELDS
    assert body["status"] == status
    assert body["instance"] == response.request.url.path
    for text_field in ("type", "title", "detail"):
        assert isinstance(body[text_field], str) and body[text_field], text_field
    return body


async def send(http: httpx.AsyncClient, method: str, path: str, content: bytes) -> httpx.Response:
    headers = {"content-type": "application/json"}
    return await http.request(method, path, content=content, headers=headers)


BAD_REQUESTS = [
    # -- malformed bodies --
    pytest.param("POST", "/jobs/activation", b'{"type": "a",', "JSON", id="malformed-json"),
    pytest.param("POST", "/jobs/activation", b"[1, 2]", "object", id="json-array-not-object"),
    pytest.param("POST", "/jobs/activation", b"", "missing", id="empty-required-body"),
    pytest.param(
        "POST", "/jobs/activation", b'{"type": "\xff\xfe"}', "JSON", id="invalid-utf8-in-string"
    ),
    pytest.param("POST", "/jobs/activation", b"\xff\xfe\x00", "JSON", id="invalid-utf8-body"),
    # -- wrong field types --
    pytest.param("POST", "/jobs/activation", activation(type=5), "type", id="type-not-string"),
    pytest.param(
        "POST",
        "/jobs/activation",
        activation(maxJobsToActivate="many"),
        "maxJobsToActivate",
        id="max-jobs-not-integer",
    ),
    pytest.param(
        "POST", "/jobs/activation", activation(timeout=1.5), "timeout", id="timeout-fractional"
    ),
    pytest.param(
        "POST",
        "/jobs/activation",
        activation(fetchVariable="amount"),
        "fetchVariable",
        id="fetch-variable-not-list",
    ),
    pytest.param(
        "POST",
        f"/jobs/{UNKNOWN_KEY}/completion",
        as_json({"variables": [1, 2]}),
        "variables",
        id="completion-variables-not-object",
    ),
    pytest.param(
        "POST",
        f"/jobs/{UNKNOWN_KEY}/failure",
        as_json({"retries": "three"}),
        "retries",
        id="failure-retries-not-integer",
    ),
    # -- unknown fields --
    pytest.param(
        "POST", "/jobs/activation", activation(colour="red"), "colour", id="activation-unknown"
    ),
    pytest.param(
        "POST",
        f"/jobs/{UNKNOWN_KEY}/completion",
        as_json({"variables": {}, "outcome": "ok"}),
        "outcome",
        id="completion-unknown",
    ),
    pytest.param(
        "PATCH",
        f"/jobs/{UNKNOWN_KEY}",
        as_json({"changeset": {"retries": 1, "owner": "me"}}),
        "owner",
        id="changeset-unknown",
    ),
    # -- missing required fields --
    pytest.param("POST", "/jobs/activation", activation(type=...), "type", id="missing-type"),
    pytest.param(
        "POST", "/jobs/activation", activation(timeout=...), "timeout", id="missing-timeout"
    ),
    pytest.param(
        "POST",
        "/jobs/activation",
        activation(maxJobsToActivate=...),
        "maxJobsToActivate",
        id="missing-max-jobs",
    ),
    pytest.param(
        "POST",
        f"/jobs/{UNKNOWN_KEY}/error",
        as_json({"errorMessage": "no code"}),
        "errorCode",
        id="missing-error-code",
    ),
    pytest.param("PATCH", f"/jobs/{UNKNOWN_KEY}", as_json({}), "changeset", id="missing-changeset"),
    pytest.param("POST", "/ext/jobs", as_json({}), "jobs", id="missing-jobs-to-create"),
    # -- values out of range --
    pytest.param(
        "POST",
        "/jobs/activation",
        activation(maxJobsToActivate=0),
        "maxJobsToActivate",
        id="max-jobs-zero",
    ),
    pytest.param(
        "POST",
        "/jobs/activation",
        activation(maxJobsToActivate=2**40),
        "maxJobsToActivate",
        id="max-jobs-2**40",
    ),
    pytest.param(
        "POST", "/jobs/activation", activation(timeout=-1), "timeout", id="negative-timeout"
    ),
    pytest.param("POST", "/jobs/activation", activation(timeout=0), "timeout", id="zero-timeout"),
    pytest.param("POST", "/jobs/activation", activation(type=""), "type", id="empty-job-type"),
    pytest.param(
        "POST",
        f"/jobs/{UNKNOWN_KEY}/failure",
        as_json({"retries": -1}),
        "retries",
        id="negative-retries",
    ),
    pytest.param(
        "POST",
        f"/jobs/{UNKNOWN_KEY}/failure",
        as_json({"retries": 1, "retryBackOff": -5}),
        "retryBackOff",
        id="negative-back-off",
    ),
    pytest.param(
        "PATCH",
        f"/jobs/{UNKNOWN_KEY}",
        as_json({"changeset": {}}),
        "changeset",
        id="empty-changeset",
    ),
    pytest.param(
        "PATCH",
        f"/jobs/{UNKNOWN_KEY}",
        as_json({"changeset": {"timeout": -1}}),
        "timeout",
        id="negative-changeset-timeout",
    ),
    # -- bad job keys in the path --
    pytest.param("POST", "/jobs/abc/completion", b"{}", "jobKey", id="key-not-numeric"),
    pytest.param("POST", "/jobs/-1/completion", b"{}", "jobKey", id="key-negative"),
    pytest.param("POST", "/jobs/1.5/failure", b"{}", "jobKey", id="key-fractional"),
    pytest.param("PATCH", f"/jobs/{INT64_MAX + 1}", b"{}", "jobKey", id="key-beyond-int64"),
    pytest.param(
        "POST", "/jobs/%C2%B2/completion", b"{}", "jobKey", id="key-non-ascii-digit"
    ),  # "²" passes str.isdigit() but not int()
    pytest.param(
        "POST",
        "/ext/jobs/search",
        as_json({"after": str(INT64_MAX + 1)}),
        "after",
        id="search-cursor-beyond-int64",
    ),
    pytest.param("GET", "/ext/jobs/99999999999999999999", b"", "jobKey", id="ext-key-too-long"),
]


@pytest.mark.parametrize(("method", "path", "content", "mentions"), BAD_REQUESTS)
async def test_bad_request_answers_400_problem(
    http: httpx.AsyncClient, method: str, path: str, content: bytes, mentions: str
) -> None:
    response = await send(http, method, path, content)

    body = assert_problem(response, 400)
    assert mentions in body["detail"]


@pytest.mark.parametrize(
    "path",
    [
        f"/jobs/{UNKNOWN_KEY}/completion",
        f"/jobs/{UNKNOWN_KEY}/failure",
        f"/jobs/{INT64_MAX}/completion",
        "/jobs/0/completion",
    ],
    ids=["completion", "failure", "int64-max", "zero"],
)
async def test_unknown_job_key_answers_404(http: httpx.AsyncClient, path: str) -> None:
    assert_problem(await send(http, "POST", path, b"{}"), 404)


async def test_unknown_job_key_answers_404_on_every_job_route(http: httpx.AsyncClient) -> None:
    responses = [
        await send(http, "POST", f"/jobs/{UNKNOWN_KEY}/error", as_json({"errorCode": "E"})),
        await send(http, "PATCH", f"/jobs/{UNKNOWN_KEY}", as_json({"changeset": {"retries": 1}})),
        await http.get(f"/ext/jobs/{UNKNOWN_KEY}"),
    ]

    for response in responses:
        assert_problem(response, 404)


class TestWrongState:
    @pytest.fixture
    async def waiting_job(self, api: AsyncClient) -> str:
        """A job that was created and never activated."""
        return await api.create_job("charge-card")

    @pytest.mark.parametrize(
        ("suffix", "content"),
        [
            ("/completion", b"{}"),
            ("/failure", as_json({"retries": 1})),
            ("/error", as_json({"errorCode": "E"})),
        ],
        ids=["complete", "fail", "throw-error"],
    )
    async def test_reporting_a_job_that_is_not_activated_answers_409(
        self,
        http: httpx.AsyncClient,
        api: AsyncClient,
        waiting_job: str,
        suffix: str,
        content: bytes,
    ) -> None:
        response = await send(http, "POST", f"/jobs/{waiting_job}{suffix}", content)

        assert_problem(response, 409)
        job = await api.get_job(waiting_job)
        assert job.state.value == "ACTIVATABLE"
        assert job.retries == 3

    async def test_failing_an_incident_answers_409(
        self, http: httpx.AsyncClient, api: AsyncClient, waiting_job: str
    ) -> None:
        await api.activate_jobs("charge-card", max_jobs=1, timeout_ms=60_000, request_timeout_ms=-1)
        await api.fail_job(waiting_job, retries=0)

        response = await send(http, "POST", f"/jobs/{waiting_job}/failure", b"{}")

        assert_problem(response, 409)

    async def test_patching_the_timeout_of_a_job_that_is_not_activated_answers_409(
        self, http: httpx.AsyncClient, waiting_job: str
    ) -> None:
        response = await send(
            http, "PATCH", f"/jobs/{waiting_job}", as_json({"changeset": {"timeout": 1_000}})
        )

        assert_problem(response, 409)

    async def test_patching_a_completed_job_answers_404(
        self, http: httpx.AsyncClient, api: AsyncClient, waiting_job: str
    ) -> None:
        await api.activate_jobs("charge-card", max_jobs=1, timeout_ms=60_000, request_timeout_ms=-1)
        await api.complete_job(waiting_job)

        response = await send(
            http, "PATCH", f"/jobs/{waiting_job}", as_json({"changeset": {"retries": 5}})
        )

        assert_problem(response, 404)


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/nothing-here"),
        ("POST", f"/jobs/{UNKNOWN_KEY}/unknown-action"),
        ("GET", "/ext"),
        ("GET", "/../metrics"),  # httpx resolves the dot segment: GET /metrics
    ],
    ids=["v2-unknown", "job-unknown-action", "ext-root", "outside-v2"],
)
async def test_unknown_route_answers_404(http: httpx.AsyncClient, method: str, url: str) -> None:
    assert_problem(await http.request(method, url), 404)


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/jobs/activation"),
        ("DELETE", f"/jobs/{UNKNOWN_KEY}"),
        ("PUT", "/topology"),
        ("GET", f"/jobs/{UNKNOWN_KEY}/completion"),
    ],
    ids=["get-activation", "delete-job", "put-topology", "get-completion"],
)
async def test_wrong_method_answers_405(http: httpx.AsyncClient, method: str, url: str) -> None:
    assert_problem(await http.request(method, url), 405)


async def test_wrong_method_names_the_allowed_methods(http: httpx.AsyncClient) -> None:
    response = await http.get("/jobs/activation")

    assert_problem(response, 405)
    assert response.headers.get("allow") == "POST"


class TestBodySize:
    async def test_body_over_4_mib_answers_413(self, http: httpx.AsyncClient) -> None:
        content = activation(worker="x" * (MAX_BODY_BYTES + 1))

        assert_problem(await send(http, "POST", "/jobs/activation", content), 413)

    async def test_streamed_body_over_4_mib_answers_413(self, http: httpx.AsyncClient) -> None:
        chunk = b" " * (1024 * 1024)

        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(5):  # 5 MiB, sent without a content-length
                yield chunk

        response = await http.post("/jobs/activation", content=chunks())

        assert "content-length" not in response.request.headers
        assert_problem(response, 413)

    async def test_body_of_exactly_4_mib_is_accepted(self, http: httpx.AsyncClient) -> None:
        content = activation()
        padded = content[:-1] + b" " * (MAX_BODY_BYTES - len(content)) + b"}"
        assert len(padded) == MAX_BODY_BYTES

        response = await send(http, "POST", "/jobs/activation", padded)

        assert response.status_code == 200
        assert response.json() == {"jobs": []}
