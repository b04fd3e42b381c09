"""One CONSUMER span per job, its report as a child span, and traces continued from the job.

A job whose custom headers (or, failing that, variables) hold a W3C ``traceparent`` (and
optionally ``tracestate``) continues the trace of whoever created it; any other job starts
a trace of its own. The job span is current while the handler runs, so the handler's own
spans and its HTTP calls are its children. Attribute names: see ``JOB_ATTRIBUTES`` and the
docs/tracing.md.

Nothing here is imported from OpenTelemetry unless the ``[otel]`` extra is installed;
``JobTracing.create`` then answers ``None`` and the runner takes its untraced path.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ..._otel import INSTALLED, provider_configured, tracer_for
from ...models import ActivatedJob
from .._outcome import Complete, Fail, Outcome, ThrowError

if INSTALLED or TYPE_CHECKING:  # without the [otel] extra, nothing below is ever called
    from opentelemetry import context, trace
    from opentelemetry.context import Context
    from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer, TracerProvider
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    _W3C = TraceContextTextMapPropagator()

JOB_KEY = "camunda.job.key"
JOB_TYPE = "camunda.job.type"
JOB_RETRIES = "camunda.job.retries"
JOB_WORKER = "camunda.job.worker"
PROCESS_INSTANCE_KEY = "camunda.process_instance.key"
ELEMENT_ID = "camunda.element.id"
JOB_OUTCOME = "camunda.job.outcome"
JOB_ERROR_CODE = "camunda.job.error_code"
REPORT_BATCHED = "camunda.report.batched"
JOB_ATTRIBUTES = (JOB_KEY, JOB_TYPE, JOB_RETRIES, JOB_WORKER, PROCESS_INSTANCE_KEY, ELEMENT_ID)
"""Set on every job span when it starts; ``JOB_OUTCOME`` when it ends."""

COMPLETED, FAILED, ERROR_THROWN = "completed", "failed", "error_thrown"
HANDED_BACK = "handed_back"
"""The worker stopped before the handler did and returned the job (see ``runtime._run``)."""
NOT_REPORTED = "not_reported"
"""The handler ended, but the server did not take its report (no longer ours, or unreachable)."""
ABANDONED = "abandoned"
"""Nothing was reported: the lease ended before the handler did, or the job was lost."""

_REPORTS: Mapping[type[Any], tuple[str, str]] = {
    Complete: ("complete", COMPLETED),
    Fail: ("fail", FAILED),
    ThrowError: ("throw error", ERROR_THROWN),
}
"""Outcome type -> (report span name's verb, the job's outcome once it is reported)."""


TRACE_VARIABLES = ("traceparent", "tracestate")
"""W3C trace context fields looked for in a job's headers, then its variables."""


class JobTracing:
    """Spans of one worker's jobs, from ``tracer``."""

    def __init__(
        self, tracer: Tracer, worker_name: str, *, configured: bool = True, given: bool = True
    ) -> None:
        self._tracer = tracer
        self._worker_name = worker_name
        self._configured = configured
        self._given = given
        """A provider was passed in: every job gets spans."""

    @classmethod
    def create(cls, provider: TracerProvider | None, worker_name: str) -> JobTracing | None:
        """``None`` when OpenTelemetry is not installed (jobs then run untraced)."""
        tracer = tracer_for(provider)
        if tracer is None:
            return None
        given = provider is not None
        return cls(tracer, worker_name, configured=given or provider_configured(), given=given)

    def traces(self, job: ActivatedJob) -> bool:
        """Whether ``job`` gets spans: when a provider is set (passed in, or the global one by
        now), or when it carries a trace to pass on (the API propagates a caller's context even
        without an SDK). Otherwise a span would be a non-recording no-op that still costs
        ~10 µs a job, so the job runs untraced."""
        return self._given or provider_configured() or carries_trace(job)

    def fetched(self, names: Sequence[str] | None) -> Sequence[str] | None:
        """``names`` plus the trace context variables when a tracer provider is configured:
        a handler that declares only the variables it reads still continues a trace carried
        in the variables (untraced, the fetch stays exactly the handler's names)."""
        if names is None or not self._configured:
            return names
        return [*names, *(v for v in TRACE_VARIABLES if v not in names)]

    def start(self, job: ActivatedJob, *, in_child: bool = False) -> JobTrace:
        """Start ``job``'s span (the handler runs inside it: see ``JobTrace.current``);
        ``in_child``: the handler runs in a child process, where no span is current."""
        parent = continued_context(job)
        span = self._tracer.start_span(
            f"job {job.type}",
            context=parent,
            kind=SpanKind.CONSUMER,
            attributes={
                JOB_KEY: job.job_key,
                JOB_TYPE: job.type,
                JOB_RETRIES: job.retries,
                JOB_WORKER: self._worker_name,
                PROCESS_INSTANCE_KEY: job.process_instance_key,
                ELEMENT_ID: job.element_id,
            },
        )
        job_trace = JobTrace(self._tracer, job, span, trace.set_span_in_context(span, parent))
        job_trace.in_child = in_child
        return job_trace


