"""Job spans: one CONSUMER span per job, its report as a child, traces continued from the job.

Each test installs its own ``TracerProvider`` (the global one can be set only once per
process) into the worker and its client, and reads the finished spans from memory.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

import anyio
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from sdk.broker import RunningBroker
from sdk.client import AsyncClient
from sdk.models import JobKey, JobState
from sdk.testing import running, wait_until
from sdk.worker import JobContext, RetryPolicy, Worker

from .handlers import handler

pytestmark = pytest.mark.anyio


class Spans:
    """The spans a test's provider finished, by name."""

    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.provider = TracerProvider()
        self.provider.add_span_processor(SimpleSpanProcessor(self.exporter))

    def named(self, name: str) -> list[ReadableSpan]:
        return [s for s in self.exporter.get_finished_spans() if s.name == name]

    def one(self, name: str) -> ReadableSpan:
        (span,) = self.named(name)
        return span

    def children(self, parent: ReadableSpan) -> list[ReadableSpan]:
        span_id = parent.context.span_id
        return [
            s
            for s in self.exporter.get_finished_spans()
            if s.parent is not None and s.parent.span_id == span_id
        ]


@pytest.fixture
def spans() -> Iterator[Spans]:
    recorded = Spans()
    yield recorded
    recorded.provider.shutdown()


@pytest.fixture
async def traced_client(sdk_broker: RunningBroker, spans: Spans) -> AsyncIterator[AsyncClient]:
    config = {"CAMUNDA_REST_ADDRESS": sdk_broker.url, "CAMUNDA_AUTH_STRATEGY": "NONE"}
    async with AsyncClient(configuration=config, tracer_provider=spans.provider) as client:
        yield client


def traced_worker(
    spans: Spans, *, report_batching: bool | None = False, grace_period_s: float = 5
) -> Worker:
    return Worker(
        "traced",
        request_timeout_ms=2_000,
        retry=RetryPolicy(initial_ms=0),
        grace_period_s=grace_period_s,
        report_batching=report_batching,
        tracer_provider=spans.provider,
    )


