"""The SQLite connection's owner thread: calls run there, one at a time, in order."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import anyio
import pytest

from sdk.broker import JobStore
from sdk.broker.store.sqlite import ThreadedStore
from sdk.broker.store.sqlite._owner import OwnerThread
from sdk.models import JobSpec, JobState

pytestmark = pytest.mark.anyio


async def test_every_store_call_runs_in_one_thread_off_the_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = JobStore(tmp_path / "jobs.db")
    backend = store._backend
    assert isinstance(backend, ThreadedStore)
    jobs = backend._jobs
    seen: set[int] = set()
    run_group, get = jobs.run_group, jobs.get

    def recorded_group(*args: Any) -> Any:
        seen.add(threading.get_ident())
        return run_group(*args)

    def recorded_get(*args: Any) -> Any:
        seen.add(threading.get_ident())
        return get(*args)

    monkeypatch.setattr(jobs, "run_group", recorded_group)
    monkeypatch.setattr(jobs, "get", recorded_get)
    keys: list[Any] = []

    async def create() -> None:
        keys.extend(await store.create([JobSpec(type="t")]))

    async with anyio.create_task_group() as tg:
        for _ in range(40):
            tg.start_soon(create)
    jobs_read = [await store.get(key) for key in keys]
    await store.aclose()
    assert len(set(keys)) == 40
    assert {job.state for job in jobs_read} == {JobState.ACTIVATABLE}
    assert len(seen) == 1
    assert threading.get_ident() not in seen


async def test_an_error_reaches_its_caller_and_the_next_call_still_runs() -> None:
    owner = OwnerThread("test owner")
    with pytest.raises(ZeroDivisionError):
        await owner.run(lambda: 1 // 0)
    assert await owner.run(lambda: 2) == 2
    await owner.stop()


async def test_a_cancelled_caller_leaves_its_call_running_to_its_end_in_order() -> None:
    owner = OwnerThread("test owner")
    release = threading.Event()
    order: list[str] = []

    def slow() -> str:
        release.wait(30)
        order.append("slow")
        return "slow"

    with anyio.move_on_after(0.05) as scope:
        await owner.run(slow)
    assert scope.cancelled_caught
    release.set()

    def after() -> str:
        order.append("next")
        return "next"

    assert await owner.run(after) == "next"
    assert order == ["slow", "next"]
    await owner.stop()


async def test_stop_ends_the_thread_after_the_calls_made() -> None:
    owner = OwnerThread("owner to stop")
    assert await owner.run(threading.current_thread) is not threading.current_thread()
    assert any(t.name == "owner to stop" for t in threading.enumerate())
    await owner.stop()
    assert not any(t.name == "owner to stop" for t in threading.enumerate())
