"""``POST /v2/ext/jobs/bulk``: one operator action (retry or cancel) on every job a filter
matches, answered with counts."""

from __future__ import annotations

from enum import Enum

from pydantic import Field, field_validator, model_validator

from ._base import RequestModel, ResponseModel
from ._extensions import JobState
from ._jobs import INT32_MAX, INT64_MAX

MAX_BULK_KEYS = 1_000
"""Most explicit keys in one bulk request (a larger set: several requests, or a key range)."""
_KEY_PATTERN = r"^[0-9]{1,19}$"


def _within_int64(value: str | None) -> str | None:
    if value is not None and int(value) > INT64_MAX:
        raise ValueError("key out of range")
    return value


class BulkAction(str, Enum):
    """What a bulk request does to each job it matches."""

    RETRY = "retry"
    """Give a job in an incident ``retries`` again (its incident is resolved)."""
    CANCEL = "cancel"
    """Cancel a job that has not ended (its handler is stopped)."""


class BulkJobFilter(RequestModel):
    """Which jobs: every given criterion must hold (at least one is required).

    ``keyFrom`` / ``keyTo`` bound the key range (both inclusive); ``keys`` names jobs one by one.
    """

    type: str | None = Field(default=None, min_length=1)
    state: JobState | None = None
    key_from: str | None = Field(default=None, pattern=_KEY_PATTERN)
    key_to: str | None = Field(default=None, pattern=_KEY_PATTERN)
    keys: list[str] | None = Field(default=None, min_length=1, max_length=MAX_BULK_KEYS)

    _range_in_int64 = field_validator("key_from", "key_to")(_within_int64)

    @field_validator("keys")
    @classmethod
    def _keys_are_keys(cls, value: list[str] | None) -> list[str] | None:
        for key in value or []:
            if not key.isascii() or not key.isdigit() or len(key) > 19 or int(key) > INT64_MAX:
                raise ValueError(f"not a job key: {key!r}")
        return value

    @model_validator(mode="after")
    def _something_given(self) -> BulkJobFilter:
        if all(v is None for v in (self.type, self.state, self.key_from, self.key_to, self.keys)):
            raise ValueError("give at least one of type, state, keyFrom, keyTo, keys")
        if (
            self.key_from is not None
            and self.key_to is not None
            and int(self.key_from) > int(self.key_to)
        ):
            raise ValueError("keyFrom is greater than keyTo")
        return self


class BulkJobsRequest(RequestModel):
    """POST /v2/ext/jobs/bulk. ``retries`` is required by ``retry`` and refused by ``cancel``."""

    filter: BulkJobFilter
    action: BulkAction
    retries: int | None = Field(default=None, ge=1, le=INT32_MAX)

    @model_validator(mode="after")
    def _retries_fit_the_action(self) -> BulkJobsRequest:
        if self.action is BulkAction.RETRY and self.retries is None:
            raise ValueError("retries: required by the retry action")
        if self.action is BulkAction.CANCEL and self.retries is not None:
            raise ValueError("retries: only the retry action takes it")
        return self


class BulkJobsResult(ResponseModel):
    """What a bulk request did: ``matched`` = ``changed`` + the sum of ``skipped``.

    ``skipped`` counts the matched jobs left alone, by reason: ``ended`` (cancel: the job had
    already ended), ``not_in_incident`` (retry: only jobs in an incident are retried),
    ``not_found`` (an explicit key that names no job), ``refused`` (the job's state forbade it,
    e.g. it changed meanwhile).
    """

    matched: int = 0
    changed: int = 0
    skipped: dict[str, int] = Field(default_factory=dict)
