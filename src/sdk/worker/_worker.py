"""``Worker``: the registry of handlers and the supervisor that runs them.

Shutdown, in order: (1) stop activating; (2) let running jobs finish for up to the grace
period; (3) cancel what still runs and hand those jobs back to the server at once (retries
unchanged, no back-off), so no job waits out its lease; (4) return. The client is the
caller's to close.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, TypeVar, overload

import anyio
from loguru import logger

from ..client import AsyncClient
from ..errors import ConfigurationError
from ._poller import JobPoller
from ._task import (
    DEFAULT_REQUEST_TIMEOUT_MS,
    DEFAULT_TIMEOUT_MS,
    RetryPolicy,
    Strategy,
    TaskSpec,
    check_picklable,
    make_task,
)

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_GRACE_PERIOD_S = 30.0


def default_worker_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class JobHandler:
    """Base class of class-based handlers: set ``job_type`` and implement ``handle``.

    ``handle`` takes the same parameters as a decorated function (a ``JobContext``,
    variables by name, ``**variables``) and may be ``async def``. Class attributes override
    the worker's defaults.
    """

    job_type: ClassVar[str] = ""
    strategy: ClassVar[Strategy | str] = Strategy.AUTO
    max_jobs: ClassVar[int | None] = None
    timeout_ms: ClassVar[int | None] = None
    fetch_variables: ClassVar[Sequence[str] | None] = None

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
    """

    def __init__(
        self,
        name: str | None = None,
        *,
        timeout_ms: int = DEFAULT_TIMEOUT_MS,
        request_timeout_ms: int = DEFAULT_REQUEST_TIMEOUT_MS,
        grace_period_s: float = DEFAULT_GRACE_PERIOD_S,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.name = name or default_worker_name()
        self.timeout_ms = timeout_ms
        self.request_timeout_ms = request_timeout_ms
        self.grace_period_s = grace_period_s
        self.retry = retry or RetryPolicy()
        self._tasks: dict[str, TaskSpec] = {}
        self._stop_requested = False
        self._stop: anyio.Event | None = None  # made in run(): constructors touch no loop
        self._pollers: list[JobPoller] = []

    @property
    def tasks(self) -> dict[str, TaskSpec]:
        """Registered tasks by job type (a copy)."""
        return dict(self._tasks)

    @property
    def in_flight(self) -> int:
        """Jobs running right now, over all job types."""
        return sum(p.in_flight for p in self._pollers)

    def add_task(self, task: TaskSpec) -> None:
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
    ) -> Callable[[F], F]: ...

    def task(
        self,
        job_type: str | F | None = None,
        *,
        strategy: Strategy | str = Strategy.AUTO,
        max_jobs: int | None = None,
        timeout_ms: int | None = None,
        request_timeout_ms: int | None = None,
        fetch_variables: Sequence[str] | None = None,
        retry: RetryPolicy | None = None,
    ) -> F | Callable[[F], F]:
        """Register a handler: ``@worker.task("charge-card")`` (or bare: the function's name).

        Args:
            job_type: The job type (default: the function's name).
            strategy: ``auto`` (default), ``async``, ``thread`` or ``process``.
            max_jobs: Jobs run at once (default 32; the core count for ``process``).
            timeout_ms: Job lease in ms (default: the worker's).
            request_timeout_ms: Long-poll wait in ms (default: the worker's).
            fetch_variables: Variables to fetch (default: all).
            retry: Back-off policy of failures (default: the worker's).
        """
        if callable(job_type):
            return self.task()(job_type)

        def register(func: F) -> F:
            self.add_task(
                make_task(
                    job_type or func.__name__,
                    func,
                    strategy=strategy,
                    max_jobs=max_jobs,
                    timeout_ms=timeout_ms or self.timeout_ms,
                    request_timeout_ms=(
                        self.request_timeout_ms
                        if request_timeout_ms is None
                        else request_timeout_ms
                    ),
                    fetch_variables=fetch_variables,
                    retry=retry or self.retry,
                )
            )
            return func

        return register

    def add_handler(self, handler: JobHandler | type[JobHandler]) -> None:
        """Register a ``JobHandler`` subclass (instantiated with no arguments) or instance."""
        instance = handler() if isinstance(handler, type) else handler
        if not instance.job_type:
            raise ConfigurationError(
                f"{type(instance).__name__} must set the job_type class attribute"
            )
        self.task(
            instance.job_type,
            strategy=instance.strategy,
            max_jobs=instance.max_jobs,
            timeout_ms=instance.timeout_ms,
            fetch_variables=instance.fetch_variables,
        )(instance.handle)

    def include(self, other: Worker) -> None:
        """Take over every task registered on ``other`` (used to merge handler modules)."""
        for task in other._tasks.values():
            self.add_task(task)

    @property
    def stop_requested(self) -> bool:
        return self._stop_requested

    def stop(self) -> None:
        """Ask ``run`` to shut down gracefully (see the module docstring). Idempotent."""
        self._stop_requested = True
        if self._stop is not None:
            self._stop.set()

    def check(self) -> None:
        """Raise ``ConfigurationError`` unless the worker can start (``run`` calls it too)."""
        if not self._tasks:
            raise ConfigurationError(
                'no handlers registered; decorate a function with @worker.task("type")'
            )
        for task in self._tasks.values():
            if task.strategy is Strategy.PROCESS:
                check_picklable(task)

    async def run(self, client: AsyncClient) -> None:
        """Work jobs with ``client`` until ``stop()``, then drain and return.

        Raises:
            ConfigurationError: no handler is registered, or one cannot run (see ``check``).
        """
        self.check()
        self._pollers = [JobPoller(t, client, self.name) for t in self._tasks.values()]
        self._stop = anyio.Event()
        if self._stop_requested:
            self._stop.set()
        drained = anyio.Event()
        remaining = len(self._pollers)

        async def run_poller(poller: JobPoller) -> None:
            nonlocal remaining
            try:
                await poller.run()
            finally:
                remaining -= 1
                if remaining == 0:
                    drained.set()

        logger.info(
            "worker {} starting: {} job type(s) on {}", self.name, remaining, client.base_url
        )
        async with anyio.create_task_group() as tg:
            for poller in self._pollers:
                tg.start_soon(run_poller, poller)
            await self._stop.wait()
            # 1. stop activating
            for poller in self._pollers:
                poller.stop()
            logger.info("worker {}: stopping, {} job(s) running", self.name, self.in_flight)
            # 2. drain, up to the grace period
            with anyio.move_on_after(self.grace_period_s):
                await drained.wait()
            # 3. hand back what still runs (each job does so as it is cancelled)
            if not drained.is_set():
                logger.warning(
                    "worker {}: grace period of {}s over, handing back {} job(s)",
                    self.name,
                    self.grace_period_s,
                    self.in_flight,
                )
            tg.cancel_scope.cancel()
        self._stop_requested = False  # the worker may run again
        logger.info("worker {} stopped", self.name)
