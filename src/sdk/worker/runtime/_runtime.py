"""``Runtime``: what every part of one worker run shares, passed as one value."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..._logging import Log
from ...client import AsyncClient
from ..observe import JobLog, JobTracing, WorkerMetrics
from ._link import ServerLink
from ._progress import ProgressSender
from ._reporter import Reporter


@dataclass(frozen=True)
class Runtime:
    """The pieces of one run that its poll loops and job runners share.

    Attributes:
        worker_name: Recorded on activated jobs.
        client: The server's client (the caller closes it).
        log: The worker's logger (each job type binds its own from it).
        metrics: The worker's counts.
        link: The server's reachability, told by every call.
        reporter: The queue every ended job's report goes through.
        job_log: Writes the lines of ended jobs.
        tracing: Job spans, or ``None`` without OpenTelemetry.
        state: What the lifespans yielded (``job.state``), or ``None``.
        progress: Sends handlers' progress reports, or ``None``: they are dropped.
    """

    worker_name: str
    client: AsyncClient
    log: Log
    metrics: WorkerMetrics
    link: ServerLink
    reporter: Reporter
    job_log: JobLog = field(default_factory=JobLog)
    tracing: JobTracing | None = None
    state: Mapping[str, Any] | None = None
    progress: ProgressSender | None = None
