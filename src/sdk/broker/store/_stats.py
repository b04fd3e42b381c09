"""Statistics of a store for the dashboard: jobs per type and state, events per minute, workers.

Counting afresh on every refresh would scan every job and the whole window of the event log
(millions of rows on a busy broker) while holding the store's only connection, so the job
routes would wait behind each refresh. A ``StatsCollector`` instead reads a baseline once and
then follows the event log: each refresh folds in only the events written since the previous
one, in bounded chunks. Jobs that have ended never change state again, so their counts follow
from the ``COMPLETED`` / ``ERROR_THROWN`` / ``CANCELED`` events; the jobs still alive are
counted fresh through the ``(type, state)`` index, which never touches the ended ones.
"""

from __future__ import annotations

import weakref
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import anyio

from ._face import JobStore

MINUTE_MS = 60_000
MAX_WINDOW_MINUTES = 60
"""How much history the collector keeps, and the largest window a caller may ask for."""
FOLD_CHUNK_EVENTS = 10_000
"""Events aggregated per store call while catching up (~15 ms of SQLite each)."""

CATEGORIES = (
    "ACTIVATABLE",
    "ACTIVATED",
    "COMPLETED",
    "FAILED",
    "INCIDENT",
    "ERROR_THROWN",
    "CANCELED",
)
"""The per-type count columns, in display order; ``FAILED`` = failed with retries left."""


@dataclass(frozen=True)
class TypeCounts:
    """How many jobs of one type are in each category (see ``CATEGORIES``)."""

    job_type: str
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class MinuteCounts:
    """Job events in the minute starting at ``minute_at`` (epoch ms)."""

    minute_at: int
    created: int
    completed: int
    failed: int
    """Failures, with retries left or not (``FAILED`` and ``INCIDENT`` events)."""
    error_thrown: int


@dataclass(frozen=True)
class WorkerSeen:
    """A worker that activated jobs in the window, or holds some now."""

    name: str
    last_activation_at: int | None
    jobs_in_flight: int


@dataclass(frozen=True)
class Stats:
    at: int
    last_event_id: int
    window_minutes: int
    types: list[TypeCounts]
    throughput: list[MinuteCounts]
    """One entry per minute of the window, oldest first; the last is the current minute."""
    workers: list[WorkerSeen]


class EventWindow:
    """Per-minute event counts and each worker's last activation, over the last hour."""

    def __init__(self) -> None:
        self.seen_id: int | None = None
        """The last event folded in; ``None`` until the first refresh finds where to start."""
        self._minutes: dict[int, Counter[str]] = {}
        self._last_activation: dict[str, int] = {}

    @staticmethod
    def first_minute(now_ms: int, minutes: int) -> int:
        """The minute number (epoch ms // 60 000) that opens a window of ``minutes``."""
        return now_ms // MINUTE_MS - (minutes - 1)

    def fold(
        self,
        until_id: int,
        minute_rows: Sequence[tuple[int, str, str, int]],
        worker_rows: Sequence[tuple[str, int]],
    ) -> None:
        for minute, _, event, count in minute_rows:
            self._minutes.setdefault(minute, Counter())[event] += count
        for worker, at in worker_rows:
            self._last_activation[worker] = max(at, self._last_activation.get(worker, at))
        self.seen_id = until_id

    def prune(self, now_ms: int) -> None:
        oldest = self.first_minute(now_ms, MAX_WINDOW_MINUTES)
        for minute in [m for m in self._minutes if m < oldest]:
            del self._minutes[minute]
        cutoff = oldest * MINUTE_MS
        for worker in [w for w, at in self._last_activation.items() if at < cutoff]:
            del self._last_activation[worker]

    def throughput(self, now_ms: int, minutes: int) -> list[MinuteCounts]:
        first = self.first_minute(now_ms, minutes)
        result = []
        for minute in range(first, first + minutes):
            events = self._minutes.get(minute, Counter())
            result.append(
                MinuteCounts(
                    minute_at=minute * MINUTE_MS,
                    created=events["CREATED"],
                    completed=events["COMPLETED"],
                    failed=events["FAILED"] + events["INCIDENT"],
                    error_thrown=events["ERROR_THROWN"],
                )
            )
        return result

    def workers(self, now_ms: int, minutes: int, in_flight: dict[str, int]) -> list[WorkerSeen]:
        """Workers seen in the window or holding jobs now, most recently active first."""
        cutoff = self.first_minute(now_ms, minutes) * MINUTE_MS
        seen = {w: at for w, at in self._last_activation.items() if at >= cutoff}
        names = sorted(set(seen) | set(in_flight), key=lambda w: (-seen.get(w, 0), w))
        return [WorkerSeen(w, seen.get(w), in_flight.get(w, 0)) for w in names]


