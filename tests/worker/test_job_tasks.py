"""Job tasks outlive their job: reuse, bounds, context isolation, close and cancellation."""

from __future__ import annotations

import asyncio
import contextvars
from functools import partial

import anyio
import pytest
from anyio.abc import TaskGroup

from sdk.client import AsyncClient
from sdk.models import JobKey, JobState
from sdk.testing import running, wait_until
from sdk.worker import JobContext, Worker
from sdk.worker.runtime._job_tasks import JobTasks

pytestmark = pytest.mark.anyio

MARK: contextvars.ContextVar[str] = contextvars.ContextVar("mark", default="clean")


class Recorder:
    """A ``run`` for ``JobTasks``: notes the task of each job, holds jobs while asked to."""

    def __init__(self) -> None:
        self.tasks: dict[int, object] = {}
        """The task of each job (held: an ended task's id may be reused by the next one)."""
        self.marks: dict[int, str] = {}
        self.release = anyio.Event()
        self.hold = False
        self.done = 0

    async def __call__(self, job: int) -> None:
        self.tasks[job] = asyncio.current_task()
        self.marks[job] = MARK.get()
        if self.hold:
            await self.release.wait()
        if job < 0:
            raise ValueError(f"job {job} failed")
        if job >= 100:
            MARK.set(f"set by {job}")
        elif job >= 50:
            MARK.reset(MARK.set("undone"))
        self.done += 1


def done(recorder: Recorder, count: int) -> bool:
    return recorder.done >= count


def started(recorder: Recorder, count: int) -> bool:
    return len(recorder.tasks) >= count


async def one_idle_two_busy(group: TaskGroup, recorder: Recorder) -> JobTasks[int]:
    """Job 1 run and its task idle, then jobs 2 and 3 held in two more."""
    tasks = JobTasks(group, recorder, name="job t")
    tasks.start(1)
    await wait_until(partial(done, recorder, 1))
    recorder.hold = True
    tasks.start(2)
    tasks.start(3)
    await wait_until(partial(started, recorder, 3))
    return tasks


class TestJobTasks:
    async def test_the_next_job_goes_to_the_idle_task(self) -> None:
        recorder = Recorder()
        async with anyio.create_task_group() as group:
            tasks = JobTasks(group, recorder, name="job t")
            for job in range(1, 4):
                tasks.start(job)
                await wait_until(partial(done, recorder, job))
            assert tasks.idle == 1
            tasks.close()
        assert len({id(task) for task in recorder.tasks.values()}) == 1

    async def test_jobs_at_once_run_in_tasks_of_their_own(self) -> None:
        recorder = Recorder()
        recorder.hold = True
        async with anyio.create_task_group() as group:
            tasks = JobTasks(group, recorder, name="job t")
            for job in range(1, 5):
                tasks.start(job)
            await wait_until(partial(started, recorder, 4))
            assert tasks.idle == 0
            recorder.release.set()
            await wait_until(partial(done, recorder, 4))
            assert tasks.idle == 4
            tasks.close()
        assert len({id(task) for task in recorder.tasks.values()}) == 4

    async def test_idle_tasks_beyond_the_bound_return(self) -> None:
        recorder = Recorder()
        recorder.hold = True
        async with anyio.create_task_group() as group:
            tasks = JobTasks(group, recorder, name="job t", keep_idle=2)
            for job in range(1, 6):
                tasks.start(job)
            recorder.release.set()
            await wait_until(partial(done, recorder, 5))
            assert tasks.idle == 2
            tasks.close()

    async def test_a_job_that_leaves_a_context_variable_set_ends_its_task(self) -> None:
        recorder = Recorder()
        async with anyio.create_task_group() as group:
            tasks = JobTasks(group, recorder, name="job t")
            for count, job in enumerate([1, 50, 2, 100, 3], start=1):
                tasks.start(job)
                await wait_until(partial(done, recorder, count))
            tasks.close()
        # a set-and-reset keeps the task; a variable left set ends it
        assert recorder.tasks[1] is recorder.tasks[50] is recorder.tasks[2] is recorder.tasks[100]
        assert recorder.tasks[3] is not recorder.tasks[100]
        assert set(recorder.marks.values()) == {"clean"}

    async def test_close_ends_idle_tasks_at_once_and_busy_ones_after_their_job(self) -> None:
        recorder = Recorder()
        with anyio.fail_after(5):
            async with anyio.create_task_group() as group:
                tasks = await one_idle_two_busy(group, recorder)
                tasks.close()
                assert tasks.idle == 0
                recorder.release.set()
        assert recorder.done == 3

    async def test_cancelling_the_group_ends_idle_and_busy_tasks(self) -> None:
        recorder = Recorder()
        with anyio.fail_after(5):
            async with anyio.create_task_group() as group:
                await one_idle_two_busy(group, recorder)
                group.cancel_scope.cancel()
        assert recorder.done == 1

    async def test_a_job_error_is_the_group_s_error(self) -> None:
        recorder = Recorder()
        with pytest.raises(Exception) as caught:
            async with anyio.create_task_group() as group:
                tasks = JobTasks(group, recorder, name="job t")
                tasks.start(1)
                await wait_until(partial(done, recorder, 1))
                tasks.start(-1)
                await anyio.sleep_forever()
        assert caught.group_contains(ValueError, match="^job -1 failed$")


async def marked(ctx: JobContext) -> dict[str, object]:
    """Reports the mark it found, then leaves its own set."""
    seen = MARK.get()
    MARK.set(f"job {ctx.job_key}")
    return {"seen": seen}


async def task_id(ctx: JobContext) -> dict[str, object]:
    return {"task": anyio.get_current_task().id}


class TestWorkerJobTasks:
    async def test_a_handler_s_context_variable_does_not_reach_the_next_job(
        self, sdk_client: AsyncClient
    ) -> None:
        keys = [await sdk_client.create_job("marked") for _ in range(4)]
        worker = Worker("w", request_timeout_ms=2_000)
        worker.task("marked", max_jobs=1)(marked)
        async with running(worker, sdk_client):
            for key in keys:
                await wait_until(partial(_ended, sdk_client, key))
        seen = [(await sdk_client.get_job(key)).variables["seen"] for key in keys]
        assert seen == ["clean"] * 4

    async def test_one_slot_runs_its_jobs_in_one_task(self, sdk_client: AsyncClient) -> None:
        keys = [await sdk_client.create_job("task-id") for _ in range(4)]
        worker = Worker("w", request_timeout_ms=2_000)
        worker.task("task-id", max_jobs=1)(task_id)
        async with running(worker, sdk_client):
            for key in keys:
                await wait_until(partial(_ended, sdk_client, key))
        tasks = {(await sdk_client.get_job(key)).variables["task"] for key in keys}
        assert len(tasks) == 1


async def _ended(client: AsyncClient, key: JobKey) -> bool:
    return (await client.get_job(key)).state is JobState.COMPLETED
