"""Each API call as data: method, path, body and how to read the answer.

Both clients send the same ``Call`` objects, so the sync and async surfaces cannot drift
apart and request building is written once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel

from ..errors import BackpressureError, ProtocolError, ServerUnreachableError, error_class_for
from ..models import (
    MAX_REPORT_BATCH,
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
    JobReport,
    JobReportBatch,
    JobReportBatchResult,
    JobReportResult,
    JobSearchRequest,
    JobSearchResult,
    JobSpec,
    JobState,
    JobTypeLimits,
    JobTypeLimitsList,
    JobTypeLimitsRequest,
    JobUpdateRequest,
    ProblemDetail,
    TopologyResponse,
    parse_job_key,
)
from . import _extension as ext
from ._retry import parse_retry_after

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

IDEMPOTENCY_KEY = "Idempotency-Key"

LONG_POLL_MARGIN_S = 5.0
"""Read-timeout slack on top of a long poll's ``requestTimeout``, so the server answers first."""
SERVER_DEFAULT_REQUEST_TIMEOUT_S = 10.0
NOT_CAMUNDA = (
    "this is not the REST API of a Camunda 8 cluster (8.6 or newer) or of the sdk broker;"
    " check CAMUNDA_REST_ADDRESS (it should end in /v2)"
)


Files = Sequence[tuple[str, tuple[str, bytes, str | None]]]
"""Multipart file parts: ``(field, (file name, content, content type or None))``."""


@dataclass(frozen=True)
class Call(Generic[T]):
    method: str
    path: str
    parse: Callable[[httpx.Response], T]
    body: BaseModel | None = None
    """Sent as JSON (aliases, no ``None`` fields), unless ``content`` is given."""
    content: bytes | None = None
    """A JSON body serialised already."""
    read_timeout_s: float | None = None
    """Overrides the client's timeout (long polls wait longer than a normal request)."""
    not_found_is_none: bool = False
    idempotent: bool = False
    """Sending it twice does what sending it once does, so a lost answer may be asked again."""
    params: Mapping[str, str] | None = None
    files: Files | None = None
    form: Mapping[str, str] | None = None
    """Plain fields of a multipart body (with ``files``)."""
    headers: Mapping[str, str] | None = None
    unsupported: Mapping[int, str] = field(default_factory=dict)
    """Statuses meaning "this server does not speak this API at all": ``ProtocolError`` with
    the explanation given here, instead of an ``ApiError``."""
    extension: ext.Extension | None = None
    """The sdk broker extension of a ``/ext`` route: a server without it raises
    ``ExtensionUnsupportedError``."""


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
    job_key: JobKey | str | int,
    *,
    retries: int | None,
    timeout_ms: int | None,
    lease_token: str | None = None,
) -> Call[None]:
    body = JobUpdateRequest(
        changeset=JobChangeset(retries=retries, timeout=timeout_ms), lease_token=lease_token
    )
    return Call("PATCH", f"/jobs/{_key(job_key)}", _nothing, body)


def report_jobs(reports: Sequence[JobReport]) -> Call[list[JobReportResult]]:
    body = JobReportBatch(reports=list(reports))
    return Call("POST", "/ext/jobs/reports", _report_results, body, extension=ext.JOBS_REPORT_BATCH)


def report_jobs_json(reports: Sequence[bytes]) -> Call[list[JobReportResult]]:
    """``report_jobs`` with each report serialised already (a worker does it once, retries
    included)."""
    if not reports or len(reports) > MAX_REPORT_BATCH:
        raise ValueError(f"a report batch holds 1 to {MAX_REPORT_BATCH} reports")
    content = b'{"reports":[' + b",".join(reports) + b"]}"
    return Call(
        "POST",
        "/ext/jobs/reports",
        _report_results,
        content=content,
        extension=ext.JOBS_REPORT_BATCH,
    )


def _report_results(response: httpx.Response) -> list[JobReportResult]:
    return JobReportBatchResult.model_validate_json(response.content).results


def topology() -> Call[TopologyResponse]:
    return Call("GET", "/topology", _model(TopologyResponse), idempotent=True)


def capabilities() -> Call[Capabilities | None]:
    return Call(
        "GET", "/ext/capabilities", _model(Capabilities), not_found_is_none=True, idempotent=True
    )


def create_jobs(jobs: Sequence[JobSpec], idempotency_key: str | None) -> Call[list[JobKey]]:
    """With a key, creation is safe to repeat (the broker answers a repeat with the first
    call's keys), so the retry policy repeats it on lost answers too."""
    body = JobCreationRequest(jobs=list(jobs))
    return Call(
        "POST",
        "/ext/jobs",
        lambda r: JobCreationResult.model_validate_json(r.content).job_keys,
        body,
        idempotent=idempotency_key is not None,
        headers=None if idempotency_key is None else {IDEMPOTENCY_KEY: idempotency_key},
        extension=ext.JOBS_CREATE,
    )


def new_idempotency_key() -> str:
    return str(uuid.uuid4())


def _limits_path(job_type: str) -> str:
    if not job_type:
        raise ValueError("job_type must not be empty")
    return f"/ext/job-types/{quote(job_type, safe='')}/limits"


def get_job_type_limits(job_type: str) -> Call[JobTypeLimits]:
    return Call(
        "GET",
        _limits_path(job_type),
        _model(JobTypeLimits),
        idempotent=True,
        extension=ext.JOB_TYPE_LIMITS,
    )


