"""Every exception the SDK raises on purpose.

SdkError
├── ConfigurationError          bad settings, found before any request is sent
│   └── ProfileError            a stored profile that does not exist or cannot be read/written
├── ApiError                    the server answered with a non-2xx status
│   ├── BadRequestError         400: the request was malformed
│   ├── UnauthorizedError       401
│   ├── ForbiddenError          403
│   ├── NotFoundError           404: e.g. the job no longer exists
│   ├── ConflictError           409: the job is in another state (e.g. handed to someone else)
│   ├── IdempotencyKeyReusedError 422: an Idempotency-Key sent again with another body
│   ├── BackpressureError       429 / 503: the server asks us to slow down (``retry_after_s``)
│   └── ServerError             other 5xx
├── ProtocolError               the server answered, but not as a Camunda v2 job API
├── ServerUnreachableError      the server could not be reached (no HTTP answer at all)
├── StateUnavailableError       JobContext.state read in a process child (lifespan state stays
│                               in the worker's process)
├── JobRunError                 an awaited job (``run_job``, ``wait_for_job``) did not complete
│   ├── JobErrorThrownError     its handler threw a BPMN error (``code``, ``message``)
│   ├── JobIncidentError        it failed with no retries left (``message``)
│   ├── JobRunCancelledError    it was cancelled
│   └── JobWaitTimeoutError     it has not ended within the wait, and goes on (``job_key``)
└── FeelSyntaxError             a FEEL expression that does not parse (line and column)

JobError                        raised by a handler to throw a BPMN business error
JobCancelledError               raised by ``JobContext.raise_if_cancelled()``: the job was
                                stopped (cancelled, taken away or out of time); nothing is
                                reported for it
"""

from __future__ import annotations

import re
from typing import Any

from .models import ProblemDetail

__all__ = [
    "ApiError",
    "BackpressureError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "ExtensionUnsupportedError",
    "FeelSyntaxError",
    "ForbiddenError",
    "IdempotencyKeyReusedError",
    "JobCancelledError",
    "JobError",
    "JobErrorThrownError",
    "JobIncidentError",
    "JobRunCancelledError",
    "JobRunError",
    "JobWaitTimeoutError",
    "NotFoundError",
    "ProfileError",
    "ProtocolError",
    "SdkError",
    "ServerError",
    "ServerUnreachableError",
    "StateUnavailableError",
    "UnauthorizedError",
]
"""The error types; ``one_line`` and ``error_class_for`` serve the sdk's own packages."""

_WHITESPACE = re.compile(r"\s+")


def one_line(text: str) -> str:
    """``text`` with every run of whitespace (newlines included) collapsed to one space."""
    return _WHITESPACE.sub(" ", text).strip()


class SdkError(Exception):
    """Base class of every error raised by this package."""


class ConfigurationError(SdkError, ValueError):
    """The settings are invalid; the message names the setting and what to do."""


class ProfileError(ConfigurationError):
    """A profile that does not exist, or a profiles file that cannot be read or written."""


class ApiError(SdkError):
    """The server answered with a non-2xx status.

    Attributes:
        status: The HTTP status code.
        problem: The server's RFC 7807 problem detail (synthesised when the body was not one).
        trace_id: The W3C trace id from the ``traceparent`` response header, if any.
        method: The HTTP method of the failed request.
        url: The URL of the failed request (never carries credentials).
    """

    def __init__(
        self,
        status: int,
        problem: ProblemDetail,
        *,
        trace_id: str | None = None,
        method: str = "",
        url: str = "",
    ) -> None:
        self.status = status
        self.problem = problem
        self.trace_id = trace_id
        self.method = method
        self.url = url
        super().__init__(str(self))

    @property
    def title(self) -> str:
        return self.problem.title

    @property
    def detail(self) -> str:
        return self.problem.detail

    def __str__(self) -> str:
        """One line: ``404 NOT_FOUND: job 1 does not exist (POST http://…) [trace …]``."""
        where = f" ({self.method} {self.url})" if self.method else ""
        trace = f" [trace {self.trace_id}]" if self.trace_id else ""
        detail = f": {self.problem.detail}" if self.problem.detail else ""
        return one_line(f"{self.status} {self.problem.title}{detail}{where}{trace}")

    def _kwargs(self) -> dict[str, Any]:
        return {"trace_id": self.trace_id, "method": self.method, "url": self.url}

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_api_error, (type(self), self.status, self.problem, self._kwargs()))


