"""Prometheus metrics of one ``Worker``, counted in plain Python until someone reads them.

Counting needs no prometheus_client: a worker that serves no ``/metrics`` never imports it
(docs/performance.md: an idle worker's memory). ``registry`` builds a prometheus registry
on first use whose collector reads these counts (``_prometheus``). A child of ``--processes``
whose supervisor serves the endpoint counts in prometheus_client's own metrics instead: they
write the multiprocess files (``PROMETHEUS_MULTIPROC_DIR``) that the supervisor sums.

A registry per worker (not prometheus_client's global one) keeps two workers in one process,
or two tests, from adding to each other's counters. Counts change on the event loop only.
"""

from __future__ import annotations

import bisect
import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, Literal, Protocol, TypeVar

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
"""prometheus_client's own switch to multiprocess mode (a folder of value files)."""

DURATION_BUCKETS_S = (
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800,
)  # fmt: skip
"""Handler run times from milliseconds (lookups) to half an hour (batch work)."""

BY_TYPE = ("job_type",)


@dataclass(frozen=True)
class MetricSpec:
    """One metric as Prometheus shows it."""

    name: str
    doc: str
    kind: str
    """``counter``, ``gauge`` or ``histogram``."""
    labels: tuple[str, ...] = BY_TYPE
    multiprocess_mode: Literal["all", "livesum", "livemin"] = "all"
    """How ``--processes`` sums a gauge over the children (prometheus_client's modes)."""


ACTIVATED = MetricSpec("sdk_worker_jobs_activated", "Jobs activated by this worker.", "counter")
COMPLETED = MetricSpec("sdk_worker_jobs_completed", "Jobs reported completed.", "counter")
FAILED = MetricSpec("sdk_worker_jobs_failed", "Jobs reported failed (handler raised).", "counter")
ERRORED = MetricSpec("sdk_worker_jobs_errored", "Jobs reported with a BPMN error.", "counter")
ABANDONED = MetricSpec(
    "sdk_worker_jobs_abandoned",
    "Jobs given up without a report: timeout, lost (no longer ours), handed_back"
    " (shutdown), not_reported (the report failed).",
    "counter",
    (*BY_TYPE, "reason"),
)
DURATION = MetricSpec(
    "sdk_worker_handler_duration_seconds",
    "Time handlers ran, until they returned or raised.",
    "histogram",
)
IN_FLIGHT = MetricSpec(
    "sdk_worker_jobs_in_flight",
    "Jobs running right now.",
    "gauge",
    multiprocess_mode="livesum",  # --processes: summed over the live children
)
POLL_ERRORS = MetricSpec("sdk_worker_poll_errors", "Activation requests that failed.", "counter")
LEASE_EXTENSIONS = MetricSpec(
    "sdk_worker_lease_extensions", "Job leases extended while the handler ran.", "counter"
)
SERVER_UP = MetricSpec(
    "sdk_worker_server_up",
    "1 while the server answers, else 0.",
    "gauge",
    labels=(),
    multiprocess_mode="livemin",  # --processes: 1 only while every child reaches it
)


class Counting(Protocol):
    def inc(self, amount: float = 1) -> None: ...


class Gauging(Counting, Protocol):
    def dec(self, amount: float = 1) -> None: ...

    def set(self, value: float) -> None: ...


class Observing(Protocol):
    def observe(self, amount: float) -> None: ...


S_co = TypeVar("S_co", covariant=True)


class Labelled(Protocol[S_co]):
    def labels(self, *values: str) -> S_co: ...


class Value:
    """One series of a counter or gauge."""

    __slots__ = ("created", "value")

    def __init__(self) -> None:
        self.value = 0.0
        self.created = time.time()

    def inc(self, amount: float = 1) -> None:
        self.value += amount

    def dec(self, amount: float = 1) -> None:
        self.value -= amount

    def set(self, value: float) -> None:
        self.value = value


class Distribution:
    """One series of a histogram: a count per bucket (not cumulative) and the sum."""

    __slots__ = ("counts", "created", "sum")

    def __init__(self) -> None:
        self.counts = [0] * (len(DURATION_BUCKETS_S) + 1)  # the last one: +Inf
        self.sum = 0.0
        self.created = time.time()

    def observe(self, amount: float) -> None:
        self.sum += amount
        self.counts[bisect.bisect_left(DURATION_BUCKETS_S, amount)] += 1


S = TypeVar("S", Value, Distribution)


class Family(Generic[S]):
    """A metric's series by label values."""

    def __init__(self, spec: MetricSpec, series: type[S]) -> None:
        self.spec = spec
        self.series: dict[tuple[str, ...], S] = {}
        self._make: type[S] = series

    def labels(self, *values: str) -> S:
        try:
            return self.series[values]
        except KeyError:
            if len(values) != len(self.spec.labels):
                raise ValueError(f"{self.spec.name} takes labels {self.spec.labels}") from None
            made: S = self._make()
            self.series[values] = made
            return made


class WorkerMetrics:
    """The counters a worker keeps, labelled by job type (docs/running.md lists them)."""

    def __init__(self) -> None:
        self._registry: CollectorRegistry | None = None
        self.families: tuple[Family[Value] | Family[Distribution], ...] = ()
        """The plain counts (none in multiprocess mode)."""
        self.activated: Labelled[Counting]
        self.completed: Labelled[Counting]
        self.failed: Labelled[Counting]
        self.errored: Labelled[Counting]
        self.abandoned: Labelled[Counting]
        self.duration: Labelled[Observing]
        self.in_flight: Labelled[Gauging]
        self.poll_errors: Labelled[Counting]
        self.lease_extensions: Labelled[Counting]
        self.server_up: Gauging
        if os.environ.get(MULTIPROC_ENV):
            from ._prometheus import multiprocess_metrics

            self._registry = multiprocess_metrics(self)
            return
        self.activated = self._family(ACTIVATED)
        self.completed = self._family(COMPLETED)
        self.failed = self._family(FAILED)
        self.errored = self._family(ERRORED)
        self.abandoned = self._family(ABANDONED)
        self.duration = self._add(Family(DURATION, Distribution))
        self.in_flight = self._family(IN_FLIGHT)
        self.poll_errors = self._family(POLL_ERRORS)
        self.lease_extensions = self._family(LEASE_EXTENSIONS)
        self.server_up = self._family(SERVER_UP).labels()

    def _family(self, spec: MetricSpec) -> Family[Value]:
        return self._add(Family(spec, Value))

    def _add(self, family: Family[S]) -> Family[S]:
        self.families = (*self.families, family)
        return family

    @property
    def registry(self) -> CollectorRegistry:
        """A prometheus registry of these metrics, made (and prometheus_client imported) on
        first use."""
        if self._registry is None:
            from ._prometheus import registry_of

            self._registry = registry_of(self)
        return self._registry

    def render(self) -> bytes:
        """The registry in Prometheus' text exposition format."""
        from prometheus_client import generate_latest

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
