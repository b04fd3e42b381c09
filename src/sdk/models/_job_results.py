"""Models of awaited job results and progress (extension routes under ``/v2/ext/jobs``).

A caller that created a job may wait for how it ended (``GET /v2/ext/jobs/{key}/result``, or
``awaitCompletion`` on creation), and a running handler may say how far it got
(``POST /v2/ext/jobs/{key}/progress``). A real Camunda has neither: it answers 404.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ._base import RequestModel, ResponseModel
from ._extensions import JobCreationResult, JobState
from ._keys import JobKey

MAX_PROGRESS_MESSAGE = 1_000
"""Longest progress message the broker keeps, in characters."""


class JobResult(ResponseModel):
    """How a job ended: its result variables when ``COMPLETED``; the thrown error's code and
    message when ``ERROR_THROWN``; the last failure's message when ``INCIDENT``."""

    job_key: JobKey
    state: JobState
    variables: dict[str, Any] = Field(default_factory=dict)
    """The variables the worker completed the job with (not the job's input)."""
    error_code: str | None = None
    error_message: str | None = None


class AwaitedJobCreationResult(JobCreationResult):
    """``POST /v2/ext/jobs`` with ``awaitCompletion``: the created key and how the job ended."""

    result: JobResult


class JobProgressRequest(RequestModel):
    """``POST /v2/ext/jobs/{key}/progress``: how far an activated job's handler got."""

    fraction: float = Field(ge=0.0, le=1.0, allow_inf_nan=False)
    """Done so far, from 0 to 1."""
    message: str = Field(default="", max_length=MAX_PROGRESS_MESSAGE)
