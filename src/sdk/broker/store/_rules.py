"""The job rules both backends keep (Zeebe's job life cycle), whatever SQL stores them.

What a command may do to a job (``check_activated``, ``check_update``), how a stored row reads
as a job (``job_view``, ``activated_job``), and the history row a change appends. Rows are read
by column name, so a ``sqlite3.Row`` and a psycopg dict row serve alike.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from ...models import ActivatedJob, Job, JobEvent, JobKey, JobState, LeasedJob, TenantId
from .._problems import JobInWrongState, JobNotFound
from . import _scheduling
from ._backend import Activation

FIRST_KEY = 2251799813685249
"""Zeebe's first key on partition 1: our keys look like a real cluster's."""
INT64_MAX = 2**63 - 1
ENDED = ("COMPLETED", "ERROR_THROWN", "CANCELED")
"""States a job never leaves."""


class Row(Protocol):
    """A result row read by column name (``sqlite3.Row``, or a dict from psycopg)."""

    def __getitem__(self, key: str, /) -> Any: ...


class StoreVersionError(RuntimeError):
    """The database was written by an incompatible version of the store."""


HistoryRow = tuple[int, str, int, str, str | None, int | None, str | None]
"""A history row before it is appended: job key, type, at, event, worker, retries, message."""


def history_row(key: int, job_type: str, at: int, event: str, fields: dict[str, Any]) -> HistoryRow:
    """The row both stores append for one change (``fields``: worker, retries, message)."""
    return (
        key,
        job_type,
        at,
        event,
        fields.get("worker"),
        fields.get("retries"),
        fields.get("message"),
    )


def check_activated(row: Row, key: int, lease: str | None, now: int, verb: str) -> None:
    """Refuse a command (``verb``) on a job that is not held by the caller's activation."""
    state = row["state"]
    if state in ENDED:
        raise JobNotFound(f"cannot {verb} job {key}: it has already ended ({state})")
    if state != "ACTIVATED":
        raise JobInWrongState(f"cannot {verb} job {key}: it is {state}, not ACTIVATED")
    if row["available_at"] <= now:
        raise JobInWrongState(
            f"cannot {verb} job {key}: its activation timed out and it may be handed to"
            " another worker"
        )
    if row["leased"]:
        if lease is None:
            raise JobInWrongState(
                f"cannot {verb} job {key}: it was activated with a lease; send its leaseToken"
            )
        if lease != lease_token(row["key"], row["lease"]):
            raise JobInWrongState(
                f"cannot {verb} job {key}: the lease token is stale (the job was re-activated)"
            )


def check_update(row: Row, key: int, timeout_ms: int | None, lease: str | None, now: int) -> None:
    """Refuse an update of an ended job, with a stale or missing lease token (a timeout change
    without one would extend another worker's activation), or of a timeout not activated."""
    if row["state"] in ENDED:
        raise JobNotFound(f"job {key} has ended ({row['state']}) and cannot be updated")
    if row["leased"] and row["state"] == "ACTIVATED":
        current = lease_token(row["key"], row["lease"])
        if (lease is not None and lease != current) or (lease is None and timeout_ms is not None):
            raise JobInWrongState(
                f"cannot update job {key}: it is leased and the leaseToken is"
                f" {'stale' if lease else 'missing'}"
            )
    expired = row["state"] == "ACTIVATED" and row["available_at"] <= now
    if timeout_ms is not None and (row["state"] != "ACTIVATED" or expired):
        raise JobInWrongState(f"job {key} is not activated, so its timeout cannot be changed")


def later(now: int, ms: int) -> int:
    """``now + ms`` within 64-bit integers (a lease of ~2**63 ms means "forever")."""
    return min(now + ms, INT64_MAX)


def merged(row: Row, variables: dict[str, Any] | None) -> str:
    if not variables:
        return str(row["variables"])
    values = json.loads(row["variables"])
    values.update(variables)
    return json.dumps(values)


def view_state(row: Row, now: int) -> JobState:
    if row["state"] == "ACTIVATED" and row["available_at"] <= now:
        return JobState.ACTIVATABLE  # timed out; the next activation takes it
    return JobState(row["state"])


def job_view(row: Row, now: int, history: list[JobEvent] | None = None) -> Job:
    state = view_state(row, now)
    return Job(
        job_key=JobKey(str(row["key"])),
        type=row["type"],
        state=state,
        retries=row["retries"],
        worker=row["worker"],
        deadline=row["deadline"] if state is JobState.ACTIVATED else None,
        variables=json.loads(row["variables"]),
        custom_headers=json.loads(row["custom_headers"]),
        error_code=row["error_code"],
        error_message=row["error_message"],
        tenant_id=row["tenant_id"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        history=history,
        **_scheduling.view_fields(row, now),
    )


def lease_token(key: int, lease: int) -> str:
    """Opaque to clients; distinct per activation of a job."""
    return f"{key}.{lease}"


def activated_job(row: Row, query: Activation, deadline: int, lease: int) -> ActivatedJob:
    fields = _activated_fields(row, query, deadline)
    if query.with_lease:
        token = lease_token(row["key"], lease)
        return LeasedJob(**fields, lease_token=token, job_lease_token=token)
    return ActivatedJob(**fields)


def _activated_fields(row: Row, query: Activation, deadline: int) -> dict[str, Any]:
    """The columns every activated job shows (a non-leased job's ``leaseToken`` is null)."""
    variables = _json_object(row["variables"])
    if query.fetch_variables:  # absent or empty: every variable, as on Camunda
        wanted = set(query.fetch_variables)
        variables = {k: v for k, v in variables.items() if k in wanted}
    fields: dict[str, Any] = dict(
        job_key=JobKey(str(row["key"])),
        type=row["type"],
        retries=row["retries"],
        deadline=deadline,
        worker=query.worker,
        variables=variables,
        custom_headers=_json_object(row["custom_headers"]),
        process_definition_id=row["process_definition_id"],
        element_id=row["element_id"],
        tenant_id=TenantId(row["tenant_id"]),
        priority=row["priority"],
    )
    instance = row["process_instance_key"]
    if instance is not None:  # a process job: where it runs
        fields.update(
            process_instance_key=str(instance),
            root_process_instance_key=str(instance),
            process_definition_key=str(row["process_definition_key"]),
            process_definition_version=row["process_definition_version"],
            element_instance_key=str(row["element_instance_key"]),
        )
    return fields


def _json_object(text: str) -> dict[str, Any]:
    """A stored JSON object; the common empty one without the parser (a job's hot path)."""
    if text == "{}":
        return {}
    value: dict[str, Any] = json.loads(text)
    return value
