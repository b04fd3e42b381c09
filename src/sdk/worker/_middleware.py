"""Middleware: code run around every job on the event loop, whatever the handler's strategy.

A middleware is ``async def mw(job: JobContext, call_next: CallNext) -> Outcome``. It may
time or log the job, pass an enriched ``JobContext`` on (``dataclasses.replace``), return an
outcome of its own without calling ``call_next`` (short-circuit), or replace the outcome it
got back. The worker's middleware wraps the task's; within a list, the first is outermost.

A middleware that raises fails that job (``JobError`` throws its BPMN error, as from a
handler) and the worker goes on; so does one that returns something not an ``Outcome``.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from functools import partial

from ..errors import ConfigurationError, JobError
from ._context import JobContext
from ._outcome import Complete, Fail, Outcome, ThrowError, describe, from_exception

CallNext = Callable[[JobContext], Awaitable[Outcome]]
"""Runs the rest of the chain (the next middleware, at the end the handler) for a job."""
Middleware = Callable[[JobContext, CallNext], Awaitable[Outcome]]
"""``async def mw(job, call_next) -> Outcome``."""

_OUTCOMES = (Complete, Fail, ThrowError)


def check_middleware(where: str, middleware: Sequence[Middleware]) -> None:
    """Refuse at registration what cannot be a middleware, rather than at the first job."""
    for mw in middleware:
        if not _is_async_callable(mw):
            raise ConfigurationError(
                f"{where}: middleware {_name(mw)} must be an 'async def mw(job, call_next)'"
                " returning an Outcome"
            )


def _is_async_callable(obj: object) -> bool:
    if inspect.iscoroutinefunction(obj):
        return True
    return callable(obj) and inspect.iscoroutinefunction(type(obj).__call__)


def chain(middleware: Sequence[Middleware], endpoint: CallNext) -> CallNext:
    """``endpoint`` wrapped in ``middleware``, the first outermost; built once per task."""
    call_next = endpoint
    for mw in reversed(middleware):
        call_next = partial(_run_layer, mw, call_next)
    return call_next


async def _run_layer(mw: Middleware, call_next: CallNext, job: JobContext) -> Outcome:
    try:
        outcome = await mw(job, call_next)
    except JobError as exc:
        return from_exception(exc)
    except Exception as exc:
        return Fail(f"middleware {_name(mw)} raised {describe(exc)}")
    if not isinstance(outcome, _OUTCOMES):
        return Fail(
            f"middleware {_name(mw)} returned {type(outcome).__name__}, not an Outcome"
            " (Complete, Fail or ThrowError); return what call_next returned"
        )
    return outcome


def _name(mw: object) -> str:
    return repr(getattr(mw, "__qualname__", type(mw).__qualname__))
