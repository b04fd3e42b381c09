"""Hostile and malformed requests get a clear 4xx problem+json answer, never a 500.

Sent as raw bytes to a real broker on loopback, so nothing of our client's validation helps.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
import pytest

from sdk.broker import RunningBroker, serve
from sdk.broker._defaults import MAX_BODY_BYTES
from sdk.broker.http._request import MAX_JSON_DEPTH
from sdk.models import ProblemDetail
from sdk.testing import client_for

pytestmark = pytest.mark.anyio

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
PROBLEM_FIELDS = {"type", "title", "status", "detail", "instance"}
UNKNOWN_KEY = "2251799813685248"  # one below the first key the broker hands out
KEYED_ROUTES = [
    ("POST", "/jobs/{key}/completion", {}),
    ("POST", "/jobs/{key}/failure", {"retries": 1}),
    ("POST", "/jobs/{key}/error", {"errorCode": "E"}),
    ("PATCH", "/jobs/{key}", {"changeset": {"retries": 1}}),
    ("GET", "/ext/jobs/{key}", None),
    ("POST", "/ext/jobs/{key}/cancellation", None),
]
BAD_KEYS = ["abc", "12abc", "-1", "1e3", "0x10", "1.0", "²", "%20%31", "9" * 20, str(2**63)]


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
async def broker() -> AsyncIterator[RunningBroker]:
    """One broker for the module: these tests only send requests, each of its own job type
    where the state matters."""
    async with anyio.create_task_group() as tg:
        running: RunningBroker = await tg.start(serve, ":memory:", "127.0.0.1", 0)
        yield running
        tg.cancel_scope.cancel()


@pytest.fixture
async def http(broker: RunningBroker) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=broker.url, timeout=30) as client:
        yield client


def problem(response: httpx.Response, status: int) -> ProblemDetail:
    """The answer is ``status`` with a complete problem+json body; returns the problem."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert set(body) == PROBLEM_FIELDS
    parsed = ProblemDetail.model_validate(body)
    assert parsed.status == status
    assert parsed.detail
    return parsed


async def post_raw(http: httpx.AsyncClient, path: str, body: bytes) -> httpx.Response:
    return await http.post(path, content=body, headers={"content-type": "application/json"})


def nested(depth: int, leaf: bytes = b"1") -> bytes:
    """``depth`` levels of alternating arrays and objects around ``leaf``."""
    opening, closing = b"", b""
    for level in range(depth):
        if level % 2:
            opening, closing = opening + b'{"k":', b"}" + closing
        else:
            opening, closing = opening + b"[", b"]" + closing
    return opening + leaf + closing


async def activated_key(http: httpx.AsyncClient, job_type: str = "t") -> str:
    created = await http.post("/ext/jobs", json={"jobs": [{"type": job_type}]})
    assert created.status_code == 201
    answer = await http.post(
        "/jobs/activation",
        json={"type": job_type, "timeout": 60_000, "maxJobsToActivate": 1, "requestTimeout": -1},
    )
    (job,) = answer.json()["jobs"]
    return str(job["jobKey"])


class TestNesting:
    @pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 200, 100_000])
    async def test_too_deep_variables_are_refused_with_400(
        self, http: httpx.AsyncClient, depth: int
    ) -> None:
        started = time.perf_counter()
        body = b'{"jobs":[{"type":"t","variables":{"v":' + nested(depth) + b"}}]}"
        detail = problem(await post_raw(http, "/ext/jobs", body), 400).detail
        assert f"deeper than {MAX_JSON_DEPTH} levels" in detail
        assert time.perf_counter() - started < 5

    async def test_too_deep_result_variables_are_refused_on_every_command(
        self, http: httpx.AsyncClient
    ) -> None:
        key = await activated_key(http)
        deep = b'{"variables":{"v":' + nested(MAX_JSON_DEPTH) + b"}"
        for path, extra in [("completion", b"}"), ("failure", b',"retries":1}')]:
            problem(await post_raw(http, f"/jobs/{key}/{path}", deep + extra), 400)
        body = b'{"errorCode":"E","variables":{"v":' + nested(MAX_JSON_DEPTH) + b"}}"
        problem(await post_raw(http, f"/jobs/{key}/error", body), 400)
        assert (await http.get(f"/ext/jobs/{key}")).json()["state"] == "ACTIVATED"  # untouched

    async def test_brackets_inside_strings_do_not_count(self, http: httpx.AsyncClient) -> None:
        text = b'"' + b"[{" * 500 + b'\\"]"'
        body = b'{"jobs":[{"type":"t","variables":{"v":' + text + b"}}]}"
        assert (await post_raw(http, "/ext/jobs", body)).status_code == 201

    async def test_variables_at_the_limit_still_reach_a_worker(
        self, http: httpx.AsyncClient, broker: RunningBroker
    ) -> None:
        # {"jobs":[{"variables":{"v": X}}]} is 4 levels around X: the deepest body accepted.
        body = b'{"jobs":[{"type":"deep","variables":{"v":' + nested(MAX_JSON_DEPTH - 4) + b"}}]}"
        assert (await post_raw(http, "/ext/jobs", body)).status_code == 201
        async with client_for(broker) as client:
            (job,) = await client.activate_jobs(
                "deep", max_jobs=1, timeout_ms=1_000, request_timeout_ms=-1
            )
            # ... and a failure may add as deep again: the next activation still parses.
            deeper: Any = 1
            for _ in range(MAX_JSON_DEPTH - 3):
                deeper = [deeper]
            await client.fail_job(job.job_key, retries=1, variables={"w": deeper})
            (again,) = await client.activate_jobs(
                "deep", max_jobs=1, timeout_ms=1_000, request_timeout_ms=-1
            )
        assert again.variables["w"] == deeper


