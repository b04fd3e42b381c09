"""The batch-report extension: many completions / failures / errors in one request.

Advertised as ``jobs.report-batch`` by ``GET /v2/ext/capabilities``. A worker uses it only
after discovery said yes; a real Camunda cluster never sees it.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import Field

from ._base import RequestModel, ResponseModel
from ._jobs import _LEASE, INT32_MAX, INT64_MAX
from ._keys import JobKey

MAX_REPORT_BATCH = 1_000


class ReportKind(str, Enum):
    COMPLETE = "complete"
    FAIL = "fail"
    ERROR = "error"


class JobReport(RequestModel):
    """One job's outcome; the fields of the matching Camunda call, plus ``kind``."""

    job_key: JobKey = Field(pattern=r"^[0-9]{1,19}$")
    kind: ReportKind
    variables: dict[str, Any] | None = None
    retries: int = Field(default=0, ge=0, le=INT32_MAX)
    error_message: str | None = None
    retry_back_off: int = Field(default=0, ge=0, le=INT64_MAX)
    error_code: str | None = Field(default=None, min_length=1)
    lease_token: str | None = _LEASE


class JobReportBatch(RequestModel):
    reports: list[JobReport] = Field(min_length=1, max_length=MAX_REPORT_BATCH)


class JobReportResult(ResponseModel):
    """What the per-job Camunda call would have answered: 204, or a problem's status."""

    job_key: JobKey
    status: int
    title: str | None = None
    detail: str | None = None


class JobReportBatchResult(ResponseModel):
    results: list[JobReportResult]