def list_job_type_limits() -> Call[list[JobTypeLimits]]:
    return Call(
        "GET",
        "/ext/job-types/limits",
        lambda r: JobTypeLimitsList.model_validate_json(r.content).items,
        idempotent=True,
        extension=ext.JOB_TYPE_LIMITS,
    )


def set_job_type_limits(
    job_type: str,
    *,
    max_active: int | None,
    rate: float | None,
    max_active_per_key: int | None = None,
    key_variable: str | None = None,
    key_header: str | None = None,
) -> Call[JobTypeLimits]:
    body = JobTypeLimitsRequest(
        max_active=max_active,
        rate=rate,
        max_active_per_key=max_active_per_key,
        key_variable=key_variable,
        key_header=key_header,
    )
    return Call(
        "PUT",
        _limits_path(job_type),
        _model(JobTypeLimits),
        body,
        idempotent=True,
        extension=ext.JOB_TYPE_LIMITS,
    )


def clear_job_type_limits(job_type: str) -> Call[None]:
    return Call(
        "DELETE", _limits_path(job_type), _nothing, idempotent=True, extension=ext.JOB_TYPE_LIMITS
    )


def get_job(job_key: JobKey | str | int) -> Call[Job]:
    return Call(
        "GET", f"/ext/jobs/{_key(job_key)}", _model(Job), idempotent=True, extension=ext.JOBS_GET
    )


def cancel_job(job_key: JobKey | str | int) -> Call[None]:
    return Call(
        "POST", f"/ext/jobs/{_key(job_key)}/cancellation", _nothing, extension=ext.JOBS_CANCEL
    )


def search_jobs(
    *, job_type: str | None, state: JobState | str | None, limit: int, after: str | None
) -> Call[JobSearchResult]:
    body = JobSearchRequest(
        type=job_type,
        state=JobState(state) if state is not None else None,
        limit=limit,
        after=after,
    )
    return Call(
        "POST",
        "/ext/jobs/search",
        _model(JobSearchResult),
        body,
        idempotent=True,
        extension=ext.JOBS_SEARCH,
    )


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
    if call.files is not None:
        return client.build_request(
            call.method,
            call.path.lstrip("/"),
            files=list(call.files),
            data=dict(call.form or {}),
            params=call.params,
            headers=call.headers,
            extensions=extensions,
        )
    content = call.content
    if content is None and call.body is not None:
        content = call.body.model_dump_json(by_alias=True, exclude_none=True).encode()
    headers = dict(call.headers or {})
    if content is not None:
        headers["content-type"] = "application/json"
    return client.build_request(
        call.method,
        call.path.lstrip("/"),
        content=content,
        headers=headers,
        params=call.params,
        extensions=extensions,
    )


def read_response(call: Call[T], response: httpx.Response) -> T:
    """The parsed answer of a 2xx; a typed ``ApiError`` for anything else."""
    if response.is_success:
        try:
            return call.parse(response)
        except ProtocolError:
            raise
        except ValueError as exc:
            raise unreadable(call, response, exc) from None
    if call.not_found_is_none and response.status_code == 404:
        return None  # type: ignore[return-value]  # only for Call[X | None]
    if call.extension is not None and call.extension.missing(response.status_code):
        raise call.extension.unsupported(response)
    explanation = call.unsupported.get(response.status_code)
    if explanation is not None:
        raise ProtocolError(
            f"{call.method} {response.request.url} answered {response.status_code}: {explanation}",
            status=response.status_code,
        )
    raise api_error(call.method, response)


def unreadable(call: Call[Any], response: httpx.Response, exc: Exception) -> ProtocolError:
    """A 2xx whose body is not what the API answers (a web page, another service, a proxy)."""
    kind = response.headers.get("content-type", "no content type")
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return ProtocolError(
        f"{call.method} {response.request.url} answered {response.status_code} ({kind}) with a"
        f" body that is not the expected answer ({reason}); is CAMUNDA_REST_ADDRESS right?",
        status=response.status_code,
    )


def api_error(method: str, response: httpx.Response) -> Exception:
    """The typed error of a non-2xx answer (its body must have been read)."""
    status = response.status_code
    try:
        problem = ProblemDetail.model_validate_json(response.content)
    except ValueError:
        text = response.text.strip().splitlines()[0][:200] if response.text.strip() else ""
        problem = ProblemDetail(
            title=response.reason_phrase or "HTTP error", status=status, detail=text
        )
    trace_id = _trace_id(response.headers.get("traceparent"))
    url = str(response.request.url)
    cls = error_class_for(status, problem.title)
    if issubclass(cls, BackpressureError):
        retry_after_s = parse_retry_after(response.headers.get("retry-after"))
        return cls(
            status, problem, retry_after_s=retry_after_s, trace_id=trace_id, method=method, url=url
        )
    return cls(status, problem, trace_id=trace_id, method=method, url=url)


def _trace_id(traceparent: str | None) -> str | None:
    """The trace id of a W3C ``traceparent`` header (``00-<trace id>-<span id>-<flags>``)."""
    if not traceparent:
        return None
    parts = traceparent.split("-")
    return parts[1] if len(parts) >= 4 else traceparent


def unreachable_error(
    call: Call[Any], base_url: str, exc: httpx.TransportError
) -> ServerUnreachableError:
    """No answer: names the URL that failed (the token endpoint's, when that was the one)."""
    try:
        url = str(exc.request.url)
        method = exc.request.method
    except RuntimeError:  # an error raised before a request was attached
        url, method = f"{base_url}{call.path}", call.method
    kind = type(exc).__name__
    return ServerUnreachableError(f"{method} {url} failed: {kind}: {exc}".rstrip(": "))
