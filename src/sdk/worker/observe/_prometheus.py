"""The bridge to prometheus_client, imported only when a worker's metrics are read or shared.

``registry_of`` shows a worker's plain counts through a collector read at each scrape, in the
shape prometheus_client's own metrics take (``_total`` and ``_created`` samples included);
``multiprocess_metrics`` gives a ``--processes`` child prometheus_client's own metrics, which
write the files its supervisor sums (``group._health``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import prometheus_client.metrics
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from ._metrics import (
    ABANDONED,
    ACTIVATED,
    COMPLETED,
    DURATION,
    DURATION_BUCKETS_S,
    ERRORED,
    FAILED,
    IN_FLIGHT,
    LEASE_EXTENSIONS,
    POLL_ERRORS,
    SERVER_UP,
    Distribution,
    Family,
    MetricSpec,
    Value,
    WorkerMetrics,
)

BOUNDS = [floatToGoString(b) for b in (*DURATION_BUCKETS_S, math.inf)]  # type: ignore[no-untyped-call]


class _Counts(Collector):
    """Reads a worker's families at each scrape."""

    def __init__(self, families: tuple[Family[Value] | Family[Distribution], ...]) -> None:
        self._families = families

    def collect(self) -> Iterable[Metric]:
        created = getattr(prometheus_client.metrics, "_use_created", True)
        return [_metric(family, created) for family in self._families]


def _metric(family: Family[Value] | Family[Distribution], created: bool) -> Metric:
    spec = family.spec
    metric = Metric(spec.name, spec.doc, spec.kind)
    counts: list[tuple[tuple[str, ...], Value | Distribution]] = list(family.series.items())
    for values, series in counts:  # a copy: a scrape may run off the event loop
        labels = dict(zip(spec.labels, values, strict=True))
        if isinstance(series, Distribution):
            total = 0
            for bound, count in zip(BOUNDS, series.counts, strict=True):
                total += count
                metric.add_sample(f"{spec.name}_bucket", {**labels, "le": bound}, total)
            metric.add_sample(f"{spec.name}_count", labels, total)
            metric.add_sample(f"{spec.name}_sum", labels, series.sum)
        elif spec.kind == "counter":
            metric.add_sample(f"{spec.name}_total", labels, series.value)
        else:
            metric.add_sample(spec.name, labels, series.value)
        if created and spec.kind != "gauge":
            metric.add_sample(f"{spec.name}_created", labels, series.created)
    return metric


def registry_of(metrics: WorkerMetrics) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=True)
    registry.register(_Counts(metrics.families))
    return registry


def multiprocess_metrics(metrics: WorkerMetrics) -> CollectorRegistry:
    """Fill ``metrics`` with prometheus_client's own metrics, in a registry of their own."""
    registry = CollectorRegistry(auto_describe=True)

    def counter(spec: MetricSpec) -> Counter:
        return Counter(spec.name, spec.doc, spec.labels, registry=registry)

    def gauge(spec: MetricSpec) -> Gauge:
        mode = spec.multiprocess_mode
        return Gauge(spec.name, spec.doc, spec.labels, registry=registry, multiprocess_mode=mode)

    metrics.activated = counter(ACTIVATED)
    metrics.completed = counter(COMPLETED)
    metrics.failed = counter(FAILED)
    metrics.errored = counter(ERRORED)
    metrics.abandoned = counter(ABANDONED)
    metrics.duration = Histogram(
        DURATION.name, DURATION.doc, DURATION.labels, buckets=DURATION_BUCKETS_S, registry=registry
    )
    metrics.in_flight = gauge(IN_FLIGHT)
    metrics.poll_errors = counter(POLL_ERRORS)
    metrics.lease_extensions = counter(LEASE_EXTENSIONS)
    metrics.server_up = gauge(SERVER_UP)
    return registry
