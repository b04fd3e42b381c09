"""What a task may set (``TaskOptions``) and the value types of its settings.

``TaskOptions`` is the one list of a task's settings: ``@worker.task(...)`` takes them as
keywords, a ``JobHandler`` as class attributes, and ``make_task`` resolves them into the
registry's ``TaskSpec``, field by field (a test keeps the four in step).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum

from ..errors import ConfigurationError
from ._middleware import Middleware

DEFAULT_AT_FRACTION = 0.5
DEFAULT_CANCEL_CHECK_MS = 5_000
DEFAULT_MAX_JOBS = 32
DEFAULT_TIMEOUT_MS = 300_000
"""Lease of an activated job: 5 minutes, the Camunda Java client's default."""
DEFAULT_REQUEST_TIMEOUT_MS = 20_000
"""How long one activation long-polls for new jobs."""


class Strategy(str, Enum):
    """Where a handler runs. ``AUTO``: ``async def`` on the event loop, plain ``def`` in threads."""

    AUTO = "auto"
    ASYNC = "async"
    THREAD = "thread"
    PROCESS = "process"
    INLINE = "inline"
    """Sync handlers on the event loop itself; only for tests of tiny handlers."""


@dataclass(frozen=True)
class RetryPolicy:
    """Back-off before a failed job is retried: ``initial_ms * multiplier ** n``, capped.

    ``n`` counts the retries already used, judged from the retries left against
    ``expected_retries`` (a job's usual starting budget; Camunda's default is 3).
    """

    initial_ms: int = 1_000
    multiplier: float = 2.0
    max_ms: int = 60_000
    expected_retries: int = 3

    def backoff_ms(self, retries_left: int) -> int:
        used = max(0, self.expected_retries - retries_left)
        return int(min(self.max_ms, self.initial_ms * self.multiplier**used))


@dataclass(frozen=True)
class LeaseExtension:
    """How a running job's lease is extended.

    Attributes:
        enabled: Extend leases at all (default ``True``). Off: a handler still running when
            its lease ends is stopped and the server hands the job out again.
        at_fraction: Extend once this fraction of the lease has passed (default 0.5), each
            time by the task's full ``timeout_ms``.
        max_run_time_ms: Stop a handler that has run this long even though its lease keeps
            being extended, and fail the job (retries - 1) saying so. ``None`` (default): no
            bound while the worker can extend; set it to catch handlers that hang.
        cancel_check_ms: Once a job has run this long, extend its lease at least this often
            (default 5000): the server tells a worker that a job was cancelled only by
            answering 404 to the extension, so this bounds how long a cancelled job's handler
            runs on. It costs one request per job running longer than this, per interval;
            jobs that end sooner cost nothing. ``None``: extend only at ``at_fraction``.
    """

    enabled: bool = True
    at_fraction: float = DEFAULT_AT_FRACTION
    max_run_time_ms: int | None = None
    cancel_check_ms: int | None = DEFAULT_CANCEL_CHECK_MS

    def __post_init__(self) -> None:
        if not 0 < self.at_fraction < 1:
            raise ConfigurationError(
                f"LeaseExtension.at_fraction must be between 0 and 1, not {self.at_fraction}"
            )
        if self.max_run_time_ms is not None and self.max_run_time_ms < 1:
            raise ConfigurationError("LeaseExtension.max_run_time_ms must be >= 1 or None")
        if self.cancel_check_ms is not None and self.cancel_check_ms < 100:
            raise ConfigurationError("LeaseExtension.cancel_check_ms must be >= 100 or None")

    @classmethod
    def of(cls, value: LeaseExtension | bool) -> LeaseExtension:
        """``True``/``False`` as shorthands for the default policy and for no extension."""
        if isinstance(value, LeaseExtension):
            return value
        return cls(enabled=bool(value))


@dataclass(frozen=True)
class TaskOptions:
    """Everything a task may set; ``None`` (``()`` for middleware) leaves it to the default.

    Attributes:
        job_type: The job type (decorator default: the function's name).
        strategy: ``auto`` (default), ``async``, ``thread``, ``process`` or ``inline``.
        max_jobs: Jobs run at once (default 32; the core count for ``process``).
        timeout_ms: Job lease in ms (default: the worker's).
        request_timeout_ms: Long-poll wait in ms (default: the worker's).
        fetch_variables: Variables to fetch (default: the handler's parameters when it names
            each variable it reads, else all).
        retry: Back-off policy of failures (default: the worker's).
        lease_extension: Lease extension of running jobs (``True``/``False`` or a
            ``LeaseExtension``, which also bounds the run time; default: the worker's).
        max_jobs_per_child: ``process`` only: jobs a child process runs before a fresh one
            replaces it (default: no limit).
        middleware: Run around this task's jobs, inside the worker's middleware.
        schedule: Have the broker create a job of this type on a five-field cron expression
            (``"*/5 * * * *"``, UTC) or every ``timedelta``: the worker upserts the schedule,
            named after the job type, at start (a server without schedules: a warning).
    """

    job_type: str | None = None
    strategy: Strategy | str = Strategy.AUTO
    max_jobs: int | None = None
    timeout_ms: int | None = None
    request_timeout_ms: int | None = None
    fetch_variables: Sequence[str] | None = None
    retry: RetryPolicy | None = None
    lease_extension: LeaseExtension | bool | None = None
    max_jobs_per_child: int | None = None
    middleware: Sequence[Middleware] = ()
    schedule: str | timedelta | None = None

    def __post_init__(self) -> None:  # tuples: a frozen value stays unchanged and hashable
        if self.fetch_variables is not None:
            object.__setattr__(self, "fetch_variables", tuple(self.fetch_variables))
        object.__setattr__(self, "middleware", tuple(self.middleware))

    def over(self, defaults: TaskOptions) -> TaskOptions:
        """These options, each one left unset taken from ``defaults`` (whose middleware runs
        outside this task's own)."""
        given = {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if f.name != "middleware" and getattr(self, f.name) is not None
        }
        return dataclasses.replace(
            defaults, **given, middleware=(*defaults.middleware, *self.middleware)
        )
