"""The exception tree: one readable line each, the server's details kept, picklable."""

from __future__ import annotations

import pickle

import httpx
import pytest

from sdk.client import AsyncClient, HttpRetryPolicy
from sdk.errors import (
    ApiError,
    BackpressureError,
    NotFoundError,
    ProtocolError,
    SdkError,
    ServerError,
    ServerUnreachableError,
)
from sdk.models import ProblemDetail

pytestmark = pytest.mark.anyio

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def answering(response: httpx.Response) -> AsyncClient:
    return AsyncClient(
        configuration={"CAMUNDA_REST_ADDRESS": "http://test", "CAMUNDA_AUTH_STRATEGY": "NONE"},
        transport=httpx.MockTransport(lambda request: response),
        retry=HttpRetryPolicy.off(),
    )


class TestOneLine:
    def test_api_error_with_a_multi_line_detail(self) -> None:
        problem = ProblemDetail(title="NOT_FOUND", status=404, detail="job 1\ndoes not\r\n exist")
        err = NotFoundError(404, problem, trace_id=TRACE, method="GET", url="http://x/v2/jobs/1")
        assert str(err) == (
            f"404 NOT_FOUND: job 1 does not exist (GET http://x/v2/jobs/1) [trace {TRACE}]"
        )

    def test_connection_and_protocol_errors(self) -> None:
        assert (
            str(ServerUnreachableError("GET x failed:\n  ConnectError"))
            == "GET x failed: ConnectError"
        )
        assert str(ProtocolError("not\nCamunda", status=404)) == "not Camunda"

    async def test_a_plain_text_error_page_is_summarised(self) -> None:
        page = httpx.Response(500, text="Internal Server Error\n\nstack trace\nline 2")
        async with answering(page) as client:
            with pytest.raises(ServerError) as caught:
                await client.topology()
        assert str(caught.value) == (
            "500 Internal Server Error: Internal Server Error (GET http://test/v2/topology)"
        )


class TestBackpressure:
    async def test_carries_retry_after_and_trace_id(self) -> None:
        response = httpx.Response(
            429,
            json={"title": "RESOURCE_EXHAUSTED", "status": 429, "detail": "slow down"},
            headers={"retry-after": "7", "traceparent": f"00-{TRACE}-00f067aa0ba902b7-01"},
        )
        async with answering(response) as client:
            with pytest.raises(BackpressureError) as caught:
                await client.complete_job("1")
        err = caught.value
        assert (err.status, err.retry_after_s, err.trace_id) == (429, 7.0, TRACE)
        assert isinstance(err, ApiError) and isinstance(err, SdkError)
        assert str(err).endswith("(retry after 7 s)")

    def test_without_retry_after(self) -> None:
        err = BackpressureError(503, ProblemDetail(title="RESOURCE_EXHAUSTED", status=503))
        assert err.retry_after_s is None
        assert str(err) == "503 RESOURCE_EXHAUSTED"


class TestPickling:
    def test_errors_survive_a_process_boundary(self) -> None:
        errors: list[SdkError] = [
            BackpressureError(
                503, ProblemDetail(title="RESOURCE_EXHAUSTED"), retry_after_s=2.5, trace_id=TRACE
            ),
            NotFoundError(404, ProblemDetail(title="NOT_FOUND", detail="gone"), method="GET"),
            ProtocolError("not a Camunda API", status=404),
            ServerUnreachableError("GET x failed"),
        ]
        for err in errors:
            copy = pickle.loads(pickle.dumps(err))
            assert type(copy) is type(err)
            assert str(copy) == str(err)
            assert vars(copy) == vars(err)
