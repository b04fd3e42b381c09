"""``GET /v2/ext/stats``: a summary of the broker's jobs, for the dashboard and for scripts.

An extension like the others under ``/v2/ext`` (a real Camunda answers 404). The answer::

    {"at": 1717171717171, "lastEventId": 42, "windowMinutes": 15,
     "types": [{"type": "greet", "total": 5, "counts": {"activatable": 1, "activated": 1,
                "completed": 2, "failed": 0, "incident": 1, "errorThrown": 0, "canceled": 0}}],
     "throughput": [{"minuteAt": 1717171680000, "created": 5, "completed": 2, "failed": 1,
                     "errorThrown": 0}, ...],
     "workers": [{"name": "host-123", "lastActivationAt": 1717171710000, "jobsInFlight": 1}],
     "limits": [{"type": "greet", "maxActive": 3, "rate": 20.0, "updatedAt": 1717171000000}]}

``failed`` counts jobs that failed with retries left (activatable again, after their back-off);
``incident`` those that failed with none left. ``throughput`` has one entry per minute of the
window (``?minutes=``, 1 to 60, default 15), oldest first, the current minute last.
``limits`` lists the job types with limits (``PUT /v2/ext/job-types/{type}/limits``).
``lastEventId`` is the id of the newest job event: a poller that sees it unchanged knows that
nothing happened.
"""

from __future__ import annotations

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...models import JobTypeLimits, ResponseModel
from .._problems import InvalidRequest
from ..store import MAX_WINDOW_MINUTES, Stats, collector_for
from ._request import store_of

DEFAULT_WINDOW_MINUTES = 15


class StateCounts(ResponseModel):
    activatable: int
    activated: int
    completed: int
    failed: int
    incident: int
    error_thrown: int
    canceled: int


class TypeSummary(ResponseModel):
    type: str
    total: int
    counts: StateCounts


class MinuteSummary(ResponseModel):
    minute_at: int
    created: int
    completed: int
    failed: int
    error_thrown: int


class WorkerSummary(ResponseModel):
    name: str
    last_activation_at: int | None
    jobs_in_flight: int


class StatsSummary(ResponseModel):
    at: int
    last_event_id: int
    window_minutes: int
    types: list[TypeSummary]
    throughput: list[MinuteSummary]
    workers: list[WorkerSummary]
    limits: list[JobTypeLimits] = Field(default_factory=list)

    @classmethod
    def of(cls, stats: Stats, limits: list[JobTypeLimits] | None = None) -> StatsSummary:
        return cls(
            limits=limits or [],
            at=stats.at,
            last_event_id=stats.last_event_id,
            window_minutes=stats.window_minutes,
            types=[
                TypeSummary(
                    type=t.job_type,
                    total=t.total,
                    counts=StateCounts(
                        activatable=t.counts["ACTIVATABLE"],
                        activated=t.counts["ACTIVATED"],
                        completed=t.counts["COMPLETED"],
                        failed=t.counts["FAILED"],
                        incident=t.counts["INCIDENT"],
                        error_thrown=t.counts["ERROR_THROWN"],
                        canceled=t.counts["CANCELED"],
                    ),
                )
                for t in stats.types
            ],
            throughput=[
                MinuteSummary(
                    minute_at=m.minute_at,
                    created=m.created,
                    completed=m.completed,
                    failed=m.failed,
                    error_thrown=m.error_thrown,
                )
                for m in stats.throughput
            ],
            workers=[
                WorkerSummary(
                    name=w.name,
                    last_activation_at=w.last_activation_at,
                    jobs_in_flight=w.jobs_in_flight,
                )
                for w in stats.workers
            ],
        )


def window_minutes(request: Request) -> int:
    """The ``?minutes=`` query parameter, or a 400 saying what it must be."""
    raw = request.query_params.get("minutes")
    if raw is None:
        return DEFAULT_WINDOW_MINUTES
    valid = raw.isascii() and raw.isdigit() and len(raw) <= 3
    if not valid or not 1 <= int(raw) <= MAX_WINDOW_MINUTES:
        raise InvalidRequest(f"minutes: must be a whole number from 1 to {MAX_WINDOW_MINUTES}")
    return int(raw)


async def read_stats(request: Request, minutes: int) -> Stats:
    store = store_of(request)
    return await collector_for(store).snapshot(store, minutes)


async def stats(request: Request) -> Response:
    minutes = window_minutes(request)
    summary = StatsSummary.of(
        await read_stats(request, minutes), await store_of(request).all_limits()
    )
    return Response(summary.to_wire(), media_type="application/json")


ROUTES = [Route("/v2/ext/stats", stats, methods=["GET"])]
