"""Job tasks that outlive their job: the next job goes to an idle one.

A new anyio task per job pays for a task handle, a cancel scope and an event on top of
asyncio's own task, at every job; waking an idle task that already exists pays for an event.
Tasks stay members of the poller's task group (cancelled with it, their errors its errors),
and each job still starts in the context the poller had: a job whose handler left a context
variable changed ends its task instead of handing the change to the next job.
"""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import anyio
from anyio.abc import TaskGroup

Job = TypeVar("Job")

KEEP_IDLE = 256
"""Idle tasks kept for the next jobs; one ending beyond that returns (a burst of many slots
leaves no crowd of idle tasks behind)."""


class _Idle(Generic[Job]):
    __slots__ = ("job", "wake")

    def __init__(self) -> None:
        self.job: Job | None = None
        self.wake = anyio.Event()


class JobTasks(Generic[Job]):
    """Runs each job ``start``-ed in a task of ``group``: an idle one when there is one."""

    def __init__(
        self,
        group: TaskGroup,
        run: Callable[[Job], Awaitable[None]],
        *,
        name: str,
        keep_idle: int = KEEP_IDLE,
    ) -> None:
        self._group = group
        self._run = run
        self._name = name
        self._keep_idle = keep_idle
        self._idle: list[_Idle[Job]] = []
        """Most recently idle last: the next job goes to the warmest task."""
        self._closed = False

    @property
    def idle(self) -> int:
        """Tasks waiting for a job."""
        return len(self._idle)

    def start(self, job: Job) -> None:
        """Run ``job`` now (it reaches its handler at the loop's next turn)."""
        if self._idle:
            waiting = self._idle.pop()
            waiting.job = job
            waiting.wake.set()
        else:
            self._group.start_soon(self._serve, job, contextvars.copy_context(), name=self._name)

    def close(self) -> None:
        """No more jobs: idle tasks return, busy ones once their job ends."""
        self._closed = True
        idle, self._idle = self._idle, []
        for waiting in idle:
            waiting.wake.set()

    async def _serve(self, job: Job, start: contextvars.Context) -> None:
        run, idle = self._run, self._idle
        next_job: Job | None = job
        while next_job is not None:
            await run(next_job)
            if self._closed or len(idle) >= self._keep_idle or contextvars.copy_context() != start:
                return
            waiting: _Idle[Job] = _Idle()
            idle.append(waiting)
            await waiting.wake.wait()
            next_job = waiting.job