class JobTrace:
    """One job's span, its report's child span, and how the job came out."""

    __slots__ = ("_context", "_job", "_report", "_tracer", "in_child", "outcome", "span")

    def __init__(self, tracer: Tracer, job: ActivatedJob, span: trace.Span, ctx: Context) -> None:
        self._tracer = tracer
        self._job = job
        self.span = span
        self._context = ctx
        """The job span's context: the parent of the handler's spans and of the report's."""
        self._report: trace.Span | None = None
        self.outcome: Outcome | str | None = None
        self.in_child = False
        """The handler runs in a child process (where no span is current)."""

    @contextmanager
    def current(self) -> Iterator[None]:
        """Make the job span current while the handler runs (its spans become children)."""
        token = context.attach(self._context)
        try:
            yield
        finally:
            context.detach(token)

    def report_started(self, outcome: Outcome, *, batched: bool) -> None:
        """Open the report's span, a child of the job span (once for all its attempts)."""
        if self._report is None:
            verb, _ = _REPORTS[type(outcome)]
            self._report = self._tracer.start_span(
                f"{verb} {self._job.type}",
                context=self._context,
                attributes={JOB_KEY: self._job.job_key, REPORT_BATCHED: batched},
            )

    @contextmanager
    def reporting(self, outcome: Outcome) -> Iterator[None]:
        """One exact per-job report call, inside the report's span (its HTTP span's parent)."""
        self.report_started(outcome, batched=False)
        assert self._report is not None
        token = context.attach(trace.set_span_in_context(self._report, self._context))
        try:
            yield
        finally:
            context.detach(token)

    def report_ended(self, outcome: Outcome, taken: bool) -> None:
        """The server answered the report (or it was given up): end its span."""
        span, self._report = self._report, None
        if span is not None:
            if not taken:
                span.set_status(Status(StatusCode.ERROR, "the server did not take the report"))
            span.end()
        self.outcome = outcome if taken else NOT_REPORTED
        if taken and isinstance(outcome, Fail) and self.in_child:
            _add_exception_event(self.span, outcome.message)  # raised in a child process

    @contextmanager
    def handing_back(self) -> Iterator[None]:
        with self._tracer.start_as_current_span(
            f"hand back {self._job.type}",
            context=self._context,
            attributes={JOB_KEY: self._job.job_key},
        ):
            yield
        self.outcome = HANDED_BACK

    def end(self) -> None:
        """End the job span with its outcome (nothing reported: ``abandoned``)."""
        span, outcome = self.span, self.outcome
        if outcome is None:
            span.set_attribute(JOB_OUTCOME, ABANDONED)
            span.set_status(
                Status(StatusCode.ERROR, "nothing reported: the lease ended or was lost")
            )
        elif isinstance(outcome, str):
            span.set_attribute(JOB_OUTCOME, outcome)
            if outcome == NOT_REPORTED:
                span.set_status(Status(StatusCode.ERROR, "the server did not take the report"))
        else:
            span.set_attribute(JOB_OUTCOME, _REPORTS[type(outcome)][1])
            if isinstance(outcome, Fail):
                span.set_status(Status(StatusCode.ERROR, outcome.message.partition("\n")[0]))
            elif isinstance(outcome, ThrowError):
                span.set_attribute(JOB_ERROR_CODE, outcome.code)
        span.end()


def carries_trace(job: ActivatedJob) -> bool:
    return "traceparent" in job.custom_headers or "traceparent" in job.variables


def continued_context(job: ActivatedJob) -> Context:
    """The caller's trace context from the job's ``traceparent``, else an empty (root) one."""
    for carrier in (job.custom_headers, job.variables):
        parent = carrier.get("traceparent")
        if isinstance(parent, str):
            fields = {"traceparent": parent}
            state = carrier.get("tracestate")
            if isinstance(state, str):
                fields["tracestate"] = state
            return _W3C.extract(fields, context=Context())
    return Context()


def _add_exception_event(span: trace.Span, message: str) -> None:
    """The exception event of a failure raised where no span was current (a child process):
    rebuilt from the failure message, ``Type: message`` and a traceback tail."""
    head, _, stacktrace = message.partition("\n")
    exc_type, sep, exc_message = head.partition(": ")
    attributes = {"exception.message": exc_message if sep else head}
    if sep and exc_type.replace(".", "").replace("_", "").isalnum():
        attributes["exception.type"] = exc_type
    if stacktrace:
        attributes["exception.stacktrace"] = stacktrace
    span.add_event("exception", attributes)
