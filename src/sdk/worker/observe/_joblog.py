"""The log lines of ended jobs: one per job (``each``, the default) or a summary (``summary``).

A written per-job INFO line costs the worker ~20 µs of CPU (loguru's formatting and the
write), a third of everything else a no-op job costs in batch mode (docs/performance.md).
``summary`` logs one INFO line per job type every ``SUMMARY_INTERVAL_S`` in which jobs ended
instead, and the per-job lines at DEBUG. Failures are logged one by one (WARNING) either way.
"""

from __future__ import annotations

import time
from collections import Counter
from enum import Enum

import anyio

from ..._logging import Log
from ...models import ActivatedJob
from .._outcome import Complete, Fail, Outcome, retries_left

SUMMARY_INTERVAL_S = 10.0


class JobLogMode(str, Enum):
    EACH = "each"
    SUMMARY = "summary"


class JobLog:
    """Writes the lines of ended jobs for one worker; ``run`` is its task in summary mode."""

    def __init__(self, mode: JobLogMode | str = JobLogMode.EACH) -> None:
        self.mode = JobLogMode(mode)
        self._summary = self.mode is JobLogMode.SUMMARY
        self._counts: Counter[tuple[str, str]] = Counter()
        self._logs: dict[str, Log] = {}
        self._since = time.monotonic()

    def ended(self, log: Log, job: ActivatedJob, outcome: Outcome, elapsed_s: float) -> None:
        """``job`` ended with ``outcome`` (the server took it); ``log`` is its type's logger."""
        if isinstance(outcome, Fail):
            first_line = outcome.message.splitlines()[0] if outcome.message else ""
            log.bind(job_key=job.job_key).warning(
                "✗ {} {} failed in {:.0f}ms ({} retries left): {}",
                job.type,
                job.job_key,
                elapsed_s * 1000,
                retries_left(job, outcome),
                first_line,
            )
            kind = "failed"
        elif isinstance(outcome, Complete):
            ms = elapsed_s * 1000
            self._line(log, job, "✓ {} {} completed in {:.0f}ms", job.type, job.job_key, ms)
            kind = "completed"
        else:
            message = "⚑ {} {} threw error {} in {:.0f}ms"
            self._line(log, job, message, job.type, job.job_key, outcome.code, elapsed_s * 1000)
            kind = "threw an error"
        if self._summary:
            self._counts[job.type, kind] += 1
            self._logs.setdefault(job.type, log)

    async def run(self) -> None:
        """Log a summary every ``SUMMARY_INTERVAL_S`` until cancelled, and a last one then."""
        if not self._summary:
            return
        try:
            while True:
                await anyio.sleep(SUMMARY_INTERVAL_S)
                self.flush()
        finally:
            self.flush()

    def flush(self) -> None:
        """One line per job type with jobs ended since the last one."""
        now = time.monotonic()
        counts, self._counts = self._counts, Counter()
        for job_type, log in self._logs.items():
            parts = [
                f"{counts[job_type, kind]} {kind}"
                for kind in ("completed", "failed", "threw an error")
                if counts[job_type, kind]
            ]
            if parts:
                took_s = now - self._since
                log.info("{}: {} in the last {:.0f}s", job_type, ", ".join(parts), took_s)
        self._since = now

    def _line(self, log: Log, job: ActivatedJob, message: str, *args: object) -> None:
        bound = log.bind(job_key=job.job_key)
        if self._summary:
            bound.debug(message, *args)
        else:
            bound.info(message, *args)
