"""Request parsing shared by the broker's routes: size and nesting limits, JSON, strict models."""

from __future__ import annotations

import re
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from .._defaults import MAX_BODY_BYTES
from .._problems import InvalidRequest, PayloadTooLarge
from ..store import IDEMPOTENCY_HEADER, JobStore

M = TypeVar("M", bound=BaseModel)

MAX_JSON_DEPTH = 64
"""Deepest nesting of arrays/objects a body may have. The parsers on both sides stop near 200
levels, and an activation answer wraps a job's variables in 4 more: a job stored any deeper
could never be read by a worker again (it would time out and come back forever)."""
_DIGITS = re.compile(r"[0-9]{1,19}")  # ASCII only: str.isdigit() also accepts e.g. "²"
INT64_MAX = 2**63 - 1

_ESCAPED = re.compile(rb"\\.", re.DOTALL)
_STRING = re.compile(rb'"[^"]*"')  # linear: escapes are gone, so a string ends at its next quote
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_ONE_KIND = bytes.maketrans(b"{}", b"[]")  # depth does not care which kind; the parser does
_NON_JSON_NUMBER = re.compile(rb"NaN|Infinity")


async def read_model(request: Request, model: type[M], *, required: bool = True) -> M:
    """Validate the JSON body straight from bytes into ``model``; an empty body means ``{}``."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"request body exceeds {MAX_BODY_BYTES} bytes")
    received = bytearray()  # amortised growth: a body trickled in tiny chunks stays linear
    async for chunk in request.stream():
        received += chunk
        if len(received) > MAX_BODY_BYTES:
            raise PayloadTooLarge(f"request body exceeds {MAX_BODY_BYTES} bytes")
    body = bytes(received)
    if not body:  # only no bytes at all means "no body": whitespace alone is not JSON
        if required:
            raise InvalidRequest("the request body is missing; send a JSON object")
        body = b"{}"
    if nested_deeper_than(body, MAX_JSON_DEPTH):
        raise InvalidRequest(
            f"the body nests arrays/objects deeper than {MAX_JSON_DEPTH} levels; flatten it"
        )
    if has_non_json_number(body):
        raise InvalidRequest("NaN and Infinity are not JSON numbers; send null or a string")
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise InvalidRequest(describe(exc)) from None


def nested_deeper_than(body: bytes, limit: int) -> bool:
    """Whether the JSON text ``body`` nests arrays/objects more than ``limit`` deep.

    Byte operations only (no parse, no recursion), linear in the body for the common cases; a
    body with no more than ``limit`` openers at all is accepted without looking further.
    """
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    brackets = _outside_strings(body).translate(_ONE_KIND, _NOT_BRACKET)
    if b"[" * (limit + 1) in brackets:
        return True
    for _ in range(limit):  # each pass removes the innermost level
        if not brackets:
            return False
        brackets = brackets.replace(b"[]", b"")
    return bool(brackets)


def has_non_json_number(body: bytes) -> bool:
    """Whether ``body`` uses ``NaN`` / ``Infinity``, which the parser would take (and we would
    store as null): JSON has no such numbers, so say so instead of changing the data."""
    if b"NaN" not in body and b"Infinity" not in body:
        return False
    return _NON_JSON_NUMBER.search(_outside_strings(body)) is not None


def _outside_strings(body: bytes) -> bytes:
    return _STRING.sub(b"", _ESCAPED.sub(b"", body))


def describe(exc: ValidationError) -> str:
    """One readable line per problem, e.g. ``maxJobsToActivate: Input should be greater than 0``."""
    lines = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(part) for part in error["loc"]) or "body"
        if error["type"] == "json_invalid":
            lines.append(f"the body is not valid JSON ({error['msg']})")
        elif error["type"] == "extra_forbidden":
            lines.append(f"{where}: unknown field")
        else:
            lines.append(f"{where}: {error['msg']}")
    return "; ".join(lines)


def job_key_param(request: Request) -> int:
    """The ``{jobKey}`` path parameter as an integer, or a 400 saying why it is not one."""
    raw = request.path_params["job_key"]
    if not _DIGITS.fullmatch(raw) or int(raw) > INT64_MAX:
        raise InvalidRequest(f"jobKey {raw!r} is not a valid job key (a positive 64-bit integer)")
    return int(raw)


def store_of(request: Request) -> JobStore:
    """The store the app serves (``create_app`` puts it on the app's state)."""
    store: JobStore = request.app.state.store
    return store


MAX_KEY_LENGTH = 255


def idempotency_key(raw: str | None) -> str | None:
    """The header's key (quotes of the draft's sf-string form removed), or a 400 saying why."""
    if raw is None:
        return None
    key = raw.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise InvalidRequest(
            f"{IDEMPOTENCY_HEADER}: must be 1 to {MAX_KEY_LENGTH} printable ASCII characters,"
            " e.g. a UUID"
        )
    return key
