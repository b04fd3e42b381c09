"""Whether the server answers, as one worker sees it across all its poll loops.

Poll loops report each call's result here; the state changes (up → down → up) are logged
once each, however many polls fail in between. When no call has succeeded for a while (every
slot busy, so nothing polls) a cheap topology probe keeps the answer fresh for ``/readyz``.
"""

from __future__ import annotations

import time
from enum import Enum

import anyio

from ..._logging import Log
from ...client import AsyncClient
from ...errors import BackpressureError, SdkError
from ..observe import WorkerMetrics

PROBE_INTERVAL_S = 30.0
"""Probe the server when nothing reached it for this long (a long poll answers sooner)."""


class LinkState(str, Enum):
    UNKNOWN = "unknown"
    UP = "up"
    DOWN = "down"


class ServerLink:
    """The server's reachability: ``ok()`` and ``failed()`` after each call, ``state`` to read."""

    def __init__(self, log: Log, metrics: WorkerMetrics) -> None:
        self._log = log
        self._metrics = metrics
        self.state = LinkState.UNKNOWN
        self._last_ok: float | None = None
        self._down_since = 0.0
        self._failures = 0

    def reset(self) -> None:
        self.state = LinkState.UNKNOWN
        self._last_ok = None

    def ok(self) -> None:
        self._last_ok = time.monotonic()
        if self.state is LinkState.DOWN:
            self._log.info(
                "✓ server recovered after {:.1f}s ({} failed call(s))",
                self._last_ok - self._down_since,
                self._failures,
            )
        self.state = LinkState.UP
        self._metrics.server_up.set(1)

    def failed(self, exc: Exception) -> None:
        if self.state is not LinkState.DOWN:
            self.state = LinkState.DOWN
            self._down_since = time.monotonic()
            self._failures = 0
            kind = "server busy" if isinstance(exc, BackpressureError) else "server down"
            self._log.error(
                "✗ {} ({}); retrying with back-off, next line when it recovers", kind, exc
            )
        self._failures += 1
        self._metrics.server_up.set(0)

    def readiness(self) -> tuple[bool, str]:
        if self.state is LinkState.UP:
            return True, "ready"
        if self.state is LinkState.DOWN:
            return False, "server unreachable"
        return False, "server not reached yet"

    async def watch(self, client: AsyncClient, interval_s: float = PROBE_INTERVAL_S) -> None:
        """Probe the server whenever no call reached it for ``interval_s``; runs until cancelled."""
        while True:
            quiet_s = interval_s if self._last_ok is None else time.monotonic() - self._last_ok
            if quiet_s >= interval_s:
                try:
                    await client.topology()
                except (SdkError, ValueError) as exc:  # a probe never ends the worker
                    self.failed(exc)
                else:
                    self.ok()
                quiet_s = 0.0
            await anyio.sleep(interval_s - quiet_s)
