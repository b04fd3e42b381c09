"""Each API call as data: method, path, body and how to read the answer.

Both clients send the same ``Call`` objects, so the sync and async surfaces cannot drift
apart and request building is written once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import httpx
from pydantic import BaseModel

from ..errors import ConnectionError, ServerError, error_class_for
from ..models import (
    ActivatedJob,
    Capabilities,
    Job,
    JobActivationRequest,
    JobActivationResult,
    JobChangeset,
    JobCompletionRequest,
    JobCreationRequest,
    JobCreationResult,
    JobErrorRequest,
    JobFailRequest,
    JobKey,
    JobSearchRequest,
    JobSearchResult,
    JobSpec,
    JobState,
    JobUpdateRequest,
    ProblemDetail,
    TopologyResponse,
    parse_job_key,
)

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

LONG_POLL_MARGIN_S = 5.0
"""Read-timeout slack on top of a long poll's ``requestTimeout``, so the server answers first."""
SERVER_DEFAULT_REQUEST_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Call(Generic[T]):
    method: str
    path: str
    parse: Callable[[httpx.Response], T]
    body: BaseModel | None = None
    read_timeout_s: float | None = None
    """Overrides the client's timeout (long polls wait longer than a normal request)."""
    not_found_is_none: bool = False


def _nothing(_: httpx.Response) -> None:
    return None


def _model(model: type[M]) -> Callable[[httpx.Response], M]:
    def parse(response: httpx.Response) -> M:
        return model.model_validate_json(response.content)

    return parse


def _key(job_key: JobKey | str | int) -> str:
    return parse_job_key(job_key)


def activate_jobs(
    job_type: str,
    *,
    max_jobs: int,
    timeout_ms: int,
    worker: str | None,
    request_timeout_ms: int | None,
    fetch_variables: Sequence[str] | None,
    tenant_ids: Sequence[str] | None,
) -> Call[list[ActivatedJob]]:
    body = JobActivationRequest(
        type=job_type,
        worker=worker,
        timeout=timeout_ms,
        max_jobs_to_activate=max_jobs,
        request_timeout=request_timeout_ms,
        fetch_variable=list(fetch_variables) if fetch_variables is not None else None,
        tenant_ids=list(tenant_ids) if tenant_ids is not None else None,
    )
    wait_s = request_timeout_ms / 1000 if request_timeout_ms else SERVER_DEFAULT_REQUEST_TIMEOUT_S
    return Call(
        "POST",
        "/jobs/activation",
        lambda r: JobActivationResult.model_validate_json(r.content).jobs,
        body,
        read_timeout_s=max(wait_s, 0) + LONG_POLL_MARGIN_S,
    )


def complete_job(
    job_key: JobKey | str | int, variables: Mapping[str, Any] | None, lease_token: str | None
) -> Call[None]:
    body = JobCompletionRequest(
        variables=dict(variables) if variables is not None else None, lease_token=lease_token
    )
    return Call("POST", f"/jobs/{_key(job_key)}/completion", _nothing, body)


def fail_job(
    job_key: JobKey | str | int,
    *,
    retries: int,
    error_message: str | None,
    retry_backoff_ms: int,
    variables: Mapping[str, Any] | None,
    lease_token: str | None,
) -> Call[None]:
    body = JobFailRequest(
        retries=retries,
        error_message=error_message,
        retry_back_off=retry_backoff_ms,
        variables=dict(variables) if variables is not None else None,
        lease_token=lease_token,
    )
    return Call("POST", f"/jobs/{_key(job_key)}/failure", _nothing, body)


def throw_job_error(
    job_key: JobKey | str | int,
    error_code: str,
    *,
    error_message: str | None,
    variables: Mapping[str, Any] | None,
    lease_token: str | None,
) -> Call[None]:
    body = JobErrorRequest(
        error_code=error_code,
        error_message=error_message,
        variables=dict(variables) if variables is not None else None,
        lease_token=lease_token,
    )
    return Call("POST", f"/jobs/{_key(job_key)}/error", _nothing, body)


