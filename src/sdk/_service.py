"""Running a long-lived service (the broker, a worker) so that it ends when it has stopped.

asyncio runs name lookups (``getaddrinfo``) on the event loop's default executor and, when
the loop closes, waits for every thread of that executor. A lookup of a host going away at
the same moment (a whole stack stopping: the database, the broker and the workers at once)
can block for as long as the resolver's retries last, holding a service that has already
stopped past its container's stop grace period, to be killed there. Once the service has
stopped, nothing such a thread does matters: the loop is handed an unused executor to wait
for, and the process ends without joining the old one's threads.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import anyio
from loguru import logger

T = TypeVar("T")

THREAD_EXIT_WAIT_S = 0.5
"""How long the other threads together get to end (idle pool threads end at once)."""


def run(
    func: Callable[..., Awaitable[T]],
    *args: Any,
    backend_options: dict[str, Any] | None = None,
) -> T:
    """``anyio.run(func, *args)``, without waiting at the end for name lookups still running."""

    async def main() -> T:
        loop = asyncio.get_running_loop()
        executor = ThreadPoolExecutor(thread_name_prefix="sdk-loop")
        loop.set_default_executor(executor)
        try:
            return await func(*args)
        finally:
            loop.set_default_executor(ThreadPoolExecutor(max_workers=1))  # nothing to join
            executor.shutdown(wait=False, cancel_futures=True)

    return anyio.run(main, backend_options=backend_options)


def stuck_threads() -> list[threading.Thread]:
    """The threads still running once the others had ``THREAD_EXIT_WAIT_S`` to end, which a
    normal exit would wait for however long they take."""
    others = [t for t in threading.enumerate() if t is not threading.current_thread()]
    for thread in others:
        thread.join(THREAD_EXIT_WAIT_S / max(len(others), 1))
    return [t for t in others if t.is_alive() and not t.daemon]


def exit_now(code: int) -> None:
    """End the process with ``code`` after flushing the logs, without joining any thread."""
    logger.complete()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
