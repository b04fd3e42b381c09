"""What running a handler came to, as picklable data, and how results and errors map to it.

return dict / pydantic model / dataclass / None  -> Complete
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

MAX_ERROR_MESSAGE = 4_000
TRACEBACK_LINES = 8


@dataclass(frozen=True)
class Complete:
    variables: dict[str, Any]


@dataclass(frozen=True)
class Fail:
    """A technical failure; the poller decides retries and back-off from the task's policy."""

    message: str


@dataclass(frozen=True)
class ThrowError:
    code: str
    message: str
    variables: dict[str, Any]


Outcome = Complete | Fail | ThrowError


def from_result(result: Any) -> Outcome:
    """Map a handler's return value; anything not JSON-able is a failure that says why."""
    if result is None:
        return Complete({})
    if isinstance(result, BaseModel):
        result = result.model_dump(mode="json", by_alias=True)
    elif dataclasses.is_dataclass(result) and not isinstance(result, type):
        result = dataclasses.asdict(result)
    if not isinstance(result, dict) or not all(isinstance(k, str) for k in result):
        return Fail(
            f"handler returned {type(result).__name__}; return a dict with string keys,"
            " a pydantic model, a dataclass or None"
        )
    try:
        return Complete(to_jsonable_python(result))
    except PydanticSerializationError as exc:
        return Fail(f"handler returned variables that are not JSON-serialisable: {exc}")


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