def update_job(
    job_key: JobKey | str | int, *, retries: int | None, timeout_ms: int | None
) -> Call[None]:
    body = JobUpdateRequest(changeset=JobChangeset(retries=retries, timeout=timeout_ms))
    return Call("PATCH", f"/jobs/{_key(job_key)}", _nothing, body)


def topology() -> Call[TopologyResponse]:
    return Call("GET", "/topology", _model(TopologyResponse))


def capabilities() -> Call[Capabilities | None]:
    return Call("GET", "/ext/capabilities", _model(Capabilities), not_found_is_none=True)


def create_jobs(jobs: Sequence[JobSpec]) -> Call[list[JobKey]]:
    body = JobCreationRequest(jobs=list(jobs))
    return Call(
        "POST",
        "/ext/jobs",
        lambda r: JobCreationResult.model_validate_json(r.content).job_keys,
        body,
    )


def get_job(job_key: JobKey | str | int) -> Call[Job]:
    return Call("GET", f"/ext/jobs/{_key(job_key)}", _model(Job))


def cancel_job(job_key: JobKey | str | int) -> Call[None]:
    return Call("POST", f"/ext/jobs/{_key(job_key)}/cancellation", _nothing)


def search_jobs(
    *, job_type: str | None, state: JobState | str | None, limit: int, after: str | None
) -> Call[JobSearchResult]:
    body = JobSearchRequest(
        type=job_type,
        state=JobState(state) if state is not None else None,
        limit=limit,
        after=after,
    )
    return Call("POST", "/ext/jobs/search", _model(JobSearchResult), body)


# -- sending, shared by both clients ----------------------------------------------------------


def build_request(client: httpx.Client | httpx.AsyncClient, call: Call[Any]) -> httpx.Request:
    extensions = {}
    if call.read_timeout_s is not None:
        timeout = client.timeout
        extensions["timeout"] = httpx.Timeout(
            connect=timeout.connect,
            read=call.read_timeout_s,
            write=timeout.write,
            pool=timeout.pool,
        ).as_dict()
    content = (
        None
        if call.body is None
        else call.body.model_dump_json(by_alias=True, exclude_none=True).encode()
    )
    headers = {"content-type": "application/json"} if content is not None else None
    return client.build_request(
        call.method,
        call.path.lstrip("/"),
        content=content,
        headers=headers,
        extensions=extensions,
    )


def read_response(call: Call[T], response: httpx.Response) -> T:
    """The parsed answer of a 2xx; a typed ``ApiError`` for anything else."""
    if response.is_success:
        try:
            return call.parse(response)
        except ValueError as exc:
            raise ServerError(
                response.status_code,
                ProblemDetail(
                    title="INVALID_RESPONSE",
                    status=response.status_code,
                    detail=f"the server's answer could not be read: {exc}".splitlines()[0],
                ),
                method=call.method,
                url=str(response.request.url),
            ) from None
    if call.not_found_is_none and response.status_code == 404:
        return None  # type: ignore[return-value]  # only for Call[X | None]
    raise _api_error(call, response)


def _api_error(call: Call[Any], response: httpx.Response) -> Exception:
    status = response.status_code
    try:
        problem = ProblemDetail.model_validate_json(response.content)
    except ValueError:
        text = response.text.strip().splitlines()[0][:200] if response.text.strip() else ""
        problem = ProblemDetail(
            title=response.reason_phrase or "HTTP error", status=status, detail=text
        )
    trace_id = _trace_id(response.headers.get("traceparent"))
    cls = error_class_for(status)
    return cls(
        status, problem, trace_id=trace_id, method=call.method, url=str(response.request.url)
    )


def _trace_id(traceparent: str | None) -> str | None:
    """The trace id of a W3C ``traceparent`` header (``00-<trace id>-<span id>-<flags>``)."""
    if not traceparent:
        return None
    parts = traceparent.split("-")
    return parts[1] if len(parts) >= 4 else traceparent


def connection_error(call: Call[Any], base_url: str, exc: httpx.TransportError) -> ConnectionError:
    kind = type(exc).__name__
    return ConnectionError(
        f"{call.method} {base_url}{call.path} failed: {kind}: {exc}".rstrip(": ")
    )
