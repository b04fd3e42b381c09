"""A registered handler: how to call it for a job, and with which settings it runs.

A handler's parameters say what it wants: one annotated ``JobContext`` gets the job, a
``**kwargs`` gets all variables, any other named parameter gets the variable of that name.
Everything is checked here, at registration, so a bad handler fails at start-up and not at
its first job.
"""

from __future__ import annotations

import dataclasses
import inspect
import os
import pickle
import re
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from ..errors import ConfigurationError
from ..models import SCHEDULE_NAME_PATTERN
from ._context import JobContext
from ._inputs import InputError, VariableParam, bind, variable_param, whole_model
from ._middleware import Middleware, check_middleware
from ._options import (
    DEFAULT_MAX_JOBS,
    DEFAULT_REQUEST_TIMEOUT_MS,
    DEFAULT_TIMEOUT_MS,
    LeaseExtension,
    RetryPolicy,
    Strategy,
    TaskOptions,
)
from ._outcome import Fail, Outcome, from_exception, from_result


@dataclass(frozen=True)
class Invocation:
    """How to call one handler for a job (see ``_inputs`` for how parameters are filled).

    Pickled into child processes by reference to ``func``: the child rebuilds it (and its
    validators) once per handler, not once per job.
    """

    func: Callable[..., Any]
    context_param: str | None
    variable_params: tuple[VariableParam, ...]
    takes_all_variables: bool
    whole_model: str | None = None
    """The parameter built from all variables when the job has none of its name."""

    @property
    def needed_variables(self) -> tuple[str, ...] | None:
        """The variables the handler reads, or ``None`` when it may read any of them."""
        if self.context_param or self.takes_all_variables or self.whole_model:
            return None
        return tuple(p.name for p in self.variable_params) or None

    def arguments(self, ctx: JobContext) -> dict[str, Any]:
        variables = ctx.variables
        kwargs = bind(self.variable_params, self.whole_model, variables)
        if self.takes_all_variables:
            kwargs = {**variables, **kwargs}
        if self.context_param is not None:
            kwargs[self.context_param] = ctx
        return kwargs

    def run_sync(self, ctx: JobContext) -> Outcome:
        """Run a plain ``def`` handler and map what it did to an ``Outcome``."""
        try:
            return from_result(self.func(**self.arguments(ctx)))
        except InputError as exc:
            return Fail(str(exc), retries=0)
        except Exception as exc:
            return from_exception(exc)

    async def run_async(self, ctx: JobContext) -> Outcome:
        """Run an ``async def`` handler and map what it did to an ``Outcome``."""
        try:
            return from_result(await self.func(**self.arguments(ctx)))
        except InputError as exc:
            return Fail(str(exc), retries=0)
        except Exception as exc:
            return from_exception(exc)

    def __reduce__(self) -> tuple[Any, ...]:
        return _invocation_of, (self.func,)


_CHILD_INVOCATIONS: dict[tuple[Any, bool], Invocation] = {}


def _invocation_of(func: Callable[..., Any]) -> Invocation:
    """A child process's copy of an ``Invocation``, parsed once per handler.

    Keyed by the underlying function (or class of a callable object): a bound method arrives
    with a fresh instance for every job.
    """
    target = getattr(func, "__func__", func) if inspect.isroutine(func) else type(func)
    key = (target, inspect.ismethod(func))
    known = _CHILD_INVOCATIONS.get(key)
    if known is None:
        known = _CHILD_INVOCATIONS[key] = _invocation("handler", func)
    return known if known.func is func else dataclasses.replace(known, func=func)


