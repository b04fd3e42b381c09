"""Wire models of the Camunda 8 REST v2 job endpoints (the exact, Camunda-compatible surface)."""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import AliasChoices, Field

from ._base import RequestModel, ResponseModel
from ._keys import DEFAULT_TENANT, NO_KEY, JobKey, TenantId

INT32_MAX = 2**31 - 1
INT32_MIN = -(2**31)
INT64_MAX = 2**63 - 1

# The lease token was renamed between spec revisions; accept both spellings on input.
_LEASE = Field(
    default=None,
    validation_alias=AliasChoices("leaseToken", "jobLeaseToken", "lease_token"),
    serialization_alias="leaseToken",
)


class JobKind(str, Enum):
    BPMN_ELEMENT = "BPMN_ELEMENT"
    EXECUTION_LISTENER = "EXECUTION_LISTENER"
    TASK_LISTENER = "TASK_LISTENER"
    AD_HOC_SUB_PROCESS = "AD_HOC_SUB_PROCESS"


class JobListenerEventType(str, Enum):
    ASSIGNING = "ASSIGNING"
    BEFORE_ALL = "BEFORE_ALL"
    CANCEL = "CANCEL"
    CANCELING = "CANCELING"
    COMPLETING = "COMPLETING"
    CREATING = "CREATING"
    END = "END"
    START = "START"
    UNSPECIFIED = "UNSPECIFIED"
    UPDATING = "UPDATING"


class JobActivationRequest(RequestModel):
    """POST /v2/jobs/activation. ``timeout`` and ``request_timeout`` are milliseconds."""

    type: str = Field(min_length=1, max_length=255)
    worker: str | None = Field(default=None, max_length=255)
    timeout: int = Field(gt=0, le=INT64_MAX)
    max_jobs_to_activate: int = Field(gt=0, le=INT32_MAX)
    fetch_variable: list[str] | None = None
    request_timeout: int | None = Field(default=None, le=INT64_MAX)
    tenant_ids: list[str] | None = None
    tenant_filter: str | None = None
    with_lease: bool | None = None


class ActivatedJob(ResponseModel):
    """One job handed to a worker. Parsed leniently: older servers omit the newer fields."""

    job_key: JobKey
    type: str
    retries: int
    deadline: int
    worker: str = ""
    variables: dict[str, Any] = Field(default_factory=dict)
    custom_headers: dict[str, Any] = Field(default_factory=dict)
    process_definition_id: str = ""
    process_definition_version: int = -1
    process_definition_key: str = NO_KEY
    process_instance_key: str = NO_KEY
    element_id: str = ""
    element_instance_key: str = NO_KEY
    tenant_id: TenantId = DEFAULT_TENANT
    kind: str = JobKind.BPMN_ELEMENT.value
    listener_event_type: str = JobListenerEventType.UNSPECIFIED.value
    root_process_instance_key: str | None = None
    business_id: str | None = None
    tags: list[str] = Field(default_factory=list)
    user_task: dict[str, Any] | None = None
    priority: int = 0
    lease_token: str | None = _LEASE
    physical_tenant_id: str = ""


class LeasedJob(ActivatedJob):
    """A job activated with ``withLease``: the token is also sent as ``jobLeaseToken``, the
    name used by the official Python SDK 10.0.1 (generated from a later spec revision)."""

    job_lease_token: str | None = Field(default=None, serialization_alias="jobLeaseToken")


class JobActivationResult(ResponseModel):
    jobs: list[ActivatedJob] = Field(default_factory=list)


class JobCompletionRequest(RequestModel):
    """POST /v2/jobs/{jobKey}/completion. ``result`` (user task / ad-hoc corrections) is opaque."""

    variables: dict[str, Any] | None = None
    result: dict[str, Any] | None = None
    lease_token: str | None = _LEASE
    business_id: str | None = None


class JobFailRequest(RequestModel):
    """POST /v2/jobs/{jobKey}/failure. ``retries`` 0 raises an incident; back-off in ms."""

    retries: int = Field(default=0, ge=0, le=INT32_MAX)
    error_message: str | None = None
    retry_back_off: int = Field(default=0, ge=0, le=INT64_MAX)
    variables: dict[str, Any] | None = None
    lease_token: str | None = _LEASE


class JobErrorRequest(RequestModel):
    """POST /v2/jobs/{jobKey}/error: a business (BPMN) error, not a technical failure."""

    error_code: str = Field(min_length=1)
    error_message: str | None = None
    variables: dict[str, Any] | None = None
    lease_token: str | None = _LEASE


class JobChangeset(RequestModel):
    """What PATCH /v2/jobs/{jobKey} changes. ``timeout`` is the new lease length in ms from now."""

    retries: int | None = Field(default=None, ge=0, le=INT32_MAX)
    timeout: int | None = Field(default=None, gt=0, le=INT64_MAX)
    priority: int | None = None


class JobUpdateRequest(RequestModel):
    changeset: JobChangeset
    operation_reference: int | None = Field(default=None, ge=1)
    lease_token: str | None = _LEASE
