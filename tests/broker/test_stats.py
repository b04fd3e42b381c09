"""The dashboard's statistics of a store: counts per type and state, events per minute, workers.

A controllable clock places events in chosen minutes, so the buckets are checked exactly.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from sdk.broker import JobStore
from sdk.broker.store import Activation, Failure, StatsCollector, collector_for
from sdk.broker.store import _stats as stats_module
from sdk.broker.store._stats import MINUTE_MS
from sdk.models import JobSpec

from _support.clocks import FakeClock

pytestmark = pytest.mark.anyio

START_MS = 1_700_000_040_000  # the start of a minute


Clock = FakeClock[int]
"""The stores' clock: epoch milliseconds."""


@pytest.fixture
def clock() -> Clock:
    return Clock(START_MS)


@pytest.fixture
async def store(clock: Clock) -> AsyncIterator[JobStore]:
    store = JobStore(":memory:", clock=clock)
    yield store
    await store.aclose()


LEASE_MS = 10 * MINUTE_MS


async def activate(store: JobStore, job_type: str, worker: str, n: int = 1) -> list[int]:
    query = Activation(job_type=job_type, worker=worker, timeout_ms=LEASE_MS, max_jobs=n)
    return [int(job.job_key) for job in await store.activate(query, 0)]


def fail(retries: int, message: str | None = "boom", backoff_ms: int = 0) -> Failure:
    return Failure(retries=retries, message=message, backoff_ms=backoff_ms, variables=None)