@dataclass(frozen=True)
class TaskSpec:
    """One job type and the handler that works it: a ``TaskOptions`` resolved by ``make_task``
    (every field set, the strategy never ``AUTO``), plus how the handler is called.

    Attributes:
        job_type: The job type to activate.
        handler: The function (or callable object) that works the job.
        strategy: Where it runs (resolved: never ``AUTO``).
        max_jobs: Jobs of this type run at once (the activation never asks for more).
        timeout_ms: Lease asked for on activation; the handler is stopped after it.
        request_timeout_ms: Long-poll wait of one activation.
        fetch_variables: Variables to fetch; ``None``: all. Defaults to the handler's
            parameters when it names every variable it reads (see ``Invocation``).
        retry: Back-off policy of failures.
        lease_extension: How the lease of a running job is extended.
        max_jobs_per_child: ``process`` only: jobs a child process runs before it is
            replaced by a fresh one; ``None``: no limit.
        middleware: Run around each job on the event loop, outermost first.
        schedule: A cron expression or an interval the broker creates jobs of this type
            on (upserted at the worker's start); ``None``: none.
    """

    job_type: str
    handler: Callable[..., Any]
    strategy: Strategy
    max_jobs: int = DEFAULT_MAX_JOBS
    timeout_ms: int = DEFAULT_TIMEOUT_MS
    request_timeout_ms: int = DEFAULT_REQUEST_TIMEOUT_MS
    fetch_variables: Sequence[str] | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    lease_extension: LeaseExtension = field(default_factory=LeaseExtension)
    max_jobs_per_child: int | None = None
    middleware: tuple[Middleware, ...] = ()
    schedule: str | timedelta | None = None
    _invocation: Invocation = field(init=False, repr=False, compare=False)
    """How the handler is called: parsed once here, checked already by ``make_task``."""

    def __post_init__(self) -> None:
        where = f"handler {self.name!r} for job type {self.job_type!r}"
        object.__setattr__(self, "_invocation", _invocation(where, self.handler))

    @property
    def name(self) -> str:
        return getattr(self.handler, "__qualname__", repr(self.handler))


def invocation_of(task: TaskSpec) -> Invocation:
    """How ``task``'s handler is called (an implementation detail of the worker runtime)."""
    return task._invocation


def make_task(func: Callable[..., Any], options: TaskOptions) -> TaskSpec:
    """Check a handler and its options and resolve what is unset; raise ``ConfigurationError``
    saying what is wrong. ``options`` already holds the worker's defaults (``TaskOptions.over``).
    """
    job_type = options.job_type or ""
    where = f"handler {getattr(func, '__qualname__', func)!r} for job type {job_type!r}"
    if not job_type:
        raise ConfigurationError(f"{where}: the job type must not be empty")
    if not callable(func):
        raise ConfigurationError(f"{where}: {func!r} is not callable")
    chosen = _strategy(where, options.strategy, inspect.iscoroutinefunction(func))
    max_jobs = options.max_jobs
    if max_jobs is None:  # a process per job: as many as there are cores
        max_jobs = (os.cpu_count() or 1) if chosen is Strategy.PROCESS else DEFAULT_MAX_JOBS
    timeout_ms = DEFAULT_TIMEOUT_MS if options.timeout_ms is None else options.timeout_ms
    request_timeout_ms = options.request_timeout_ms
    if request_timeout_ms is None:
        request_timeout_ms = DEFAULT_REQUEST_TIMEOUT_MS
    if max_jobs < 1 or timeout_ms < 1 or request_timeout_ms < 0:
        raise ConfigurationError(
            f"{where}: max_jobs and timeout_ms must be >= 1 and request_timeout_ms >= 0"
        )
    max_jobs_per_child = options.max_jobs_per_child
    if max_jobs_per_child is not None and (
        chosen is not Strategy.PROCESS or max_jobs_per_child < 1
    ):
        raise ConfigurationError(
            f"{where}: max_jobs_per_child applies to the process strategy only and must be >= 1"
        )
    invocation = _invocation(where, func)
    if chosen is Strategy.PROCESS:
        _check_importable(where, func)
    middleware = tuple(options.middleware)
    check_middleware(where, middleware)
    fetch_variables = options.fetch_variables
    if fetch_variables is None:  # as Spring Zeebe does from @Variable parameters
        fetch_variables = invocation.needed_variables
    lease_extension = True if options.lease_extension is None else options.lease_extension
    return TaskSpec(
        job_type=job_type,
        handler=func,
        strategy=chosen,
        max_jobs=max_jobs,
        timeout_ms=timeout_ms,
        request_timeout_ms=request_timeout_ms,
        fetch_variables=tuple(fetch_variables) if fetch_variables is not None else None,
        retry=options.retry or RetryPolicy(),
        lease_extension=LeaseExtension.of(lease_extension),
        max_jobs_per_child=max_jobs_per_child,
        middleware=middleware,
        schedule=_schedule(where, job_type, options.schedule),
    )


