"""Group commit: concurrent writes share transactions, yet each is isolated and durable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest

from sdk.broker import JobStore
from sdk.broker._problems import JobNotFound
from sdk.broker.store import Activation
from sdk.broker.store.sqlite import ThreadedStore
from sdk.models import JobSpec, JobState
from sdk.testing import wait_until

pytestmark = pytest.mark.anyio


@pytest.fixture
def store(tmp_path: Path) -> JobStore:
    return JobStore(tmp_path / "jobs.db")


def count_groups(store: JobStore, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Sizes of the groups the store commits (one entry per transaction)."""
    sizes: list[int] = []
    assert isinstance(store._backend, ThreadedStore)
    jobs = store._backend._jobs
    original = jobs.run_group

    def counting(ops: Any) -> list[tuple[bool, Any]]:
        sizes.append(len(ops))
        return original(ops)

    monkeypatch.setattr(jobs, "run_group", counting)
    return sizes


async def activate_all(store: JobStore, count: int) -> list[int]:
    query = Activation(job_type="t", worker="w", timeout_ms=60_000, max_jobs=count)
    return [int(job.job_key) for job in await store.activate(query, -1)]


async def test_concurrent_writes_share_commits(
    store: JobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    await store.create([JobSpec(type="t")] * 200)
    keys = await activate_all(store, 200)
    sizes = count_groups(store, monkeypatch)
    async with anyio.create_task_group() as tg:
        for key in keys:
            tg.start_soon(store.complete, key, {"done": True}, None)
    assert sum(sizes) == 200
    assert len(sizes) < 200 / 4, sizes  # batched, not one transaction per write
    reopened = JobStore(store.path)
    for key in keys:
        assert (await reopened.get(key)).state is JobState.COMPLETED
    await reopened.aclose()


async def test_a_failing_write_does_not_undo_its_group(
    store: JobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    await store.create([JobSpec(type="t")] * 20)
    keys = await activate_all(store, 20)
    sizes = count_groups(store, monkeypatch)
    errors: list[Exception] = []

    async def complete(key: int) -> None:
        try:
            await store.complete(key, None, None)
        except JobNotFound as exc:
            errors.append(exc)

    async with anyio.create_task_group() as tg:
        for n, key in enumerate(keys):
            tg.start_soon(complete, key)
            if n % 5 == 0:
                tg.start_soon(complete, 1)  # no such job: 404 inside the same group
    assert len(errors) == 4
    assert max(sizes) > 1
    for key in keys:
        assert (await store.get(key)).state is JobState.COMPLETED


async def test_writers_cancelled_while_queued_do_not_stall_the_others(store: JobStore) -> None:
    created: list[int] = []

    async def create() -> None:
        (key,) = await store.create([JobSpec(type="t")])
        created.append(int(key))

    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            async with anyio.create_task_group() as doomed:
                for _ in range(50):
                    doomed.start_soon(create)
                await anyio.lowlevel.checkpoint()
                doomed.cancel_scope.cancel()
            for _ in range(50):
                tg.start_soon(create)
    assert len(created) >= 50
    page, _ = await store.search("t", None, 1000, None)
    # a write already in a committing group lands even if its caller was cancelled
    assert set(created) <= {int(j.job_key) for j in page}


async def test_a_waiting_poll_takes_its_job_in_the_commit_that_creates_it(
    store: JobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    sizes = count_groups(store, monkeypatch)
    query = Activation(job_type="t", worker="w", timeout_ms=60_000, max_jobs=1)
    taken: list[str] = []

    async def poll() -> None:
        taken.extend(job.job_key for job in await store.activate(query, 10_000))

    async with anyio.create_task_group() as tg:
        tg.start_soon(poll)
        await wait_until(lambda: sizes, interval_s=0.001)  # its first look found nothing
        keys = await store.create([JobSpec(type="t")])
    assert taken == keys
    assert sizes == [1, 2]  # the empty look, then one commit for the creation and activation
    assert (await store.get(int(keys[0]))).state is JobState.ACTIVATED
