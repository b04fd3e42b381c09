"""Client spans of HTTP requests, and the ``traceparent`` they carry (both clients)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from sdk.client import AsyncClient, Client, HttpRetryPolicy
from sdk.client._tracing import url_template
from sdk.errors import NotFoundError, ServerUnreachableError

pytestmark = pytest.mark.anyio

CONFIG = {"CAMUNDA_REST_ADDRESS": "http://gateway.test:8088/v2", "CAMUNDA_AUTH_STRATEGY": "NONE"}


class Recorder:
    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.provider = TracerProvider()
        self.provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.requests: list[httpx.Request] = []

    def spans(self) -> tuple[ReadableSpan, ...]:
        return self.exporter.get_finished_spans()

    def answer(self, status: int) -> httpx.MockTransport:
        def handle(request: httpx.Request) -> httpx.Response:
            self.requests.append(request)
            return httpx.Response(status, json={"title": "x", "status": status, "detail": "x"})

        return httpx.MockTransport(handle)


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    recorded = Recorder()
    yield recorded
    recorded.provider.shutdown()


def ids_in(traceparent: str) -> str:
    """``trace-id-span-id`` of a ``traceparent`` (the flags vary with the SDK version)."""
    return traceparent.split("-", 1)[1].rsplit("-", 1)[0]


def ids_of(span: ReadableSpan) -> str:
    return f"{span.context.trace_id:032x}-{span.context.span_id:016x}"


async def test_a_request_is_a_client_span_whose_traceparent_is_sent(recorder: Recorder) -> None:
    async with AsyncClient(
        configuration=CONFIG, transport=recorder.answer(204), tracer_provider=recorder.provider
    ) as client:
        await client.complete_job("2251799813685249")

    (span,) = recorder.spans()
    assert span.name == "POST /v2/jobs/{jobKey}/completion"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    assert dict(span.attributes or {}) == {
        "http.request.method": "POST",
        "url.full": "http://gateway.test:8088/v2/jobs/2251799813685249/completion",
        "url.template": "/v2/jobs/{jobKey}/completion",
        "server.address": "gateway.test",
        "server.port": 8088,
        "http.response.status_code": 204,
    }
    assert ids_in(recorder.requests[0].headers["traceparent"]) == ids_of(span)


async def test_an_error_answer_sets_error_status_and_type(recorder: Recorder) -> None:
    async with AsyncClient(
        configuration=CONFIG, transport=recorder.answer(404), tracer_provider=recorder.provider
    ) as client:
        with pytest.raises(NotFoundError):
            await client.complete_job("1")

    (span,) = recorder.spans()
    assert span.name == "POST /v2/jobs/{jobKey}/completion"
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes is not None
    assert span.attributes["error.type"] == "404"


async def test_each_retry_is_a_span_and_a_transport_error_is_recorded(recorder: Recorder) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    retry = HttpRetryPolicy(max_retries=1, base_delay_s=0.0, max_delay_s=0.0)
    async with AsyncClient(
        configuration=CONFIG,
        transport=httpx.MockTransport(refuse),
        retry=retry,
        tracer_provider=recorder.provider,
    ) as client:
        with pytest.raises(ServerUnreachableError):
            await client.topology()

    first, second = recorder.spans()
    assert first.attributes is not None and second.attributes is not None
    assert "http.request.resend_count" not in first.attributes
    assert second.attributes["http.request.resend_count"] == 1
    for span in (first, second):
        assert span.status.status_code is StatusCode.ERROR
        assert dict(span.attributes or {})["error.type"] == "ConnectError"
        assert [e.name for e in span.events] == ["exception"]


def test_the_sync_client_traces_its_requests_and_never_records_credentials(
    recorder: Recorder,
) -> None:
    config = {
        **CONFIG,
        "CAMUNDA_AUTH_STRATEGY": "BASIC",
        "CAMUNDA_BASIC_AUTH_USERNAME": "ada",
        "CAMUNDA_BASIC_AUTH_PASSWORD": "secret-pw",
    }

    def answer(request: httpx.Request) -> httpx.Response:
        recorder.requests.append(request)
        return httpx.Response(204)

    transport = httpx.MockTransport(answer)
    with Client(configuration=config, transport=transport, tracer_provider=recorder.provider) as c:
        c.fail_job("7", retries=2)

    (span,) = recorder.spans()
    assert span.name == "POST /v2/jobs/{jobKey}/failure"
    assert span.attributes is not None
    assert span.attributes["url.full"] == "http://gateway.test:8088/v2/jobs/7/failure"
    assert "authorization" in recorder.requests[0].headers  # sent, but never recorded
    assert not any("secret" in str(v) or "ada" in str(v) for v in span.attributes.values())
    assert ids_in(recorder.requests[0].headers["traceparent"]) == ids_of(span)


@pytest.mark.parametrize(
    ("path", "template"),
    [
        ("/v2/jobs/activation", "/v2/jobs/activation"),
        ("/v2/jobs/123", "/v2/jobs/{jobKey}"),
        ("/v2/process-instances/55/x", "/v2/process-instances/{key}/x"),
    ],
)
def test_keys_in_paths_become_placeholders(path: str, template: str) -> None:
    assert url_template(path) == template