def _schedule(
    where: str, job_type: str, schedule: str | timedelta | None
) -> str | timedelta | None:
    """A task's schedule, checked at registration rather than at the broker's first refusal."""
    if schedule is None:
        return None
    if not re.fullmatch(SCHEDULE_NAME_PATTERN, job_type):
        raise ConfigurationError(
            f"{where}: a scheduled job type names its schedule, so it must be letters, digits"
            " and '_.:-' (not starting with a dot, at most 255)"
        )
    if isinstance(schedule, timedelta):
        if schedule < timedelta(seconds=1):
            raise ConfigurationError(f"{where}: schedule interval must be at least one second")
        return schedule
    from croniter import croniter  # only a scheduled task pays for the import

    if len(schedule.split()) != 5 or not croniter.is_valid(schedule):
        raise ConfigurationError(
            f"{where}: schedule {schedule!r} is not a cron expression of five fields"
            " (minute hour day-of-month month day-of-week, e.g. '*/5 * * * *')"
        )
    return schedule


def _strategy(where: str, name: Strategy | str, is_async: bool) -> Strategy:
    try:
        strategy = Strategy(name)
    except ValueError:
        options = ", ".join(s.value for s in Strategy)
        raise ConfigurationError(
            f"{where}: unknown strategy {name!r}; use one of {options}"
        ) from None
    if strategy is Strategy.AUTO:
        return Strategy.ASYNC if is_async else Strategy.THREAD
    if strategy is Strategy.ASYNC and not is_async:
        raise ConfigurationError(f"{where}: strategy 'async' needs an 'async def' handler")
    if strategy is not Strategy.ASYNC and is_async:
        raise ConfigurationError(
            f"{where}: an 'async def' handler runs on the event loop; use strategy 'async'"
            " (or 'auto'), or make it a plain 'def' for the thread/process strategies"
        )
    return strategy


def _invocation(where: str, func: Callable[..., Any]) -> Invocation:
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"{where}: cannot read its signature ({exc})") from None
    hints = _type_hints(func)
    context_param: str | None = None
    variables: list[VariableParam] = []
    all_variables = False
    for name, param in signature.parameters.items():
        if param.kind is param.VAR_KEYWORD:
            all_variables = True
        elif param.kind in (param.VAR_POSITIONAL, param.POSITIONAL_ONLY):
            raise ConfigurationError(
                f"{where}: parameter {name!r} must be passable by name (no *args or '/')"
            )
        elif hints.get(name) is JobContext:
            if context_param is not None:
                raise ConfigurationError(
                    f"{where}: parameters {context_param!r} and {name!r} are both JobContext;"
                    " keep one"
                )
            context_param = name
        else:
            required = param.default is param.empty
            variables.append(variable_param(where, name, hints.get(name, Any), required))
    params = tuple(variables)
    whole = whole_model(where, params, all_variables)
    return Invocation(func, context_param, params, all_variables, whole)


def _type_hints(func: Callable[..., Any]) -> dict[str, Any]:
    target = func.__call__ if not inspect.isroutine(func) else func  # type: ignore[operator]
    try:
        return typing.get_type_hints(target, include_extras=True)
    except Exception:  # unresolvable forward references: fall back to raw annotations
        annotations: dict[str, Any] = getattr(target, "__annotations__", {})
        return {
            k: JobContext if v in ("JobContext", JobContext) else v for k, v in annotations.items()
        }


def _check_importable(where: str, func: Callable[..., Any]) -> None:
    """At decoration time the function is not yet bound to its module name, so pickling it
    would fail; check that it will be importable by name instead (``check_picklable`` runs
    the real test when the worker starts)."""
    target = getattr(func, "__func__", func)
    qualname = getattr(target, "__qualname__", "")
    if "<locals>" in qualname or "<lambda>" in qualname or not qualname:
        raise ConfigurationError(
            f"{where}: the process strategy needs a handler that child processes can import"
            " by name: a module-level function or a method of a module-level class,"
            " not a lambda or a nested function"
        )


def check_picklable(task: TaskSpec) -> None:
    """Raise ``ConfigurationError`` unless ``task``'s handler pickles into a child process."""
    try:
        pickle.dumps(task._invocation)
    except Exception as exc:
        raise ConfigurationError(
            f"handler {task.name!r} for job type {task.job_type!r} cannot be sent to a child"
            f" process (process strategy): {exc}"
        ) from None
