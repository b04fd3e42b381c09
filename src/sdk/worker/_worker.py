"""``Worker``: the registry of handlers, and the entry point that runs them.

``run`` hands the work to a ``WorkerRun`` (see ``runtime._run`` for the shutdown sequence)
and serves the optional health/metrics endpoint beside it.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar, overload

from .. import _logging
from ..client import AsyncClient
from ..errors import ConfigurationError
from ._lifespan import Lifespan, as_lifespan, entered
from ._middleware import Middleware, check_middleware
from ._options import (
    DEFAULT_REQUEST_TIMEOUT_MS,
    DEFAULT_TIMEOUT_MS,
    LeaseExtension,
    RetryPolicy,
    Strategy,
    TaskOptions,
)
from ._task import TaskSpec, check_picklable, make_task
from .observe import (
    DEFAULT_HTTP_HOST,
    JobLog,
    JobLogMode,
    JobTracing,
    WorkerMetrics,
    bind_http,
    health_app,
)
from .runtime import ProgressSender, Reporter, Runtime, ServerLink, WorkerRun

if TYPE_CHECKING:
    from opentelemetry.trace import TracerProvider
    from prometheus_client import CollectorRegistry

F = TypeVar("F", bound=Callable[..., Any])
L = TypeVar("L", bound=Callable[[], Any])

DEFAULT_GRACE_PERIOD_S = 30.0


def _job_log_mode(value: str) -> JobLogMode:
    try:
        return JobLogMode(value)
    except ValueError:
        choices = ", ".join(m.value for m in JobLogMode)
        raise ConfigurationError(f"job_log must be one of {choices}, not {value!r}") from None


def default_worker_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class JobHandler:
    """Base class of class-based handlers: set ``job_type`` and implement ``handle``.

    ``handle`` takes the same parameters as a decorated function (a ``JobContext``,
    variables by name, ``**variables``) and may be ``async def``. Class attributes are the
    ``TaskOptions`` of ``@worker.task``, each one unset (``None``) taking the worker's default.
    """

    job_type: ClassVar[str] = ""
    strategy: ClassVar[Strategy | str] = Strategy.AUTO
    max_jobs: ClassVar[int | None] = None
    timeout_ms: ClassVar[int | None] = None
    request_timeout_ms: ClassVar[int | None] = None
    fetch_variables: ClassVar[Sequence[str] | None] = None
    retry: ClassVar[RetryPolicy | None] = None
    lease_extension: ClassVar[LeaseExtension | bool | None] = None
    max_jobs_per_child: ClassVar[int | None] = None
    middleware: ClassVar[Sequence[Middleware]] = ()
    schedule: ClassVar[str | timedelta | None] = None

    def handle(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement handle()")


class Worker:
    """Handlers by job type, and the loop that runs them against a server.

    Args:
        name: Worker name recorded on activated jobs (default: ``<host>-<pid>``).
        timeout_ms: Default job lease in ms (default 300000).
        request_timeout_ms: Default long-poll wait in ms (default 20000).
        grace_period_s: How long running jobs may finish after a stop (default 30).
        retry: Default back-off policy of failed jobs.
        lease_extension: Default lease extension of running jobs: ``True`` (default: extend
            at half the lease), ``False``, or a ``LeaseExtension``.
        logger: Where the worker logs: a loguru logger (default: loguru's) or a stdlib
            ``logging.Logger`` (records carry ``job_key``, ``job_type``, ``worker``).
        http_port: Serve ``/healthz``, ``/readyz`` and ``/metrics`` on this port while
            running (0: any free port, see ``http_url``; default ``None``: no endpoint).
        http_host: Address of that endpoint (default ``127.0.0.1``).
        report_batching: Report outcomes in batches through the broker's
            ``jobs.report-batch`` extension: ``None`` (default) when the server advertises
            it, ``False`` never (exact per-job Camunda calls), ``True`` required.
        middleware: Run around every job of the tasks registered on this worker, on the
            event loop, the first outermost (docs/handlers.md, "Middleware").
        tracer_provider: With the ``[otel]`` extra: the OpenTelemetry provider of the job
            spans (default: the global one, looked up when a job starts). See docs/tracing.md.
        job_log: ``each`` (default): an INFO line per completed job; ``summary``: one INFO
            line per job type every 10 s instead. Failures are logged one by one either way.
    """

    def __init__(
        self,
        name: str | None = None,
        *,
        timeout_ms: int = DEFAULT_TIMEOUT_MS,
        request_timeout_ms: int = DEFAULT_REQUEST_TIMEOUT_MS,
        grace_period_s: float = DEFAULT_GRACE_PERIOD_S,
        retry: RetryPolicy | None = None,
        lease_extension: LeaseExtension | bool = True,
        logger: _logging.Log | logging.Logger | None = None,
        http_port: int | None = None,
        http_host: str = DEFAULT_HTTP_HOST,
        report_batching: bool | None = None,
        middleware: Sequence[Middleware] = (),
        tracer_provider: TracerProvider | None = None,
        job_log: Literal["each", "summary"] = "each",
    ) -> None:
        check_middleware("Worker", middleware)
        self.middleware: tuple[Middleware, ...] = tuple(middleware)
        self._lifespans: list[Lifespan] = []
        self.name = name or default_worker_name()
        self.report_batching = report_batching
        self.tracer_provider = tracer_provider
        self.job_log = _job_log_mode(job_log)
        self.timeout_ms = timeout_ms
        self.request_timeout_ms = request_timeout_ms
        self.grace_period_s = grace_period_s
        self.retry = retry or RetryPolicy()
        self.lease_extension = LeaseExtension.of(lease_extension)
        self.http_port = http_port
        self.http_host = http_host
        self._log = _logging.resolve(logger).bind(worker=self.name)
        self._metrics = WorkerMetrics()
        self._link = ServerLink(self._log, self._metrics)
        self._tasks: dict[str, TaskSpec] = {}
        self._stop_requested = False
        self._running: WorkerRun | None = None

    @property
    def tasks(self) -> dict[str, TaskSpec]:
        """Registered tasks by job type (a copy)."""
        return dict(self._tasks)

    @property
    def in_flight(self) -> int:
        """Jobs running right now, over all job types."""
        return 0 if self._running is None else self._running.in_flight

    @property
    def readiness(self) -> tuple[bool, str]:
        """``(ready, reason)``: ready while running, not draining, and the server answers."""
        if self._running is None:
            return False, "not running"
        if self._running.draining:
            return False, "draining: finishing running jobs, taking no new ones"
        return self._link.readiness()

    @property
    def http_url(self) -> str | None:
        """Base URL of the health/metrics endpoint while it is served, else ``None``."""
        return None if self._running is None else self._running.http_url

    @property
    def metrics_registry(self) -> CollectorRegistry:
        """This worker's Prometheus registry (to expose it from an app of your own; made, and
        prometheus_client imported, on first use)."""
        return self._metrics.registry

    def render_metrics(self) -> bytes:
        """The metrics in Prometheus' text format, as ``/metrics`` serves them."""
        return self._metrics.render()

    def add_task(self, task: TaskSpec) -> None:
        """Register a resolved task (``task``, ``add_handler`` and ``include`` end here).

        Raises:
            ConfigurationError: its job type has a handler already.
        """
        if task.job_type in self._tasks:
            other = self._tasks[task.job_type].name
            raise ConfigurationError(
                f"job type {task.job_type!r} has two handlers: {other} and {task.name}"
            )
        self._tasks[task.job_type] = task

    @overload
    def task(self, job_type: F) -> F: ...

    @overload
    def task(
        self,
        job_type: str | None = None,
        *,
        strategy: Strategy | str = Strategy.AUTO,
        max_jobs: int | None = None,
        timeout_ms: int | None = None,
        request_timeout_ms: int | None = None,
        fetch_variables: Sequence[str] | None = None,
        retry: RetryPolicy | None = None,
        lease_extension: LeaseExtension | bool | None = None,
        max_jobs_per_child: int | None = None,
        middleware: Sequence[Middleware] = (),
        schedule: str | timedelta | None = None,
    ) -> Callable[[F], F]: ...

    def task(self, job_type: str | F | None = None, **options: Any) -> F | Callable[[F], F]:
        """Register a handler: ``@worker.task("charge-card")`` (or bare: the function's name).

        Args:
            job_type: The job type (default: the function's name).
            **options: The other ``TaskOptions``, by name: ``strategy``, ``max_jobs``,
                ``timeout_ms``, ``request_timeout_ms``, ``fetch_variables``, ``retry``,
                ``lease_extension``, ``max_jobs_per_child``, ``middleware``, ``schedule``
                (see there).
        """
        if callable(job_type):  # bare @worker.task
            return self.task()(job_type)
        given = TaskOptions(job_type=job_type, **options)

        def register(func: F) -> F:
            named = replace(given, job_type=job_type or func.__name__)
            self.add_task(make_task(func, named.over(self._defaults())))
            return func

        return register

    def _defaults(self) -> TaskOptions:
        """The options a task leaves unset take these (the worker's own, read now)."""
        return TaskOptions(
            timeout_ms=self.timeout_ms,
            request_timeout_ms=self.request_timeout_ms,
            retry=self.retry,
            lease_extension=self.lease_extension,
            middleware=self.middleware,
        )

    def add_handler(self, handler: JobHandler | type[JobHandler]) -> None:
        """Register a ``JobHandler`` subclass (instantiated with no arguments) or instance."""
        instance = handler() if isinstance(handler, type) else handler
        if not instance.job_type:
            raise ConfigurationError(
                f"{type(instance).__name__} must set the job_type class attribute"
            )
        options = TaskOptions(
            **{f.name: getattr(instance, f.name) for f in dataclasses.fields(TaskOptions)}
        )
        self.add_task(make_task(instance.handle, options.over(self._defaults())))

    def include(self, other: Worker) -> None:
        """Take over every task and lifespan of ``other`` (used to merge handler modules).

        Its tasks keep the middleware they were registered with.
        """
        for task in other._tasks.values():
            self.add_task(task)
        self._lifespans.extend(ls for ls in other._lifespans if ls not in self._lifespans)

    def lifespan(self, func: L) -> L:
        """Register resources opened before the first poll and closed after the drain.

        ``func`` is an async generator function (or an async context manager function)
        without arguments that yields a mapping of resources by name (or nothing); handlers
        and middleware read them as ``job.state["name"]``. Process handlers cannot (a
        ``StateUnavailableError`` says why). Several lifespans are entered in order.
        """
        self._lifespans.append(as_lifespan(func))
        return func

    @property
    def stop_requested(self) -> bool:
        return self._stop_requested

    def stop(self) -> None:
        """Ask ``run`` to shut down gracefully (see ``runtime._run``). Idempotent."""
        self._stop_requested = True
        if self._running is not None:
            self._running.stop()

    def check(self) -> None:
        """Raise ``ConfigurationError`` unless the worker can start (``run`` calls it too)."""
        if not self._tasks:
            raise ConfigurationError(
                'no handlers registered; decorate a function with @worker.task("type")'
            )
        for task in self._tasks.values():
            if task.strategy is Strategy.PROCESS:
                check_picklable(task)

    async def run(self, client: AsyncClient, *, http_sock: socket.socket | None = None) -> None:
        """Work jobs with ``client`` until ``stop()``, then drain and return.

        Args:
            client: The client of the server to work for (the caller closes it).
            http_sock: A bound, listening socket for the health/metrics endpoint (overrides
                ``http_port``; the command line binds it early so a taken port is a clear
                start-up error).

        Raises:
            ConfigurationError: no handler is registered, one cannot run (see ``check``), or
                the endpoint's port cannot be bound.
            RuntimeError: the worker is running already.
        """
        self.check()
        if self._running is not None:
            raise RuntimeError(f"worker {self.name} is running already; stop() it first")
        if http_sock is None and self.http_port is not None:
            http_sock = bind_http(self.http_host, self.http_port)
        async with entered(self._lifespans) as state:  # closed after the drain
            runtime = Runtime(
                worker_name=self.name,
                client=client,
                log=self._log,
                metrics=self._metrics,
                link=self._link,
                reporter=Reporter(client, self._log),
                job_log=JobLog(self.job_log),
                tracing=JobTracing.create(self.tracer_provider, self.name),
                state=state,
                progress=ProgressSender(client, self._log),
            )
            run = WorkerRun(
                runtime,
                list(self._tasks.values()),
                grace_period_s=self.grace_period_s,
                report_batching=self.report_batching,
            )
            self._link.reset()
            self._running = run
            if self._stop_requested:
                run.stop()
            try:
                await run.run(None if http_sock is None else (health_app(self), http_sock))
            finally:
                self._running = None
                self._stop_requested = False  # the worker may run again
