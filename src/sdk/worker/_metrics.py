"""Prometheus metrics of one ``Worker``, in a registry of its own.

A registry per worker (not prometheus_client's global one) keeps two workers in one process,
or two tests, from adding to each other's counters.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

CONTENT_TYPE = CONTENT_TYPE_LATEST

DURATION_BUCKETS_S = (
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800,
)  # fmt: skip
"""Handler run times from milliseconds (lookups) to half an hour (batch work)."""

BY_TYPE = ("job_type",)


class WorkerMetrics:
    """The counters a worker keeps, labelled by job type (see ``README`` for the list)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.activated = Counter(
            "sdk_worker_jobs_activated", "Jobs activated by this worker.", BY_TYPE, registry=r
        )
        self.completed = Counter(
            "sdk_worker_jobs_completed", "Jobs reported completed.", BY_TYPE, registry=r
        )
        self.failed = Counter(
            "sdk_worker_jobs_failed", "Jobs reported failed (handler raised).", BY_TYPE, registry=r
        )
        self.errored = Counter(
            "sdk_worker_jobs_errored", "Jobs reported with a BPMN error.", BY_TYPE, registry=r
        )
        self.abandoned = Counter(
            "sdk_worker_jobs_abandoned",
            "Jobs given up without a report: timeout, lost (no longer ours), handed_back"
            " (shutdown), not_reported (the report failed).",
            (*BY_TYPE, "reason"),
            registry=r,
        )
        self.duration = Histogram(
            "sdk_worker_handler_duration_seconds",
            "Time handlers ran, until they returned or raised.",
            BY_TYPE,
            buckets=DURATION_BUCKETS_S,
            registry=r,
        )
        self.in_flight = Gauge(
            "sdk_worker_jobs_in_flight",
            "Jobs running right now.",
            BY_TYPE,
            registry=r,
            multiprocess_mode="livesum",  # --processes: summed over the live children
        )
        self.poll_errors = Counter(
            "sdk_worker_poll_errors", "Activation requests that failed.", BY_TYPE, registry=r
        )
        self.lease_extensions = Counter(
            "sdk_worker_lease_extensions",
            "Job leases extended while the handler ran.",
            BY_TYPE,
            registry=r,
        )
        self.server_up = Gauge(
            "sdk_worker_server_up",
            "1 while the server answers, else 0.",
            registry=r,
            multiprocess_mode="livemin",  # --processes: 1 only while every child reaches it
        )

    def render(self) -> bytes:
        """The registry in Prometheus' text exposition format."""
        return generate_latest(self.registry)

    def add_job_type(self, job_type: str) -> None:
        """Show a job type's series at 0 from the start, so rates work before its first job."""
        for metric in (
            self.activated,
            self.completed,
            self.failed,
            self.errored,
            self.duration,
            self.in_flight,
            self.poll_errors,
            self.lease_extensions,
        ):
            metric.labels(job_type)