class TestCounts:
    async def test_counts_every_category_per_type(self, store: JobStore, clock: Clock) -> None:
        await store.create([JobSpec(type="pay")] * 7 + [JobSpec(type="mail")] * 2)
        done, retrying, silent, incident, thrown, canceled = await activate(store, "pay", "w", 6)
        await store.complete(done, None, None)
        await store.fail(retrying, fail(2), None)
        await store.fail(silent, fail(1, message=None, backoff_ms=60_000), None)
        await store.fail(incident, fail(0), None)
        await store.throw_error(thrown, "E", None, None, None)
        await store.cancel(canceled)
        await activate(store, "mail", "w", 1)

        snapshot = await collector_for(store).snapshot(store, 15)

        counts = {t.job_type: t.counts for t in snapshot.types}
        assert counts == {
            "mail": {
                "ACTIVATABLE": 1,
                "ACTIVATED": 1,
                "COMPLETED": 0,
                "FAILED": 0,
                "INCIDENT": 0,
                "ERROR_THROWN": 0,
                "CANCELED": 0,
            },
            "pay": {
                "ACTIVATABLE": 1,
                "ACTIVATED": 0,
                "COMPLETED": 1,
                "FAILED": 2,  # one with a message, one silent but in its back-off
                "INCIDENT": 1,
                "ERROR_THROWN": 1,
                "CANCELED": 1,
            },
        }
        assert [t.total for t in snapshot.types] == [2, 7]

    async def test_an_expired_activation_counts_as_activatable(
        self, store: JobStore, clock: Clock
    ) -> None:
        await store.create([JobSpec(type="pay")])
        await activate(store, "pay", "w")
        clock.advance(LEASE_MS + 1)

        snapshot = await collector_for(store).snapshot(store, 15)

        (pay,) = snapshot.types
        assert (pay.counts["ACTIVATABLE"], pay.counts["ACTIVATED"]) == (1, 0)
        assert snapshot.workers[0].jobs_in_flight == 0

    async def test_following_the_event_log_counts_as_a_fresh_count_does(
        self, store: JobStore, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(stats_module, "FOLD_CHUNK_EVENTS", 3)  # many chunks
        following = StatsCollector()
        await store.create([JobSpec(type="a")] * 4)
        first, second = await activate(store, "a", "w", 2)
        await store.complete(first, None, None)
        await following.snapshot(store, 15)  # the baseline: one ended job so far
        await store.create([JobSpec(type="b")] * 3)
        await store.throw_error(second, "E", None, None, None)
        third, fourth = await activate(store, "b", "w", 2)
        await store.complete(third, None, None)
        await following.snapshot(store, 15)
        await store.cancel(fourth)
        await store.fail((await activate(store, "a", "w"))[0], fail(0), None)

        followed = await following.snapshot(store, 15)
        fresh = await StatsCollector().snapshot(store, 15)

        assert followed.types == fresh.types
        assert {t.job_type: t.total for t in fresh.types} == {"a": 4, "b": 3}
        assert followed.throughput == fresh.throughput


class TestThroughput:
    async def test_events_land_in_their_minute(self, store: JobStore, clock: Clock) -> None:
        await store.create([JobSpec(type="t")] * 3)  # minute 0
        first, second, third = await activate(store, "t", "w", 3)
        await store.complete(first, None, None)
        clock.advance(2 * MINUTE_MS)
        await store.fail(second, fail(0), None)  # minute 2
        await store.throw_error(third, "E", None, None, None)

        snapshot = await collector_for(store).snapshot(store, 5)

        assert [m.minute_at for m in snapshot.throughput] == [
            START_MS + (i - 2) * MINUTE_MS for i in range(5)
        ]
        rows = [(m.created, m.completed, m.failed, m.error_thrown) for m in snapshot.throughput]
        assert rows == [(0, 0, 0, 0), (0, 0, 0, 0), (3, 1, 0, 0), (0, 0, 0, 0), (0, 0, 1, 1)]

    async def test_refreshes_count_each_event_once(self, store: JobStore, clock: Clock) -> None:
        collector = collector_for(store)
        await store.create([JobSpec(type="t")] * 2)
        await collector.snapshot(store, 1)
        await store.create([JobSpec(type="t")] * 3)

        first = await collector.snapshot(store, 1)
        again = await collector.snapshot(store, 1)

        assert first.throughput[-1].created == again.throughput[-1].created == 5

    async def test_catching_up_in_chunks_counts_the_same(
        self, store: JobStore, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        await store.create([JobSpec(type="t")] * 7)
        monkeypatch.setattr(stats_module, "FOLD_CHUNK_EVENTS", 2)

        snapshot = await StatsCollector().snapshot(store, 1)

        assert snapshot.throughput[-1].created == 7
        assert snapshot.last_event_id == 7

    async def test_events_older_than_the_window_are_left_out(
        self, store: JobStore, clock: Clock
    ) -> None:
        await store.create([JobSpec(type="t")] * 4)
        clock.advance(61 * MINUTE_MS)
        await store.create([JobSpec(type="t")])

        fresh = await StatsCollector().snapshot(store, 60)

        assert sum(m.created for m in fresh.throughput) == 1

    async def test_the_window_is_bounded(self, store: JobStore) -> None:
        with pytest.raises(ValueError, match="between 1 and 60"):
            await StatsCollector().snapshot(store, 61)


class TestWorkers:
    async def test_lists_recent_workers_with_their_jobs_in_flight(
        self, store: JobStore, clock: Clock
    ) -> None:
        await store.create([JobSpec(type="t")] * 4)
        await activate(store, "t", "early", 1)
        clock.advance(1_000)
        done, _ = await activate(store, "t", "late", 2)
        await store.complete(done, None, None)

        snapshot = await collector_for(store).snapshot(store, 15)

        assert [(w.name, w.last_activation_at, w.jobs_in_flight) for w in snapshot.workers] == [
            ("late", START_MS + 1_000, 1),
            ("early", START_MS, 1),
        ]

    async def test_a_worker_seen_long_ago_shows_while_it_holds_jobs(
        self, store: JobStore, clock: Clock
    ) -> None:
        await store.create([JobSpec(type="t")])
        query = Activation(job_type="t", worker="slow", timeout_ms=90 * MINUTE_MS, max_jobs=1)
        await store.activate(query, 0)
        clock.advance(30 * MINUTE_MS)

        snapshot = await collector_for(store).snapshot(store, 15)

        assert [(w.name, w.last_activation_at, w.jobs_in_flight) for w in snapshot.workers] == [
            ("slow", None, 1)
        ]


class TestFirstEventAtOrAfter:
    async def test_finds_the_boundary_by_binary_search(self, store: JobStore, clock: Clock) -> None:
        times = []
        for step in [0, 5, 0, 0, 7, 1, 0, 9]:  # several events may share a millisecond
            clock.advance(step)
            await store.create([JobSpec(type="t")])
            times.append(clock.now)

        for probe in range(START_MS - 1, clock.now + 2):
            expected = next((i + 1 for i, at in enumerate(times) if at >= probe), len(times) + 1)
            assert await store.first_event_id_at_or_after(probe) == expected, probe

    async def test_an_empty_log_answers_one(self, store: JobStore) -> None:
        assert await store.first_event_id_at_or_after(0) == 1
