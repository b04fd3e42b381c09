"""The call of the embedded broker's bulk job actions (``POST /v2/ext/jobs/bulk``).

The body is checked by the server alone (a bad filter or action is a ``BadRequestError``
naming the field), so the client and the broker never disagree about what is valid.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from enum import Enum
from typing import Any

from ..models import BulkAction, BulkJobsResult, JobKey, JobState
from . import _extension as ext
from ._calls import Call, _model


def _value(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def bulk_jobs(
    action: BulkAction | str,
    *,
    job_type: str | None,
    state: JobState | str | None,
    key_from: JobKey | str | int | None,
    key_to: JobKey | str | int | None,
    keys: Iterable[JobKey | str | int] | None,
    retries: int | None,
) -> Call[BulkJobsResult]:
    given = {
        "type": job_type,
        "state": _value(state),
        "keyFrom": None if key_from is None else str(key_from),
        "keyTo": None if key_to is None else str(key_to),
        "keys": None if keys is None else [str(k) for k in keys],
    }
    body: dict[str, Any] = {
        "filter": {k: v for k, v in given.items() if v is not None},
        "action": _value(action),
    }
    if retries is not None:
        body["retries"] = retries
    return Call(
        "POST",
        "/ext/jobs/bulk",
        _model(BulkJobsResult),
        content=json.dumps(body).encode(),
        extension=ext.JOBS_BULK,
    )