ENDED_EVENTS = frozenset({"COMPLETED", "ERROR_THROWN", "CANCELED"})
"""Events that end a job; each names the state the job then keeps."""


class StatsCollector:
    """Computes ``Stats`` of one store; refreshes take turns so no event is counted twice."""

    def __init__(self) -> None:
        self._window = EventWindow()
        self._ended: Counter[tuple[str, str]] = Counter()
        """Jobs that have ended, by (type, state), as of event ``_counted_id``."""
        self._types: set[str] = set()
        self._counted_id: int | None = None
        self._lock = anyio.Lock()

    async def snapshot(self, store: JobStore, minutes: int) -> Stats:
        if not 1 <= minutes <= MAX_WINDOW_MINUTES:
            raise ValueError(f"minutes must be between 1 and {MAX_WINDOW_MINUTES}")
        async with self._lock:
            now = store.now()
            if self._counted_id is None:
                await self._start(store, now)
            await self._catch_up(store, await store.last_event_id())
            last_id, live = await store.live_counts(sorted(self._types), now)
            await self._catch_up(store, last_id)  # the few events since: counts as of last_id
            self._window.prune(now)
            types = self._type_counts(live)
            in_flight = await store.jobs_in_flight([t.job_type for t in types], now)
            return Stats(
                at=now,
                last_event_id=last_id,
                window_minutes=minutes,
                types=types,
                throughput=self._window.throughput(now, minutes),
                workers=self._window.workers(now, minutes, in_flight),
            )

    async def _start(self, store: JobStore, now: int) -> None:
        """Count the jobs once (one index scan) and find where the window's events begin."""
        last_id, rows = await store.stats_baseline()
        for job_type, state, count in rows:
            self._types.add(job_type)
            if state in ENDED_EVENTS:
                self._ended[job_type, state] += count
        self._counted_id = last_id
        start_at = self._window.first_minute(now, MAX_WINDOW_MINUTES) * MINUTE_MS
        self._window.seen_id = await store.first_event_id_at_or_after(start_at) - 1

    async def _catch_up(self, store: JobStore, last_id: int) -> None:
        """Fold events up to ``last_id`` into the window, and those after the baseline into
        the counts; no chunk straddles the baseline, so each event counts once."""
        window = self._window
        assert window.seen_id is not None and self._counted_id is not None
        while window.seen_id < last_id:
            until = min(last_id, window.seen_id + FOLD_CHUNK_EVENTS)
            counting = window.seen_id >= self._counted_id
            if not counting:
                until = min(until, self._counted_id)
            minute_rows, worker_rows = await store.event_aggregates(window.seen_id, until)
            window.fold(until, minute_rows, worker_rows)
            if counting:
                self._count_ended(minute_rows)
                self._counted_id = until

    def _count_ended(self, rows: Sequence[tuple[int, str, str, int]]) -> None:
        for _, job_type, event, count in rows:
            if event == "CREATED":
                self._types.add(job_type)
            elif event in ENDED_EVENTS:
                self._ended[job_type, event] += count

    def _type_counts(self, live: list[tuple[str, str, int]]) -> list[TypeCounts]:
        by_type = {job_type: dict.fromkeys(CATEGORIES, 0) for job_type in self._types}
        for (job_type, state), count in self._ended.items():
            by_type[job_type][state] += count
        for job_type, category, count in live:
            by_type.setdefault(job_type, dict.fromkeys(CATEGORIES, 0))[category] += count
        return [TypeCounts(t, by_type[t]) for t in sorted(by_type)]


_collectors: weakref.WeakKeyDictionary[JobStore, StatsCollector] = weakref.WeakKeyDictionary()


def collector_for(store: JobStore) -> StatsCollector:
    """The one collector of ``store`` (created at first use, dropped with the store)."""
    collector = _collectors.get(store)
    if collector is None:
        collector = _collectors[store] = StatsCollector()
    return collector
