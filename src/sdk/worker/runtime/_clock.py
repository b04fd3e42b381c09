"""The event loop's clock, as ``anyio.current_time()`` reads it, without a running-loop
lookup per read: on CPython 3.11 each lookup is a ``getpid`` syscall, and the worker reads
the clock for every job it runs and reports."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class LoopClock:
    """Seconds on the running loop's clock; the loop is looked up at the first read, so an
    instance belongs to the run (one event loop) that first reads it."""

    __slots__ = ("_time",)

    def __init__(self) -> None:
        self._time: Callable[[], float] | None = None

    def __call__(self) -> float:
        read = self._time
        if read is None:
            read = self._time = asyncio.get_running_loop().time
        return read()