def _rebuild_api_error(
    cls: type[ApiError], status: int, problem: ProblemDetail, kwargs: dict[str, Any]
) -> ApiError:
    return cls(status, problem, **kwargs)


class BadRequestError(ApiError):
    """400: the server rejected the request as malformed; retrying will not help."""


class UnauthorizedError(ApiError):
    """401: missing or invalid credentials."""


class ForbiddenError(ApiError):
    """403: the credentials are valid but lack a permission."""


class NotFoundError(ApiError):
    """404: the resource (e.g. the job) does not exist, or no longer does."""


class ConflictError(ApiError):
    """409: the job is in a state that does not allow this call."""


class IdempotencyKeyReusedError(ApiError):
    """422: the ``Idempotency-Key`` was used before with a different request body.

    A programming error (one key for two requests); a repeat of the same request never
    raises it.
    """


IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
"""The problem title the broker answers it with."""


class BackpressureError(ApiError):
    """429 / 503: the server is overloaded; back off and retry.

    Attributes:
        retry_after_s: The server's ``Retry-After`` in seconds, when it sent one.
    """

    def __init__(
        self,
        status: int,
        problem: ProblemDetail,
        *,
        retry_after_s: float | None = None,
        trace_id: str | None = None,
        method: str = "",
        url: str = "",
    ) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(status, problem, trace_id=trace_id, method=method, url=url)

    def __str__(self) -> str:
        text = super().__str__()
        if self.retry_after_s is None:
            return text
        return f"{text} (retry after {self.retry_after_s:g} s)"

    def _kwargs(self) -> dict[str, Any]:
        return {**super()._kwargs(), "retry_after_s": self.retry_after_s}


class ServerError(ApiError):
    """A 5xx other than 503: a fault on the server side."""


class ProtocolError(SdkError):
    """The server answered, but not as a Camunda 8 REST v2 job API would.

    Usually a wrong ``CAMUNDA_REST_ADDRESS`` (a web page, another service), a server too old
    for the v2 job API, or a proxy in the way. ``status`` is the HTTP status of the answer.
    """

    def __init__(self, message: str, *, status: int | None = None) -> None:
        self.status = status
        super().__init__(one_line(message))

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_protocol_error, (str(self), self.status))


def _rebuild_protocol_error(message: str, status: int | None) -> ProtocolError:
    return ProtocolError(message, status=status)


class ExtensionUnsupportedError(ProtocolError):
    """The server lacks an extension of the sdk broker (a route under ``/v2/ext``).

    A Camunda 8 cluster offers none of them; code that can run without one catches this.
    ``extension`` is its name as ``GET /v2/ext/capabilities`` lists it (e.g. ``schedules``).
    """

    def __init__(self, extension: str, message: str, *, status: int | None = None) -> None:
        self.extension = extension
        super().__init__(message, status=status)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_extension_error, (self.extension, str(self), self.status))


def _rebuild_extension_error(
    extension: str, message: str, status: int | None
) -> ExtensionUnsupportedError:
    return ExtensionUnsupportedError(extension, message, status=status)


class ServerUnreachableError(SdkError):
    """The server could not be reached or the connection broke before an answer.

    Not a subclass of the builtin ``ConnectionError`` (an ``OSError``), whose name it leaves alone.
    """

    def __init__(self, message: str) -> None:
        super().__init__(one_line(message))


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequestError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    429: BackpressureError,
    503: BackpressureError,
}


def error_class_for(status: int, title: str | None = None) -> type[ApiError]:
    """The most specific ``ApiError`` subclass for an HTTP status (and problem title)."""
    if status == 422 and title == IDEMPOTENCY_KEY_REUSED:
        return IdempotencyKeyReusedError
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    return ServerError if status >= 500 else ApiError


