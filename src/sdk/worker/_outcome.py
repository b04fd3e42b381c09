"""What running a handler came to, as picklable data, and how results and errors map to it.

return dict / pydantic model / dataclass / None  -> Complete (JSON-mode variables)
raise JobError(code, message, variables)          -> ThrowError
raise anything else                               -> Fail (retries - 1, back-off)
"""

from __future__ import annotations

import dataclasses
import traceback
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticSerializationError, to_jsonable_python

from .._otel import record_exception
from ..errors import JobError
from ..models import ActivatedJob

MAX_ERROR_MESSAGE = 4_000
TRACEBACK_LINES = 8


@dataclass(frozen=True)
class Complete:
    """Complete the job, merging ``variables`` into its process."""

    variables: dict[str, Any]


@dataclass(frozen=True)
class Fail:
    """A technical failure: the job is retried with back-off from the task's policy.

    ``retries``: retries left to report; ``None`` (default): ``retries - 1``; ``0`` raises an
    incident at once (bad input that no retry can fix).
    """

    message: str
    retries: int | None = None


@dataclass(frozen=True)
class ThrowError:
    """Throw the BPMN error ``code`` (what ``raise JobError(...)`` comes to)."""

    code: str
    message: str
    variables: dict[str, Any]


Outcome = Complete | Fail | ThrowError


def from_result(result: Any) -> Outcome:
    """Map a handler's return value; anything not JSON-able is a failure that says why.

    pydantic serialises models, dataclasses and dicts in JSON mode, so ``datetime``,
    ``Decimal``, ``UUID`` and ``Enum`` values become strings and numbers.
    """
    if result is None:
        return Complete({})
    is_object = isinstance(result, BaseModel) or (
        dataclasses.is_dataclass(result) and not isinstance(result, type)
    )
    if not is_object and (
        not isinstance(result, dict) or not all(isinstance(k, str) for k in result)
    ):
        return Fail(
            f"handler returned {type(result).__name__}; return a dict with string keys,"
            " a pydantic model, a dataclass or None"
        )
    try:
        variables = to_jsonable_python(result, by_alias=True)
    except PydanticSerializationError as exc:
        return Fail(f"handler returned variables that are not JSON-serialisable: {exc}")
    return Complete(variables)


def from_exception(exc: BaseException) -> Outcome:
    """``JobError`` throws a business error; any other exception fails with a traceback tail."""
    if isinstance(exc, JobError):
        try:
            variables = to_jsonable_python(exc.variables)
        except PydanticSerializationError as err:
            return Fail(f"JobError variables are not JSON-serialisable: {err}")
        return ThrowError(exc.code, exc.message, variables)
    record_exception(exc)
    return Fail(describe(exc))


def describe(exc: BaseException) -> str:
    """``Type: message`` and the last lines of the traceback, bounded in size."""
    head = f"{type(exc).__name__}: {exc}".rstrip(": ")
    lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
    tail = "".join(lines[-TRACEBACK_LINES:-1]).rstrip()
    text = f"{head}\n{tail}" if tail else head
    return text[:MAX_ERROR_MESSAGE]


def retries_left(job: ActivatedJob, outcome: Fail) -> int:
    """The retries a failure leaves: one fewer unless the outcome says how many."""
    return max(job.retries - 1, 0) if outcome.retries is None else outcome.retries
