"""A long poll whose client went away activates nothing (no job locked into a dead socket)."""

from __future__ import annotations

import anyio
import httpx
import pytest

from sdk.broker import RunningBroker
from sdk.client import AsyncClient
from sdk.models import JobState
from sdk.testing import wait_until

pytestmark = pytest.mark.anyio


async def test_abandoned_long_poll_does_not_activate_later_jobs(
    sdk_broker: RunningBroker, sdk_client: AsyncClient
) -> None:
    body = {"type": "gone", "timeout": 60_000, "maxJobsToActivate": 1, "requestTimeout": 20_000}
    async with httpx.AsyncClient(base_url=sdk_broker.url) as http:
        with anyio.move_on_after(0.5):  # the client gives up (and closes) mid-wait
            await http.post("/jobs/activation", json=body)
    waiting = sdk_broker.store.notifier._events
    await wait_until(lambda: "gone" not in waiting, timeout_s=5, message="poll ended")
    key = await sdk_client.create_job("gone")
    # a live poll takes it at once: nobody else grabbed it for the dead connection
    jobs = await sdk_client.activate_jobs("gone", max_jobs=1, timeout_ms=1_000, worker="live")
    assert [j.job_key for j in jobs] == [key]
    assert (await sdk_client.get_job(key)).state is JobState.ACTIVATED
