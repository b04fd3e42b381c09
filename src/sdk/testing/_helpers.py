"""Test helpers that need no pytest: condition waits and a worker running in the background."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any, TypeVar, overload

import anyio

from ..client import AsyncClient
from ..models import Job, JobState
from ..worker import Worker

T = TypeVar("T")

DEFAULT_WAIT_S = 15.0

ENDED = frozenset({JobState.COMPLETED, JobState.ERROR_THROWN, JobState.INCIDENT, JobState.CANCELED})


@overload
async def wait_until(
    condition: Callable[[], Awaitable[T | None]],
    *,
    timeout_s: float = ...,
    interval_s: float = ...,
    message: str = ...,
) -> T: ...


@overload
async def wait_until(
    condition: Callable[[], T | None],
    *,
    timeout_s: float = ...,
    interval_s: float = ...,
    message: str = ...,
) -> T: ...


async def wait_until(
    condition: Callable[[], Any],
    *,
    timeout_s: float = DEFAULT_WAIT_S,
    interval_s: float = 0.01,
    message: str = "condition",
) -> Any:
    """Return ``condition()``'s first truthy value; ``TimeoutError`` after ``timeout_s``.

    ``condition`` may be a plain or an async callable.
    """
    last: Any = None
    with anyio.move_on_after(timeout_s):
        while True:
            value = condition()
            last = await value if inspect.isawaitable(value) else value
            if last:
                return last
            await anyio.sleep(interval_s)
    raise TimeoutError(f"{message} still false after {timeout_s}s (last value: {last!r})")


@asynccontextmanager
async def running(worker: Worker, client: AsyncClient) -> AsyncIterator[Worker]:
    """Run ``worker`` in the background for the ``async with`` block, then drain it."""
    async with anyio.create_task_group() as tg:
        tg.start_soon(worker.run, client)
        try:
            yield worker
        finally:
            worker.stop()


async def run_worker_until(
    worker: Worker,
    client: AsyncClient,
    condition: Callable[[], Any],
    *,
    timeout_s: float = DEFAULT_WAIT_S,
) -> Any:
    """Run ``worker`` until ``condition()`` holds (at most ``timeout_s``), then stop it."""
    async with running(worker, client):
        return await wait_until(condition, timeout_s=timeout_s)


async def run_job(
    worker: Worker,
    client: AsyncClient,
    job_type: str,
    variables: Mapping[str, Any] | None = None,
    *,
    retries: int = 1,
    timeout_s: float = DEFAULT_WAIT_S,
) -> Job:
    """Create one job, run ``worker`` until that job ends, and return it with its history.

    The test of a handler in one line: ``job = await run_job(worker, sdk_client, "greet",
    {"name": "Ada"})``, then assert on ``job.state``, ``job.variables``, ``job.error_code``
    or ``job.error_message``. ``retries`` defaults to 1, so a handler that raises ends the
    job as an ``INCIDENT`` at once instead of being retried with back-off.

    Raises:
        TimeoutError: the job did not end within ``timeout_s``.
    """
    key = await client.create_job(job_type, variables, retries=retries)

    async def ended() -> Job | None:
        job = await client.get_job(key)
        return job if job.state in ENDED else None

    job: Job = await run_worker_until(worker, client, ended, timeout_s=timeout_s)
    return job