class TestSizes:
    async def test_body_over_the_limit_is_413(self, http: httpx.AsyncClient) -> None:
        body = b'{"jobs":[{"type":"t","variables":{"v":"' + b"x" * MAX_BODY_BYTES + b'"}}]}'
        problem(await post_raw(http, "/ext/jobs", body), 413)

    async def test_body_over_the_limit_without_a_length_is_413(
        self, http: httpx.AsyncClient
    ) -> None:
        async def chunks() -> AsyncIterator[bytes]:
            yield b'{"jobs":[{"type":"t","variables":{"v":"'
            for _ in range(MAX_BODY_BYTES // 65536 + 1):
                yield b"x" * 65536
            yield b'"}}]}'

        response = await http.post("/ext/jobs", content=chunks())
        problem(response, 413)

    async def test_a_body_of_exactly_the_limit_is_taken(self, http: httpx.AsyncClient) -> None:
        envelope = b'{"jobs":[{"type":"t","variables":{"v":""}}]}'
        filler = b"x" * (MAX_BODY_BYTES - len(envelope))
        body = envelope.replace(b'""', b'"' + filler + b'"')
        assert len(body) == MAX_BODY_BYTES
        assert (await post_raw(http, "/ext/jobs", body)).status_code == 201


class TestKeys:
    @pytest.mark.parametrize(("method", "path", "body"), KEYED_ROUTES)
    async def test_unknown_job_key_is_404(
        self, http: httpx.AsyncClient, method: str, path: str, body: dict[str, Any] | None
    ) -> None:
        response = await http.request(method, path.format(key=UNKNOWN_KEY), json=body)
        assert UNKNOWN_KEY in problem(response, 404).detail

    @pytest.mark.parametrize(("method", "path", "body"), KEYED_ROUTES)
    async def test_non_numeric_and_out_of_range_keys_are_400(
        self, http: httpx.AsyncClient, method: str, path: str, body: dict[str, Any] | None
    ) -> None:
        for bad in BAD_KEYS:
            response = await http.request(method, path.format(key=bad), json=body)
            assert "not a valid job key" in problem(response, 400).detail, bad


class TestNumbers:
    @pytest.mark.parametrize("lease_ms", [-1, 0, -(2**63), 2**63, 1.5, "1000", None])
    async def test_activation_timeout_must_be_a_positive_int64(
        self, http: httpx.AsyncClient, lease_ms: object
    ) -> None:
        body = {"type": "t", "timeout": lease_ms, "maxJobsToActivate": 1, "requestTimeout": -1}
        problem(await http.post("/jobs/activation", json=body), 400)

    @pytest.mark.parametrize("count", [0, -1, INT32_MAX + 1, 10**30, 2.5, "10", True])
    async def test_max_jobs_to_activate_out_of_range_is_400(
        self, http: httpx.AsyncClient, count: object
    ) -> None:
        body = {"type": "t", "timeout": 1_000, "maxJobsToActivate": count, "requestTimeout": -1}
        problem(await http.post("/jobs/activation", json=body), 400)

    async def test_huge_max_jobs_to_activate_is_served_capped(
        self, http: httpx.AsyncClient
    ) -> None:
        await http.post("/ext/jobs", json={"jobs": [{"type": "many"}] * 3})
        body = {"type": "many", "timeout": 1_000, "maxJobsToActivate": INT32_MAX}
        response = await http.post("/jobs/activation", json={**body, "requestTimeout": -1})
        assert response.status_code == 200
        assert len(response.json()["jobs"]) == 3

    @pytest.mark.parametrize("wait", [-1, -(2**63), -(10**30)])
    async def test_negative_request_timeout_answers_at_once(
        self, http: httpx.AsyncClient, wait: int
    ) -> None:
        started = time.perf_counter()
        body = {"type": "none", "timeout": 1_000, "maxJobsToActivate": 1, "requestTimeout": wait}
        response = await http.post("/jobs/activation", json=body)
        assert response.status_code == 200
        assert response.json() == {"jobs": []}
        assert time.perf_counter() - started < 5

    @pytest.mark.parametrize(
        "changeset", [{"timeout": -5}, {"timeout": 0}, {"retries": -1}, {"timeout": 2**63}, {}]
    )
    async def test_update_with_bad_numbers_is_400(
        self, http: httpx.AsyncClient, changeset: dict[str, int]
    ) -> None:
        key = await activated_key(http)
        problem(await http.patch(f"/jobs/{key}", json={"changeset": changeset}), 400)

    @pytest.mark.parametrize("body", [{"retries": -1}, {"retryBackOff": -1}, {"retries": 2**31}])
    async def test_failure_with_bad_numbers_is_400(
        self, http: httpx.AsyncClient, body: dict[str, int]
    ) -> None:
        key = await activated_key(http)
        problem(await http.post(f"/jobs/{key}/failure", json=body), 400)


class TestOverflow:
    """Numbers the models accept, near INT64_MAX: ``now + n`` is clamped, never a 500."""

    async def test_activation_with_the_largest_timeout_is_not_a_500(
        self, http: httpx.AsyncClient
    ) -> None:
        await http.post("/ext/jobs", json={"jobs": [{"type": "big"}]})
        body = {"type": "big", "timeout": INT64_MAX, "maxJobsToActivate": 1, "requestTimeout": -1}
        assert (await http.post("/jobs/activation", json=body)).status_code < 500

    async def test_update_with_the_largest_timeout_is_not_a_500(
        self, http: httpx.AsyncClient
    ) -> None:
        key = await activated_key(http)
        response = await http.patch(f"/jobs/{key}", json={"changeset": {"timeout": INT64_MAX}})
        assert response.status_code < 500

    async def test_failure_with_the_largest_back_off_is_not_a_500(
        self, http: httpx.AsyncClient
    ) -> None:
        key = await activated_key(http)
        body = {"retries": 1, "retryBackOff": INT64_MAX}
        assert (await http.post(f"/jobs/{key}/failure", json=body)).status_code < 500


class TestEncoding:
    @pytest.mark.parametrize(
        "body",
        [
            b'{"jobs":[{"type":"\xff\xfe"}]}',
            b'{"jobs":[{"type":"t","variables":{"\xc3\x28":1}}]}',
            b'{"jobs":[{"type":"t","variables":{"v":"\xed\xa0\x80"}}]}',  # an encoded surrogate
            b'{"jobs":[{"type":"t","variables":{"v":"\\ud800"}}]}',  # a lone escaped surrogate
            b"\xef\xbb\xbf\xff",
        ],
    )
    async def test_invalid_utf8_is_400(self, http: httpx.AsyncClient, body: bytes) -> None:
        problem(await post_raw(http, "/ext/jobs", body), 400)

    async def test_invalid_utf8_in_the_path_is_400(self, http: httpx.AsyncClient) -> None:
        problem(await http.post("/jobs/%FF%FE/completion", json={}), 400)

    @pytest.mark.parametrize(
        "body",
        [b"", b"null", b"[]", b"42", b'"text"', b"{", b'{"jobs":[}', b"\x00", b'{"jobs":[]}'],
    )
    async def test_malformed_or_wrongly_shaped_bodies_are_400(
        self, http: httpx.AsyncClient, body: bytes
    ) -> None:
        problem(await post_raw(http, "/ext/jobs", body), 400)

    @pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
    async def test_non_json_number_constants_are_400(
        self, http: httpx.AsyncClient, constant: bytes
    ) -> None:
        body = b'{"jobs":[{"type":"t","variables":{"v":' + constant + b"}}]}"
        detail = problem(await post_raw(http, "/ext/jobs", body), 400).detail
        assert "NaN" in detail

    async def test_the_words_inside_strings_are_fine(self, http: httpx.AsyncClient) -> None:
        body = b'{"jobs":[{"type":"t","variables":{"NaN":"Infinity and NaN"}}]}'
        assert (await post_raw(http, "/ext/jobs", body)).status_code == 201
