"""Models of the embedded broker's extension routes (under ``/v2/ext``), which Camunda lacks.

They let a standalone job server be useful on its own: create jobs, read one, search them,
and discover which extensions the server speaks. A real Camunda cluster answers 404 to all of
them, which is how a client tells the two apart.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import AwareDatetime, Field, field_validator, model_validator

from ._base import RequestModel, ResponseModel
from ._jobs import INT32_MAX, INT32_MIN, INT64_MAX
from ._keys import DEFAULT_TENANT, JobKey

MAX_CREATE_BATCH = 10_000
MAX_SEARCH_LIMIT = 1_000
STANDALONE_PROCESS = "standalone"
"""The process id reported for jobs created outside a process (Camunda requires one)."""


class JobState(str, Enum):
    """Where a job stands. ``INCIDENT`` is a job that failed with no retries left."""

    ACTIVATABLE = "ACTIVATABLE"
    ACTIVATED = "ACTIVATED"
    COMPLETED = "COMPLETED"
    INCIDENT = "INCIDENT"
    ERROR_THROWN = "ERROR_THROWN"
    CANCELED = "CANCELED"


class Capabilities(ResponseModel):
    """GET /v2/ext/capabilities: what this server speaks beyond the Camunda job API."""

    server: str = "sdk-broker"
    version: str = ""
    extensions: list[str] = Field(default_factory=list)


class JobSpec(RequestModel):
    """One job to create. ``retries`` is how many times it may fail before an incident.

    ``run_at`` (``runAt``, RFC 3339 with an offset): the job is not handed out before then.
    ``priority``: activation takes higher priorities first, then the oldest job.
    """

    type: str = Field(min_length=1, max_length=255)
    variables: dict[str, Any] = Field(default_factory=dict)
    custom_headers: dict[str, str] = Field(default_factory=dict)
    retries: int = Field(default=3, ge=1, le=INT32_MAX)
    tenant_id: str = Field(default=DEFAULT_TENANT, pattern=r"^(<default>|[\w.\-]{1,31})$")
    process_definition_id: str = Field(
        default=STANDALONE_PROCESS, max_length=255, pattern=r"^[^\W\d][\w\-.]*$"
    )
    element_id: str = Field(default="", max_length=255)
    run_at: AwareDatetime | None = None
    priority: int = Field(default=0, ge=INT32_MIN, le=INT32_MAX)


class JobCreationRequest(RequestModel):
    jobs: list[JobSpec] = Field(min_length=1, max_length=MAX_CREATE_BATCH)
    await_completion: bool | None = None
    """Answer once the (one) created job has ended, with how it ended (``JobResult``)."""
    request_timeout: int | None = Field(default=None, ge=0, le=INT64_MAX)
    """With ``await_completion``: longest wait in ms (0 or absent: the server's default)."""


class JobCreationResult(ResponseModel):
    job_keys: list[JobKey]


MAX_RATE_PER_S = 1_000_000.0


class JobTypeLimitsRequest(RequestModel):
    """PUT /v2/ext/job-types/{type}/limits. An absent or null field: no limit of that kind.

    ``max_active``: most jobs of the type ACTIVATED at once across all workers (0 pauses the
    type). ``rate``: most activations per second, a smoothed token bucket.
    """

    max_active: int | None = Field(default=None, ge=0, le=INT32_MAX)
    rate: float | None = Field(default=None, gt=0, le=MAX_RATE_PER_S, allow_inf_nan=False)
    max_active_per_key: int | None = Field(default=None, ge=1, le=INT32_MAX)
    """Most jobs ACTIVATED at once per value of the key (``key_variable`` or ``key_header``);
    jobs without the key share one bucket."""
    key_variable: str | None = Field(default=None, min_length=1, max_length=255)
    key_header: str | None = Field(default=None, min_length=1, max_length=255)

    @model_validator(mode="after")
    def _one_key(self) -> JobTypeLimitsRequest:
        named = (self.key_variable is not None) + (self.key_header is not None)
        if self.max_active_per_key is not None and named != 1:
            raise ValueError("maxActivePerKey needs exactly one of keyVariable or keyHeader")
        if self.max_active_per_key is None and named:
            raise ValueError("keyVariable and keyHeader need maxActivePerKey")
        return self


class JobTypeLimits(ResponseModel):
    """The limits the broker keeps for one job type (``null``: no limit of that kind)."""

    type: str
    max_active: int | None = None
    rate: float | None = None
    updated_at: int = 0
    max_active_per_key: int | None = None
    key_variable: str | None = None
    key_header: str | None = None


class JobTypeLimitsList(ResponseModel):
    """GET /v2/ext/job-types/limits: every job type that has limits, by name."""

    items: list[JobTypeLimits] = Field(default_factory=list)


class JobEvent(ResponseModel):
    """One line of a job's history. Times are epoch milliseconds."""

    at: int
    event: str
    worker: str | None = None
    retries: int | None = None
    message: str | None = None


class JobEventRecord(JobEvent):
    """A history line of any job, as streamed by ``GET /v2/ext/events`` (``id`` orders them)."""

    id: int
    job_key: JobKey
    job_type: str


class JobEventPage(ResponseModel):
    """GET /v2/ext/events as JSON (the poll fallback of the event stream).

    ``last_event_id`` is where the next poll continues (``?after=``); it moves past events a
    ``type`` filter left out, so a filtered poll never rescans them.
    """

    items: list[JobEventRecord] = Field(default_factory=list)
    last_event_id: int = 0


class Job(ResponseModel):
    """A job as the broker stores it. Times are epoch milliseconds."""

    job_key: JobKey
    type: str
    state: JobState
    retries: int
    worker: str | None = None
    deadline: int | None = None
    variables: dict[str, Any] = Field(default_factory=dict)
    custom_headers: dict[str, str] = Field(default_factory=dict)
    error_code: str | None = None
    error_message: str | None = None
    tenant_id: str = DEFAULT_TENANT
    created_at: int
    updated_at: int
    history: list[JobEvent] | None = None
    """Filled by ``get_job`` only; searches leave it out to stay cheap."""
    run_at: int | None = None
    """When the job was created to run (``runAt``); ``None``: at once."""
    priority: int = 0
    scheduled: bool = False
    """Activatable but waiting for its ``run_at`` (dashboards show it as "scheduled")."""
    progress: float | None = None
    """The handler's last reported progress, 0 to 1 (``get_job`` only; ``None``: none)."""
    progress_message: str | None = None
    progress_at: int | None = None


class JobSearchRequest(RequestModel):
    """POST /v2/ext/jobs/search. Newest first; ``after`` is the previous page's ``next_cursor``."""

    type: str | None = None
    state: JobState | None = None
    limit: int = Field(default=100, ge=1, le=MAX_SEARCH_LIMIT)
    after: str | None = Field(default=None, pattern=r"^[0-9]{1,19}$")

    @field_validator("after")
    @classmethod
    def _within_int64(cls, value: str | None) -> str | None:
        if value is not None and int(value) > INT64_MAX:
            raise ValueError("cursor out of range")
        return value


class JobSearchResult(ResponseModel):
    items: list[Job]
    next_cursor: str | None = None
