"""A service's event loop ends without waiting for a default-executor thread still blocked
(a name lookup of a host going away): ``sdk._service``."""

from __future__ import annotations

import asyncio
import threading
import time

from sdk import _service


async def _leave_a_blocked_lookup(release: threading.Event) -> str:
    loop = asyncio.get_running_loop()
    loop.run_in_executor(None, release.wait)  # as getaddrinfo runs: on the default executor
    await asyncio.sleep(0)
    return "stopped"


def test_run_returns_while_a_default_executor_thread_is_still_blocked() -> None:
    release = threading.Event()
    unblock = threading.Timer(10, release.set)  # without the fix, ``run`` returns only then
    unblock.daemon = True
    unblock.start()
    try:
        started = time.monotonic()
        assert _service.run(_leave_a_blocked_lookup, release) == "stopped"
        assert time.monotonic() - started < 5  # asyncio.run alone would wait for the thread
        assert "sdk-loop_0" in _names(_service.stuck_threads())
    finally:
        release.set()
        unblock.cancel()
    assert "sdk-loop_0" not in _names(_service.stuck_threads())


def _names(threads: list[threading.Thread]) -> list[str]:
    return [t.name for t in threads]
