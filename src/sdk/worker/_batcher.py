"""Job outcomes sent in batches, over the broker's ``jobs.report-batch`` extension.

Used only when the server advertised the extension (``GET /v2/ext/capabilities``); a real
Camunda cluster gets exact per-job calls. Batching is natural, not timed: while one batch
request is in flight, the outcomes that finish meanwhile queue up and go out together in the
next one, so a lone job waits for no timer and a busy worker sends few, large requests. Each
outcome still gets its own answer, raised as the per-job call's error would be, so the
reporter's retry and "no longer ours" logic applies unchanged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import anyio

from ..errors import ConnectionError, SdkError, error_class_for
from ..models import ProblemDetail
from ..models._batch import JobReport, JobReportResult

MAX_BATCH = 500
BATCH_EXTENSION = "jobs.report-batch"

SendBatch = Callable[[Sequence[JobReport]], Awaitable[list[JobReportResult]]]


class _Pending:
    __slots__ = ("done", "error", "report")

    def __init__(self, report: JobReport) -> None:
        self.report = report
        self.done = anyio.Event()
        self.error: Exception | None = None

    def settle(self, result: JobReportResult) -> None:
        if result.status >= 300:
            problem = ProblemDetail(
                title=result.title or "", status=result.status, detail=result.detail or ""
            )
            self.error = error_class_for(result.status)(result.status, problem)
        self.done.set()

    def fail(self, error: Exception) -> None:
        self.error = error
        self.done.set()


class ReportBatcher:
    """Queues reports and sends them in batches from ``run()`` (a task the worker owns)."""

    def __init__(self, send_batch: SendBatch, *, max_batch: int = MAX_BATCH) -> None:
        self._send_batch = send_batch
        self._max_batch = max_batch
        self._queue: list[_Pending] = []
        self._wake = anyio.Event()
        self._open = False

    @property
    def open(self) -> bool:
        """Whether ``run`` is sending; callers send per job when it is not."""
        return self._open

    async def submit(self, report: JobReport) -> None:
        """Send ``report`` with the next batch; raise what its per-job call would raise."""
        if not self._open:
            raise ConnectionError("the report batcher is not running")
        item = _Pending(report)
        self._queue.append(item)
        self._wake.set()
        await item.done.wait()
        if item.error is not None:
            raise item.error

    async def run(self) -> None:
        """Send queued reports until cancelled; what is still queued then fails over."""
        self._open = True
        try:
            while True:
                if not self._queue:
                    self._wake = anyio.Event()
                    await self._wake.wait()
                batch, self._queue = self._queue[: self._max_batch], self._queue[self._max_batch :]
                with anyio.CancelScope(shield=True):  # a batch in flight gets its answers
                    await self._flush(batch)
        finally:
            self._open = False
            closing = ConnectionError("the worker stopped before the report was sent")
            for item in self._queue:
                item.fail(closing)
            self._queue = []

    async def _flush(self, batch: list[_Pending]) -> None:
        try:
            results = await self._send_batch([item.report for item in batch])
        except SdkError as exc:  # the whole request failed: each report retries on its own
            for item in batch:
                item.fail(exc)
            return
        if len(results) != len(batch):
            mismatch = ConnectionError(
                f"the server answered {len(results)} results for {len(batch)} reports"
            )
            for item in batch:
                item.fail(mismatch)
            return
        for item, result in zip(batch, results, strict=True):
            item.settle(result)
