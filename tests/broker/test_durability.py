"""Jobs on a SQLite file outlive the store (and the broker) that acknowledged them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import pytest

from sdk.broker import JobStore, serve
from sdk.broker._problems import JobInWrongState
from sdk.broker.store import Activation, Failure
from sdk.client import AsyncClient
from sdk.models import JobSpec, JobState
from sdk.testing import client_for

pytestmark = pytest.mark.anyio


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "broker" / "jobs.sqlite3"


@asynccontextmanager
async def opened(path: Path) -> AsyncIterator[JobStore]:
    store = JobStore(path)
    try:
        yield store
    finally:
        await store.aclose()


@asynccontextmanager
async def broker_client(path: Path) -> AsyncIterator[AsyncClient]:
    """A broker served on ``path`` for the block, and a client of it; stopped afterwards."""
    async with anyio.create_task_group() as tg:
        broker = await tg.start(serve, path, "127.0.0.1", 0)
        async with client_for(broker) as client:
            yield client
        tg.cancel_scope.cancel()


def activation(job_type: str, max_jobs: int = 1, *, with_lease: bool = False) -> Activation:
    return Activation(
        job_type=job_type,
        worker="w",
        timeout_ms=60_000,
        max_jobs=max_jobs,
        with_lease=with_lease,
    )


class TestReopeningTheStore:
    async def test_jobs_and_their_states_survive(self, db_path: Path) -> None:
        async with opened(db_path) as store:
            done, failed, running, waiting = await store.create(
                [JobSpec(type="t", variables={"n": n}) for n in range(4)]
            )
            activated = await store.activate(activation("t", max_jobs=3), request_timeout_ms=0)
            assert [job.job_key for job in activated] == [done, failed, running]
            await store.complete(int(done), {"result": "ok"}, None)
            await store.fail(int(failed), Failure(0, "broken", 0, None), None)

        async with opened(db_path) as store:
            jobs = {key: await store.get(int(key)) for key in (done, failed, running, waiting)}

        assert {key: job.state for key, job in jobs.items()} == {
            done: JobState.COMPLETED,
            failed: JobState.INCIDENT,
            running: JobState.ACTIVATED,
            waiting: JobState.ACTIVATABLE,
        }
        assert jobs[done].variables == {"n": 0, "result": "ok"}
        assert jobs[failed].error_message == "broken"
        assert jobs[running].deadline == activated[2].deadline
        history = jobs[done].history
        assert history is not None
        assert [entry.event for entry in history] == ["CREATED", "ACTIVATED", "COMPLETED"]

    async def test_a_leased_activation_survives_reopening(self, db_path: Path) -> None:
        async with opened(db_path) as store:
            (key,) = await store.create([JobSpec(type="t")])
            (job,) = await store.activate(activation("t", with_lease=True), request_timeout_ms=0)

        async with opened(db_path) as store:
            with pytest.raises(JobInWrongState):
                await store.complete(int(key), None, None)  # still leased: the token is needed
            await store.complete(int(key), None, job.lease_token)
            assert (await store.get(int(key))).state is JobState.COMPLETED

    async def test_keys_keep_increasing_after_reopening(self, db_path: Path) -> None:
        async with opened(db_path) as store:
            before = await store.create([JobSpec(type="t"), JobSpec(type="t")])

        async with opened(db_path) as store:
            after = await store.create([JobSpec(type="t")])
            listed, _ = await store.search(None, None, limit=10, after=None)

        assert int(after[0]) > max(int(key) for key in before)
        assert [job.job_key for job in listed] == [after[0], before[1], before[0]]

    async def test_acknowledged_jobs_are_committed_before_close(self, db_path: Path) -> None:
        async with opened(db_path) as writer:
            (key,) = await writer.create([JobSpec(type="t", variables={"x": 1})])
            # A second connection sees the job while the first is still open: it is committed.
            async with opened(db_path) as reader:
                assert (await reader.get(int(key))).variables == {"x": 1}


class TestRestartingTheBroker:
    async def test_jobs_survive_a_broker_restart(self, db_path: Path) -> None:
        async with broker_client(db_path) as api:
            completed = await api.create_job("charge-card", {"amount": 12})
            pending = await api.create_job("charge-card")
            await api.activate_jobs("charge-card", max_jobs=1, timeout_ms=60_000)
            await api.complete_job(completed, {"paid": True})

        async with broker_client(db_path) as api:
            first = await api.get_job(completed)
            second = await api.get_job(pending)
            newer = await api.create_job("charge-card")
            jobs = await api.activate_jobs(
                "charge-card", max_jobs=5, timeout_ms=60_000, request_timeout_ms=-1
            )

        assert (first.state, first.variables) == (JobState.COMPLETED, {"amount": 12, "paid": True})
        assert second.state is JobState.ACTIVATABLE
        assert int(newer) > int(pending) > int(completed)
        assert [job.job_key for job in jobs] == [pending, newer]
