"""Whether OpenTelemetry is importable, decided once at import time.

Without the ``[otel]`` extra, start-up pays one failed import and every job or request one
``is None`` check; nothing of OpenTelemetry is imported. With it, tracers come from an
injected ``TracerProvider`` or, lazily, from the global one, so a provider installed after
the worker was built still gets its spans.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import __version__

if TYPE_CHECKING:
    from opentelemetry.trace import Tracer, TracerProvider

try:
    import opentelemetry.trace
except ImportError:  # the [otel] extra is not installed: tracing is off
    INSTALLED = False
else:
    INSTALLED = True

SCOPE = "sdk"
"""The instrumentation scope of every span of this package."""


def tracer_for(provider: TracerProvider | None) -> Tracer | None:
    """A tracer of ``provider`` (``None``: the global provider, looked up lazily), or ``None``
    when OpenTelemetry is not installed."""
    if not INSTALLED:
        return None
    return opentelemetry.trace.get_tracer(SCOPE, __version__, tracer_provider=provider)


def provider_configured() -> bool:
    """Whether a real global tracer provider is set (not the API's proxy or no-op one)."""
    if not INSTALLED:
        return False
    provider = opentelemetry.trace.get_tracer_provider()
    return not isinstance(
        provider, (opentelemetry.trace.ProxyTracerProvider, opentelemetry.trace.NoOpTracerProvider)
    )


def record_exception(exc: BaseException) -> None:
    """Record a handler's exception on the current span: the job's, in the handler's task or
    thread (the thread strategy copies the context). A no-op outside a traced job."""
    if INSTALLED:
        opentelemetry.trace.get_current_span().record_exception(exc)