async def work(
    worker: Worker,
    client: AsyncClient,
    job_type: str,
    variables: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JobKey:
    """Create one job and run ``worker`` until it ended; its spans have ended too then."""
    key = await client.create_job(job_type, variables, custom_headers=headers, retries=1)

    async def ended() -> bool:
        state = (await client.get_job(key)).state
        return state in {JobState.COMPLETED, JobState.ERROR_THROWN, JobState.INCIDENT}

    async with running(worker, client):
        await wait_until(ended)
    return key


async def current_span_ids(job: JobContext) -> dict[str, str]:
    context = trace.get_current_span().get_span_context()
    return {"trace_id": f"{context.trace_id:032x}", "span_id": f"{context.span_id:016x}"}


def current_span_ids_sync(job: JobContext) -> dict[str, str]:
    context = trace.get_current_span().get_span_context()
    return {"trace_id": f"{context.trace_id:032x}", "span_id": f"{context.span_id:016x}"}


class TestJobSpan:
    async def test_a_completed_job_is_one_consumer_span_with_the_job_attributes(
        self, traced_client: AsyncClient, spans: Spans
    ) -> None:
        worker = traced_worker(spans)
        worker.task("double")(handler("double", "async"))
        key = await work(worker, traced_client, "double", {"x": 2})

        job_span = spans.one("job double")
        assert job_span.kind is SpanKind.CONSUMER
        assert job_span.status.status_code is StatusCode.UNSET
        assert job_span.parent is None  # no traceparent on the job: a trace of its own
        assert dict(job_span.attributes or {}) == {
            "camunda.job.key": key,
            "camunda.job.type": "double",
            "camunda.job.retries": 1,
            "camunda.job.worker": "traced",
            "camunda.process_instance.key": "-1",
            "camunda.element.id": "",
            "camunda.job.outcome": "completed",
        }

    async def test_the_report_is_a_child_span_and_its_http_call_a_grandchild(
        self, traced_client: AsyncClient, spans: Spans
    ) -> None:
        worker = traced_worker(spans)
        worker.task("double")(handler("double", "async"))
        key = await work(worker, traced_client, "double", {"x": 2})

        job_span = spans.one("job double")
        (report,) = spans.children(job_span)
        assert report.name == "complete double"
        assert report.attributes == {"camunda.job.key": key, "camunda.report.batched": False}
        (http,) = spans.children(report)
        assert http.name == "POST /v2/jobs/{jobKey}/completion"
        assert http.kind is SpanKind.CLIENT
        assert http.attributes is not None
        assert http.attributes["http.response.status_code"] == 204
        assert http.context.trace_id == job_span.context.trace_id

    async def test_a_batched_report_is_a_child_span_too(
        self, traced_client: AsyncClient, spans: Spans
    ) -> None:
        worker = traced_worker(spans, report_batching=True)
        worker.task("double")(handler("double", "async"))
        key = await work(worker, traced_client, "double", {"x": 2})

        job_span = spans.one("job double")
        (report,) = spans.children(job_span)
        assert report.name == "complete double"
        assert report.attributes == {"camunda.job.key": key, "camunda.report.batched": True}
        assert job_span.attributes is not None
        assert job_span.attributes["camunda.job.outcome"] == "completed"

    @pytest.mark.parametrize("strategy", ["async", "thread"])
    async def test_the_handler_runs_inside_the_job_span(
        self, traced_client: AsyncClient, spans: Spans, strategy: str
    ) -> None:
        worker = traced_worker(spans)
        func = current_span_ids if strategy == "async" else current_span_ids_sync
        worker.task("whoami", strategy=strategy)(func)
        key = await work(worker, traced_client, "whoami")

        seen = (await traced_client.get_job(key)).variables
        context = spans.one("job whoami").context
        assert seen == {
            "trace_id": f"{context.trace_id:032x}",
            "span_id": f"{context.span_id:016x}",
        }


class TestFailures:
    @pytest.mark.parametrize("strategy", ["async", "thread", "process"])
    async def test_a_failing_handler_sets_error_status_and_an_exception_event(
        self, traced_client: AsyncClient, spans: Spans, strategy: str
    ) -> None:
        worker = traced_worker(spans)
        worker.task("explode", strategy=strategy)(handler("explode", strategy))
        await work(worker, traced_client, "explode")

        job_span = spans.one("job explode")
        assert job_span.attributes is not None
        assert job_span.attributes["camunda.job.outcome"] == "failed"
        assert job_span.status.status_code is StatusCode.ERROR
        assert job_span.status.description == "ValueError: boom"
        (event,) = [e for e in job_span.events if e.name == "exception"]
        assert event.attributes is not None
        assert event.attributes["exception.type"] == "ValueError"
        assert event.attributes["exception.message"] == "boom"
        assert "raise ValueError" in str(event.attributes["exception.stacktrace"])
        assert [s.name for s in spans.children(job_span)] == ["fail explode"]

    async def test_a_thrown_job_error_is_an_outcome_not_an_error_status(
        self, traced_client: AsyncClient, spans: Spans
    ) -> None:
        worker = traced_worker(spans)
        worker.task("reject")(handler("reject", "async"))
        await work(worker, traced_client, "reject")

        job_span = spans.one("job reject")
        assert job_span.attributes is not None
        assert job_span.attributes["camunda.job.outcome"] == "error_thrown"
        assert job_span.attributes["camunda.job.error_code"] == "REJECTED"
        assert job_span.status.status_code is StatusCode.UNSET
        assert not job_span.events
        assert [s.name for s in spans.children(job_span)] == ["throw error reject"]

    async def test_a_job_handed_back_at_shutdown_says_so(
        self, traced_client: AsyncClient, spans: Spans
    ) -> None:
        worker = traced_worker(spans, grace_period_s=0)
        started = anyio.Event()

        async def stuck() -> None:
            started.set()
            await anyio.sleep_forever()

        worker.task("stuck")(stuck)
        key = await traced_client.create_job("stuck")
        async with running(worker, traced_client):
            await started.wait()
        assert (await traced_client.get_job(key)).state is JobState.ACTIVATABLE

        job_span = spans.one("job stuck")
        assert job_span.attributes is not None
        assert job_span.attributes["camunda.job.outcome"] == "handed_back"
        assert [s.name for s in spans.children(job_span)] == ["hand back stuck"]


class TestTraceContinuation:
    @pytest.mark.parametrize("carrier", ["custom headers", "variables"])
    async def test_a_traceparent_on_the_job_continues_the_callers_trace(
        self, traced_client: AsyncClient, spans: Spans, carrier: str
    ) -> None:
        caller = spans.provider.get_tracer("caller").start_span("create order")
        fields: dict[str, str] = {}
        TraceContextTextMapPropagator().inject(fields, trace.set_span_in_context(caller))
        caller.end()
        worker = traced_worker(spans)
        worker.task("double")(handler("double", "async"))
        if carrier == "variables":
            await work(worker, traced_client, "double", {"x": 1, **fields})
        else:
            await work(worker, traced_client, "double", {"x": 1}, headers=fields)

        job_span = spans.one("job double")
        assert job_span.context.trace_id == caller.get_span_context().trace_id
        assert job_span.parent is not None
        assert job_span.parent.span_id == caller.get_span_context().span_id
        assert job_span.parent.is_remote

    async def test_a_malformed_traceparent_starts_a_trace_of_its_own(
        self, traced_client: AsyncClient, spans: Spans
    ) -> None:
        worker = traced_worker(spans)
        worker.task("double")(handler("double", "async"))
        await work(worker, traced_client, "double", {"x": 1}, headers={"traceparent": "00-zz"})

        job_span = spans.one("job double")
        assert job_span.parent is None
        assert job_span.attributes is not None
        assert job_span.attributes["camunda.job.outcome"] == "completed"


class TestWithoutAProvider:
    async def test_a_job_runs_untraced_unless_it_carries_a_trace_to_pass_on(
        self, sdk_client: AsyncClient
    ) -> None:
        """No provider passed in or set globally: no spans are made (they would record
        nothing), but a caller's trace context still reaches the handler, as the API's
        no-op spans pass it on."""
        worker = Worker("plain", request_timeout_ms=2_000, retry=RetryPolicy(initial_ms=0))
        worker.task("whoami")(current_span_ids)
        caller = TracerProvider().get_tracer("caller").start_span("create order")
        fields: dict[str, str] = {}
        TraceContextTextMapPropagator().inject(fields, trace.set_span_in_context(caller))

        plain = await work(worker, sdk_client, "whoami")
        carried = await work(worker, sdk_client, "whoami", headers=fields)

        assert (await sdk_client.get_job(plain)).variables["trace_id"] == "0" * 32
        seen = (await sdk_client.get_job(carried)).variables
        assert seen["trace_id"] == f"{caller.get_span_context().trace_id:032x}"


NO_OTEL = """
import sys
sys.modules["opentelemetry"] = None  # as if the [otel] extra were not installed
from sdk._otel import INSTALLED
from sdk.client import AsyncClient
from sdk.worker import Worker
from sdk.worker.observe import JobTracing
client = AsyncClient(configuration={"CAMUNDA_REST_ADDRESS": "http://127.0.0.1:1/v2"})
worker = Worker("w")
loaded = [m for m, mod in sys.modules.items() if m.startswith("opentelemetry") and mod]
print(INSTALLED, client._tracing, JobTracing.create(None, "w"), loaded)
"""


def test_without_opentelemetry_nothing_of_it_is_imported_and_tracing_is_off() -> None:
    result = subprocess.run(
        [sys.executable, "-c", NO_OTEL], capture_output=True, text=True, check=False, timeout=30
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "None", "None", "[]"]
