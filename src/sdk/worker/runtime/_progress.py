"""Sends what handlers report of their progress (``job.report_progress``), coalesced.

Each job sends at most one report per ``INTERVAL_S``: a report made sooner waits, and a later
one replaces it (the latest wins; the last is sent once its turn comes, not dropped). Reports
come from the event loop (async handlers) or from other threads (thread handlers, and the
threads that read process children's pipes); one loop of the worker sends them all. A server
without the extension (a real Camunda) is sent nothing, which is logged once at debug level.
"""

from __future__ import annotations

import math
import threading
import time

import anyio
import anyio.from_thread
import anyio.lowlevel

from ..._logging import Log
from ...client import AsyncClient
from ...errors import ApiError, SdkError

INTERVAL_S = 1.0
"""Shortest time between two progress reports of one job."""
PROGRESS_EXTENSION = "jobs.progress"


class ProgressSender:
    """The worker's progress reports, sent by ``run`` (owned by the worker's task group)."""

    def __init__(self, client: AsyncClient, log: Log) -> None:
        self._client = client
        self._log = log
        self._lock = threading.Lock()
        self._latest: dict[str, tuple[float, str]] = {}
        """Reports not sent yet, by job key: only the latest of each job."""
        self._turn_at: dict[str, float] = {}
        """When each running job may send again (monotonic seconds)."""
        self._wake = anyio.Event()
        self._token: anyio.lowlevel.EventLoopToken | None = None
        self._loop_thread: int | None = None
        self._supported: bool | None = None

    def offer(self, job_key: str, fraction: float, message: str) -> None:
        """Keep the job's latest report and wake the sender; any thread may call it."""
        if self._supported is False:
            return
        with self._lock:
            self._latest[job_key] = (fraction, message)
        if self._token is None or threading.get_ident() == self._loop_thread:
            self._wake.set()
            return
        try:
            anyio.from_thread.run_sync(self._set_wake, token=self._token)
        except RuntimeError:  # the loop is gone (shutting down): nothing more is sent
            pass

    def _set_wake(self) -> None:
        self._wake.set()  # the current event, read on the loop

    @property
    def idle(self) -> bool:
        """Whether no report waits to be sent."""
        with self._lock:
            return not self._latest

    def ended(self, job_key: str) -> None:
        """The job's handler returned: what it has not sent yet is moot."""
        with self._lock:
            self._latest.pop(job_key, None)
            self._turn_at.pop(job_key, None)

    async def run(self) -> None:
        """Until cancelled: send each job's latest report when its turn comes."""
        self._token = anyio.lowlevel.current_token()
        self._loop_thread = threading.get_ident()
        while True:
            self._wake = anyio.Event()
            due, wait_s = self._due(time.monotonic())
            for job_key, (fraction, message) in due:
                await self._send(job_key, fraction, message)
            if due:
                continue
            with anyio.move_on_after(wait_s):
                await self._wake.wait()

    def _due(self, now: float) -> tuple[list[tuple[str, tuple[float, str]]], float]:
        """Reports whose turn has come (taken), and how long until the next one's."""
        due: list[tuple[str, tuple[float, str]]] = []
        wait_s = math.inf
        with self._lock:
            for job_key in list(self._latest):
                turn_at = self._turn_at.get(job_key, now)
                if turn_at <= now:
                    due.append((job_key, self._latest.pop(job_key)))
                    self._turn_at[job_key] = now + INTERVAL_S
                else:
                    wait_s = min(wait_s, turn_at - now)
        return due, wait_s

    async def _send(self, job_key: str, fraction: float, message: str) -> None:
        if not await self._server_keeps_progress():
            return
        try:
            await self._client.report_job_progress(job_key, fraction, message)
        except ApiError as exc:  # e.g. 409: the job ended meanwhile, or is someone else's
            self._log.bind(job_key=job_key).debug("progress of {} not kept: {}", job_key, exc)
        except SdkError as exc:
            self._log.bind(job_key=job_key).debug("progress of {} not sent: {}", job_key, exc)

    async def _server_keeps_progress(self) -> bool:
        """Whether the server offers the extension (asked once; again after a failed ask)."""
        if self._supported is None:
            try:
                capabilities = await self._client.capabilities()
            except SdkError as exc:
                self._log.debug("progress not sent: no extension discovery ({})", exc)
                return False
            self._supported = (
                capabilities is not None and PROGRESS_EXTENSION in capabilities.extensions
            )
            if not self._supported:
                self._log.debug(
                    "{} does not keep job progress; job.report_progress sends nothing",
                    self._client.base_url,
                )
        return self._supported
