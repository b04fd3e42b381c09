"""The sdk broker's extensions (routes under ``/v2/ext``) as the client names them, and the
error a server without one earns.

A Camunda 8 cluster has none of these routes. A 405, or a 404 on a route naming no single
thing, can only mean the route is missing. A 404 on a route naming one job or schedule may
also mean that thing is missing, so the client asks ``GET /v2/ext/capabilities`` (once) which
extensions the server offers before it calls the route missing.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from ..errors import ExtensionUnsupportedError


@dataclass(frozen=True)
class Extension:
    name: str
    """As ``GET /v2/ext/capabilities`` lists it."""
    what: str
    """What a caller loses without it, as the subject of "are not supported"."""
    item_route: bool = False
    """The route names one thing, so a 404 may be that thing missing, not the route."""

    def missing(self, status: int) -> bool:
        """``status`` alone shows the route is missing (capabilities decide a 404 of an
        ``item_route``)."""
        return status == 405 or (status == 404 and not self.item_route)

    def unsupported(self, response: httpx.Response) -> ExtensionUnsupportedError:
        request = response.request
        return ExtensionUnsupportedError(
            self.name,
            f"{request.method} {request.url} answered {response.status_code}: {self.what} are"
            f" not supported by this server; they are the extension '{self.name}' of the sdk"
            " broker, which this server (e.g. a Camunda 8 cluster) does not offer",
            status=response.status_code,
        )


JOBS_CREATE = Extension("jobs.create", "created jobs")
JOBS_GET = Extension("jobs.get", "job lookups", item_route=True)
JOBS_SEARCH = Extension("jobs.search", "job searches")
JOBS_CANCEL = Extension("jobs.cancel", "job cancellations", item_route=True)
JOBS_REPORT_BATCH = Extension("jobs.report-batch", "batched job reports")
EVENTS = Extension("events", "job events")
JOB_TYPE_LIMITS = Extension("job-types.limits", "job-type limits")
JOBS_BULK = Extension("jobs.bulk", "bulk job actions")
SCHEDULES = Extension("schedules", "schedules")
SCHEDULE = Extension("schedules", "schedules", item_route=True)
"""A route naming one schedule; an upsert (PUT) answers 404 only without the extension."""
JOBS_AWAIT = Extension("jobs.result", "awaited job results")
JOB_RESULT = Extension("jobs.result", "awaited job results", item_route=True)
JOB_PROGRESS = Extension("jobs.progress", "job progress reports", item_route=True)
