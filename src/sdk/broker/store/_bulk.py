"""Bulk operator actions (``POST /v2/ext/jobs/bulk``): retry or cancel every job a filter
matches, a page at a time.

Each job changes through the store's own one-job command (``update`` with retries, or
``cancel``) in its own transaction, exactly as if an operator had acted on it alone: the job's
history records the action (``RETRIES_UPDATED``, ``CANCELED``), pollers and process instances
see it the usual way, and no transaction grows with the number of jobs. Jobs are read in pages
of ``BATCH`` by key (newest first), so a job changed on the way never shifts the next page.
A job that changes state between the read and the action is counted ``refused``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from ...models import BulkAction, BulkJobFilter, BulkJobsRequest, BulkJobsResult, Job, JobState
from .._problems import BrokerError, JobNotFound, NotFound
from ._rules import INT64_MAX

if TYPE_CHECKING:
    from ._face import JobStore

BATCH = 100
"""Jobs read per page (and changed before the next page is read)."""
ENDED = frozenset({JobState.COMPLETED, JobState.ERROR_THROWN, JobState.CANCELED})


async def run_bulk(store: JobStore, request: BulkJobsRequest) -> BulkJobsResult:
    """Apply ``request.action`` to every job ``request.filter`` matches; say what it did."""
    changed = 0
    skipped: Counter[str] = Counter()
    async for job in _matching(store, request.filter, skipped):
        reason = await _apply(store, job, request)
        if reason is None:
            changed += 1
        else:
            skipped[reason] += 1
    return BulkJobsResult(
        matched=changed + sum(skipped.values()), changed=changed, skipped=dict(skipped)
    )


async def _apply(store: JobStore, job: Job, request: BulkJobsRequest) -> str | None:
    """Act on one job: ``None`` if it changed, else why it was skipped."""
    key = int(job.job_key)
    try:
        if request.action is BulkAction.CANCEL:
            if job.state in ENDED:
                return "ended"
            await store.cancel(key)
        else:
            if job.state is not JobState.INCIDENT:
                return "not_in_incident"
            await store.update(key, request.retries, None)
    except BrokerError:
        return "refused"
    return None


def _in_range(f: BulkJobFilter, key: int) -> bool:
    return (f.key_from is None or key >= int(f.key_from)) and (
        f.key_to is None or key <= int(f.key_to)
    )


async def _matching(store: JobStore, f: BulkJobFilter, skipped: Counter[str]) -> AsyncIterator[Job]:
    """The jobs ``f`` matches; an explicit key naming no job counts as skipped ``not_found``."""
    if f.keys is not None:
        for key in sorted({int(k) for k in f.keys}, reverse=True):
            try:
                job = await store.get(key)
            except (JobNotFound, NotFound):
                skipped["not_found"] += 1
                continue
            if (
                (f.type is None or job.type == f.type)
                and (f.state is None or job.state is f.state)
                and _in_range(f, key)
            ):
                yield job
        return
    after = None if f.key_to is None else min(int(f.key_to) + 1, INT64_MAX)
    while True:
        page, after = await store.search(f.type, f.state, BATCH, after)
        for job in page:
            if f.key_from is not None and int(job.job_key) < int(f.key_from):
                return  # newest first: every later job is below the range
            yield job
        if after is None:
            return
