"""The dashboard's control of job-type limits: a plain HTML form POSTed to ``/ui/limits``.

It works without JavaScript: the route sets (or clears) the type's limits in the store, the
same call as ``PUT /v2/ext/job-types/{type}/limits``, and sends the browser back to the
overview (303), which shows the values now in force. Bad input is a 400 problem+json, like the
API's. Viewers may not post it (the auth middleware refuses their writes).
"""

from __future__ import annotations

from urllib.parse import parse_qs

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ...models import JobTypeLimitsRequest
from .._problems import InvalidRequest
from ..http import MAX_TYPE_LENGTH, describe, store_of
from ..store import KeyedLimit

MAX_FORM_BYTES = 4096


async def post_limits(request: Request) -> Response:
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise InvalidRequest("the limits form is too large")
    form = {k: v[0].strip() for k, v in parse_qs(body.decode(errors="replace")).items()}
    job_type = form.get("type", "")
    if not 1 <= len(job_type) <= MAX_TYPE_LENGTH:
        raise InvalidRequest(f"job type must be 1 to {MAX_TYPE_LENGTH} characters")
    store = store_of(request)
    if form.get("action") == "clear":
        await store.clear_limits(job_type)
    else:
        try:
            wanted = JobTypeLimitsRequest.model_validate(
                {
                    "maxActive": _number(form, "max_active", int),
                    "rate": _number(form, "rate", float),
                }
            )
        except ValidationError as exc:
            raise InvalidRequest(describe(exc)) from None
        current = await store.get_limits(job_type)  # the form leaves a keyed limit as it is
        keyed = None
        if current is not None and current.max_active_per_key is not None:
            keyed = KeyedLimit(current.max_active_per_key, current.key_variable, current.key_header)
        await store.set_limits(job_type, wanted.max_active, wanted.rate, keyed)
    root = str(request.scope.get("root_path", "")).rstrip("/")
    return RedirectResponse(f"{root}/ui#limits-title", status_code=303)


def _number(form: dict[str, str], field: str, kind: type[int] | type[float]) -> int | float | None:
    """The field as a number; empty means no limit of that kind."""
    text = form.get(field, "")
    if not text:
        return None
    try:
        return kind(text)
    except ValueError:
        raise InvalidRequest(f"{field}: expected a number or nothing, got {text!r}") from None


ROUTES = [Route("/ui/limits", post_limits, methods=["POST"], name="ui_limits")]
