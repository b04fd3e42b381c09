"""Wire models of schedules (``/v2/ext/schedules``): jobs the broker creates on a cron or an
interval. An extension of the sdk broker; a real Camunda has no such routes."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ._base import RequestModel, ResponseModel
from ._jobs import INT32_MAX

SCHEDULE_NAME_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.:\-]{0,254}$"
"""A schedule's name: letters, digits and ``_ . : -`` (safe in a URL path as it is), up to 255
characters, not starting with a dot."""
Overlap = Literal["skip", "allow"]
"""``skip``: a tick creates no job while the schedule's previous job is still open
(ACTIVATABLE, ACTIVATED, or failed with retries left); ``allow``: every tick creates one."""
CatchUp = Literal["none", "one"]
"""After downtime: ``none`` skips the ticks missed; ``one`` runs one job for them at once."""


class ScheduleRequest(RequestModel):
    """PUT /v2/ext/schedules/{name}: create or replace a schedule.

    Exactly one of ``cron`` (five fields, read in ``time_zone``, an IANA name, default UTC)
    and ``interval`` (an ISO 8601 duration of fixed length, e.g. ``PT30S``, ``PT5M``,
    ``P1D``; no years or months) says when it ticks.
    """

    job_type: str = Field(min_length=1, max_length=255)
    cron: str | None = Field(default=None, max_length=255)
    time_zone: str | None = Field(default=None, max_length=64)
    interval: str | None = Field(default=None, max_length=64)
    variables: dict[str, Any] = Field(default_factory=dict)
    custom_headers: dict[str, str] = Field(default_factory=dict)
    retries: int = Field(default=3, ge=1, le=INT32_MAX)
    overlap: Overlap = "skip"
    catch_up: CatchUp = "none"


class Schedule(ResponseModel):
    """A schedule as the broker keeps it. Times are epoch milliseconds.

    ``next_run_at`` is the next tick (``None`` while paused); ``last_run_at`` the tick of the
    last job created, ``last_job_key`` that job.
    """

    name: str
    job_type: str
    cron: str | None = None
    time_zone: str | None = None
    interval: str | None = None
    variables: dict[str, Any] = Field(default_factory=dict)
    custom_headers: dict[str, str] = Field(default_factory=dict)
    retries: int = 3
    overlap: str = "skip"
    catch_up: str = "none"
    paused: bool = False
    next_run_at: int | None = None
    last_run_at: int | None = None
    last_job_key: str | None = None
    created_at: int = 0
    updated_at: int = 0


class ScheduleList(ResponseModel):
    """GET /v2/ext/schedules: every schedule, by name."""

    items: list[Schedule] = Field(default_factory=list)
