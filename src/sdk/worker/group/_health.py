"""One ``/healthz`` ``/readyz`` ``/metrics`` for a group of worker processes.

The children keep their metrics in prometheus_client's multiprocess mode (one file per
process in a folder the supervisor owns: ``PROMETHEUS_MULTIPROC_DIR``); the supervisor sums
them per series: counters and histograms over every child that ever ran (a restarted child's
counts stay), ``sdk_worker_jobs_in_flight`` over the live ones, ``sdk_worker_server_up`` as
the minimum over the live ones. The supervisor adds ``sdk_worker_processes`` and
``sdk_worker_process_restarts_total``. Served by ``observe``'s health app, as for one worker.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

from ..observe import MULTIPROC_ENV as MULTIPROC_ENV
from ._processes import ProcessGroup


class GroupHealth:
    """What ``health_app`` reads, for a ``ProcessGroup`` whose children write to ``folder``."""

    def __init__(self, name: str, group: ProcessGroup, folder: Path) -> None:
        self.name = name
        self._group = group
        self._folder = folder
        self._children = CollectorRegistry()
        MultiProcessCollector(self._children, path=str(folder))  # type: ignore[no-untyped-call]
        self._own = CollectorRegistry()
        self._processes = Gauge(
            "sdk_worker_processes", "Worker processes alive in the group.", registry=self._own
        )
        self._restarts = Counter(
            "sdk_worker_process_restarts",
            "Worker processes started again after they died.",
            registry=self._own,
        )
        self._restarts_seen = 0
        self._last: list[Metric] = []

    def collect(self) -> Iterable[Metric]:
        """The children's summed metrics. A child that is just starting has created its file
        but not yet written it, which prometheus_client cannot read: the last good reading
        stands in for that moment instead of failing the probe or the scrape."""
        try:
            self._last = list(self._children.collect())
        except (struct.error, ValueError):
            pass
        return self._last

    def child_died(self, pid: int) -> None:
        """Drop a dead child's live gauges (its counters stay in the sums)."""
        mark_process_dead(pid, str(self._folder))  # type: ignore[no-untyped-call]

    @property
    def in_flight(self) -> int:
        return int(sum(self._values("sdk_worker_jobs_in_flight")))

    @property
    def readiness(self) -> tuple[bool, str]:
        """Ready while not stopping, every child alive, and each live child reached the server."""
        if self._group.stopping:
            return False, "draining: finishing running jobs, taking no new ones"
        alive = len(self._group.pids)
        if alive < self._group.size:
            return False, f"{alive} of {self._group.size} worker processes running"
        up = self._values("sdk_worker_server_up")
        if not up or min(up) < 1:
            return False, "a worker process has not reached the server"
        return True, f"{alive} worker processes ready"

    def render_metrics(self) -> bytes:
        self._processes.set(len(self._group.pids))
        self._restarts.inc(self._group.restarts - self._restarts_seen)
        self._restarts_seen = self._group.restarts
        return generate_latest(self) + generate_latest(self._own)

    def _values(self, name: str) -> list[float]:
        return [
            sample.value
            for family in self.collect()
            if family.name == name
            for sample in family.samples
            if sample.name == name
        ]
