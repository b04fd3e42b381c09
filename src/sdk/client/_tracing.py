"""A CLIENT span around each HTTP request the client sends, and ``traceparent`` injected into it.

Attribute names follow OpenTelemetry's HTTP client conventions. Each attempt of a retried
call is its own span (``http.request.resend_count`` counts the earlier ones). ``url.full``
never carries credentials: the user-info part of the URL is dropped, and the API puts no
secret into query strings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from .._otel import INSTALLED, provider_configured, tracer_for

if INSTALLED or TYPE_CHECKING:  # without the [otel] extra, nothing below is ever called
    from opentelemetry import propagate, trace
    from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer, TracerProvider


class HttpTracing:
    """Sends requests inside client spans of ``tracer``."""

    def __init__(self, tracer: Tracer, *, given: bool = True) -> None:
        self._tracer = tracer
        self._given = given

    @classmethod
    def create(cls, provider: TracerProvider | None) -> HttpTracing | None:
        """``None`` when OpenTelemetry is not installed (the client then sends untraced)."""
        tracer = tracer_for(provider)
        return None if tracer is None else cls(tracer, given=provider is not None)

    def active(self) -> bool:
        """Whether a request gets a span: a provider is set (passed in, or the global one by
        now), or a span is current whose context the request must carry on. Otherwise the
        span would be a non-recording no-op costing ~6 µs a request."""
        return (
            self._given
            or provider_configured()
            or trace.get_current_span().get_span_context().is_valid
        )

    async def asend(
        self, http: httpx.AsyncClient, request: httpx.Request, attempt: int
    ) -> httpx.Response:
        span = self._start(request, attempt)
        try:
            response = await http.send(request)
        except BaseException as exc:
            _end_failed(span, exc)
            raise
        _end_answered(span, response)
        return response

    def send(self, http: httpx.Client, request: httpx.Request, attempt: int) -> httpx.Response:
        span = self._start(request, attempt)
        try:
            response = http.send(request)
        except BaseException as exc:
            _end_failed(span, exc)
            raise
        _end_answered(span, response)
        return response

    def _start(self, request: httpx.Request, attempt: int) -> trace.Span:
        url = request.url
        template = url_template(url.path)
        attributes: dict[str, str | int] = {
            "http.request.method": request.method,
            "url.full": str(url.copy_with(username=None, password=None) if url.userinfo else url),
            "url.template": template,
            "server.address": url.host,
        }
        if url.port is not None:
            attributes["server.port"] = url.port
        if attempt:
            attributes["http.request.resend_count"] = attempt
        span = self._tracer.start_span(
            f"{request.method} {template}", kind=SpanKind.CLIENT, attributes=attributes
        )
        propagate.inject(request.headers, context=trace.set_span_in_context(span))
        return span


def url_template(path: str) -> str:
    """``/v2/jobs/2251799813685249/completion`` -> ``/v2/jobs/{jobKey}/completion``: keys
    would make every span name unique."""
    segments = path.split("/")
    for i, segment in enumerate(segments):
        if segment.isdigit():
            segments[i] = "{jobKey}" if i and segments[i - 1] == "jobs" else "{key}"
    return "/".join(segments)


def _end_answered(span: trace.Span, response: httpx.Response) -> None:
    status = response.status_code
    span.set_attribute("http.response.status_code", status)
    if status >= 400:
        span.set_attribute("error.type", str(status))
        span.set_status(Status(StatusCode.ERROR))
    span.end()


def _end_failed(span: trace.Span, exc: BaseException) -> None:
    if isinstance(exc, Exception):  # not a cancellation: the request failed
        span.record_exception(exc)
        span.set_attribute("error.type", type(exc).__qualname__)
        span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
    span.end()
