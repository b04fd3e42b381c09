"""Jobs that a dead worker process still held, handed back by its supervisor at once.

A child that was SIGKILLed (it outlived its drain) or died by itself reports nothing more:
its activated jobs would wait out their lease (5 minutes by default) before another worker
may take them. The supervisor finds them by the child's worker name through the broker's
job search (``jobs.search``; a server without it, such as a real Camunda, leaves them to their
lease) and fails each with no back-off: retries unchanged for a child killed at a drain (as a
worker hands back its own running jobs at shutdown), retries - 1 for a child that died by
itself, since one of its jobs may be what kills it: a job that keeps killing workers ends as
an incident instead of looping.
"""

from __future__ import annotations

import anyio

from ..._logging import Log
from ...client import AsyncClient
from ...errors import ApiError, ConflictError, NotFoundError, SdkError
from ...models import JobState

SEARCH_EXTENSION = "jobs.search"
TIMEOUT_S = 30.0
"""The whole hand-back of one child; what is left then waits for its lease."""
PAGE_SIZE = 1000


class JobReclaimer:
    """Hands back the activated jobs of a worker name (``ProcessGroup``'s ``hand_back``)."""

    def __init__(self, client: AsyncClient, log: Log) -> None:
        self._client = client
        self._log = log
        self._searchable: bool | None = None

    async def __call__(self, worker_name: str, what: str, lose_retry: bool) -> None:
        message = f"worker process {worker_name} {what}"
        handed = 0
        try:
            with anyio.move_on_after(TIMEOUT_S) as scope:
                if not await self._can_search():
                    self._log.warning(
                        "{}; the server cannot list its jobs (no {} extension): they are"
                        " taken again when their lease ends",
                        message,
                        SEARCH_EXTENSION,
                    )
                    return
                held = [
                    job
                    async for job in self._client.iterate_jobs(
                        state=JobState.ACTIVATED, page_size=PAGE_SIZE
                    )
                    if job.worker == worker_name
                ]
                for job in held:
                    retries = max(job.retries - 1, 0) if lose_retry else job.retries
                    try:
                        await self._client.fail_job(
                            job.job_key, retries=retries, error_message=message
                        )
                    except (NotFoundError, ConflictError):
                        continue  # it ended, or its lease ran out, meanwhile
                    handed += 1
        except SdkError as exc:
            self._log.warning(
                "{}; handing back its jobs failed ({}): they are taken again when their lease ends",
                message,
                exc,
            )
            return
        if scope.cancelled_caught:
            self._log.warning("{}; handing back its jobs took over {:g}s", message, TIMEOUT_S)
        how = "retries - 1" if lose_retry else "retries unchanged"
        self._log.info("{}; handed back {} job(s) it held ({})", message, handed, how)

    async def _can_search(self) -> bool:
        if self._searchable is None:
            try:
                capabilities = await self._client.capabilities()
            except ApiError:
                capabilities = None
            self._searchable = capabilities is not None and (
                SEARCH_EXTENSION in capabilities.extensions
            )
        return self._searchable