class JobError(SdkError):
    """Raise from a handler to throw a BPMN business error instead of failing the job.

    Args:
        code: The BPMN error code that a boundary event can catch.
        message: A human-readable message stored with the error.
        variables: Variables to set on the job's scope with the error.
    """

    def __init__(
        self, code: str, message: str = "", variables: dict[str, Any] | None = None
    ) -> None:
        if not code:
            raise ValueError("JobError needs a non-empty error code")
        self.code = code
        self.message = message
        self.variables = dict(variables or {})
        super().__init__(f"{code}: {message}" if message else code)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.code, self.message, self.variables))


class JobCancelledError(SdkError):
    """Raised by ``JobContext.raise_if_cancelled()`` once the worker has stopped the job.

    The job was cancelled (by an operator, its process instance or an interrupting event),
    handed to another worker, or ran out of time: the worker reports nothing for it, so a
    thread handler may let this propagate to end early. Raised by hand when the job was not
    stopped, it fails the job like any other exception.
    """


class StateUnavailableError(SdkError, RuntimeError):
    """``JobContext.state`` was read in a child process of the ``process`` strategy.

    Lifespan resources (connection pools, clients) live in the worker's process and cannot be
    pickled into children; open what a process handler needs in the child (e.g. at module
    level), or run the handler with the ``thread`` strategy.
    """


class FeelSyntaxError(SdkError, ValueError):
    """A FEEL expression that does not parse.

    The message says where and what, e.g. ``FEEL syntax error at line 1, column 5 of
    'x > > 1': unexpected '>'``; Zeebe refuses such a model at deployment.

    Attributes:
        expression: The expression as given.
        line: The 1-based line of the error.
        column: The 1-based column of the error.
        reason: What is wrong there.
    """

    def __init__(self, expression: str, line: int, column: int, reason: str) -> None:
        self.expression = expression
        self.line = line
        self.column = column
        self.reason = reason
        super().__init__(
            f"FEEL syntax error at line {line}, column {column} of {expression!r}: {reason}"
        )


class JobRunError(SdkError):
    """An awaited job did not complete; the subclass says how it ended instead.

    Attributes:
        job_key: The job's key (wait again with ``wait_for_job`` after a timeout).
    """

    def __init__(self, job_key: str, message: str) -> None:
        self.job_key = job_key
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.job_key, str(self)))


class JobErrorThrownError(JobRunError):
    """The job's handler threw a BPMN error (``JobError``) instead of completing it.

    Attributes:
        code: The BPMN error code.
        message: The error's message (may be empty).
    """

    def __init__(self, job_key: str, code: str, message: str = "") -> None:
        self.code = code
        self.message = message
        text = f"job {job_key} threw error {code!r}" + (f": {message}" if message else "")
        super().__init__(job_key, text)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.job_key, self.code, self.message))


class JobIncidentError(JobRunError):
    """The job failed with no retries left (an incident); ``message`` is the last failure's."""

    def __init__(self, job_key: str, message: str = "") -> None:
        self.message = message
        text = f"job {job_key} failed with no retries left" + (f": {message}" if message else "")
        super().__init__(job_key, text)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.job_key, self.message))


class JobRunCancelledError(JobRunError):
    """The job was cancelled (by an operator, or with its process instance)."""

    def __init__(self, job_key: str) -> None:
        super().__init__(job_key, f"job {job_key} was cancelled")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.job_key,))


class JobWaitTimeoutError(JobRunError):
    """The job has not ended within the wait; it goes on. Wait again with
    ``client.wait_for_job(error.job_key, timeout_s)``.

    Attributes:
        timeout_s: How long was waited.
    """

    def __init__(self, job_key: str, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        super().__init__(
            job_key,
            f"job {job_key} has not ended within {timeout_s:g} s and goes on; wait again with"
            f" wait_for_job({job_key!r}, timeout_s)",
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.job_key, self.timeout_s))
