"""The one thread that owns the SQLite connection.

Calls run there one at a time, in the order they were made; each answer comes back to the
event loop with a single ``call_soon_threadsafe``. A generic worker-thread call (a capacity
limiter, cancel scopes, a clock read, several running-loop lookups) costs many syscalls per
hand-off on CPython 3.11, where each running-loop lookup is a ``getpid``; this costs one
lookup and one wake-up.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import anyio.to_thread

T = TypeVar("T")

_Call = tuple[Callable[[], Any], asyncio.AbstractEventLoop, "asyncio.Future[Any]"]


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.done():  # the caller was cancelled and stopped waiting
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


class OwnerThread:
    """A daemon thread started on first use that runs calls in order until ``stop``."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._calls: queue.SimpleQueue[_Call | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    async def run(self, call: Callable[[], T]) -> T:
        """``call()`` in the owner thread. It always runs to its end; a caller cancelled
        meanwhile stops waiting (callers whose outcome others depend on shield the wait)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._serve, name=self._name, daemon=True)
            self._thread.start()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._calls.put((call, loop, future))
        return await future

    async def stop(self) -> None:
        """End the thread once the calls already made are done."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._calls.put(None)
            with anyio.CancelScope(shield=True):  # the connection closes only after it
                await anyio.to_thread.run_sync(thread.join)

    def _serve(self) -> None:
        while (item := self._calls.get()) is not None:
            call, loop, future = item
            try:
                outcome: tuple[bool, Any] = (True, call())
            except BaseException as exc:  # handed to the caller, as a worker thread would
                outcome = (False, exc)
            try:
                loop.call_soon_threadsafe(_settle, future, *outcome)
            except RuntimeError:  # the caller's loop is closed: nobody waits for the answer
                pass
