"""Request parsing shared by the broker's routes: size limits, JSON, strict models."""

from __future__ import annotations

import re
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from ._problems import InvalidRequest, PayloadTooLarge

M = TypeVar("M", bound=BaseModel)

MAX_BODY_BYTES = 4 * 1024 * 1024
_DIGITS = re.compile(r"[0-9]{1,19}")  # ASCII only: str.isdigit() also accepts e.g. "²"
INT64_MAX = 2**63 - 1


async def read_model(request: Request, model: type[M], *, required: bool = True) -> M:
    """Validate the JSON body straight from bytes into ``model``; an empty body means ``{}``."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"request body exceeds {MAX_BODY_BYTES} bytes")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise PayloadTooLarge(f"request body exceeds {MAX_BODY_BYTES} bytes")
    if not body.strip():
        if required:
            raise InvalidRequest("the request body is missing; send a JSON object")
        body = b"{}"
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise InvalidRequest(describe(exc)) from None


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
