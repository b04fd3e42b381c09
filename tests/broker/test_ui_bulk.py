"""The jobs page's bulk actions: "retry all incidents of this type" (offered once a type is
chosen) and "cancel selected" (a box on each job not ended), each a confirmed call of
``POST /v2/ext/jobs/bulk``; checked here through the page and the very calls its script sends."""

from __future__ import annotations

import re

import httpx
import pytest

from sdk.client import AsyncClient
from sdk.models import JobKey, JobState

pytestmark = pytest.mark.anyio

SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}


@pytest.fixture
def store_path() -> str:
    return ":memory:"


async def incident(api: AsyncClient, job_type: str) -> JobKey:
    key = await api.create_job(job_type, retries=1)
    (job,) = await api.activate_jobs(job_type, max_jobs=1, timeout_ms=60_000)
    await api.fail_job(job.job_key, retries=0, error_message="broken")
    return key


def selectable(page: str) -> set[str]:
    return set(re.findall(r'name="selected" value="(\d+)" form="bulk-cancel"', page))


async def test_retry_all_incidents_of_a_type(web: httpx.AsyncClient, api: AsyncClient) -> None:
    broken = [await incident(api, "resize") for _ in range(2)]
    page = (await web.get("/ui/jobs", params={"type": "resize"})).text
    assert 'data-action="bulk-retry" data-type="resize"' in page
    # the call the form makes (ui.js "bulk-retry"), from the dashboard's origin
    answer = await web.post(
        "/v2/ext/jobs/bulk",
        json={"filter": {"type": "resize", "state": "INCIDENT"}, "action": "retry", "retries": 1},
        headers=SAME_ORIGIN,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"matched": 2, "changed": 2, "skipped": {}}
    for key in broken:
        job = await api.get_job(key)
        assert job.state is JobState.ACTIVATABLE
        assert [e.event for e in job.history or []][-1] == "RETRIES_UPDATED"


async def test_the_retry_form_needs_a_chosen_type(web: httpx.AsyncClient, api: AsyncClient) -> None:
    await incident(api, "resize")
    page = (await web.get("/ui/jobs")).text
    assert 'data-action="bulk-retry"' not in page
    assert 'data-action="bulk-cancel"' in page


async def test_cancel_selected(web: httpx.AsyncClient, api: AsyncClient) -> None:
    waiting = [await api.create_job("crop") for _ in range(3)]
    done = await api.create_job("done")
    (job,) = await api.activate_jobs("done", max_jobs=1, timeout_ms=60_000)
    await api.complete_job(job.job_key)
    page = (await web.get("/ui/jobs")).text
    assert selectable(page) == set(waiting)  # an ended job has no box
    assert done in page
    answer = await web.post(
        "/v2/ext/jobs/bulk",
        json={"filter": {"keys": waiting[:2]}, "action": "cancel"},
        headers=SAME_ORIGIN,
    )
    assert answer.json() == {"matched": 2, "changed": 2, "skipped": {}}
    states = [(await api.get_job(k)).state for k in waiting]
    assert states == [JobState.CANCELED, JobState.CANCELED, JobState.ACTIVATABLE]
    assert selectable((await web.get("/ui/jobs")).text) == {waiting[2]}


async def test_a_cross_site_bulk_call_is_refused(web: httpx.AsyncClient, api: AsyncClient) -> None:
    key = await api.create_job("crop")
    answer = await web.post(
        "/v2/ext/jobs/bulk",
        json={"filter": {"keys": [key]}, "action": "cancel"},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert answer.status_code == 403
    assert (await api.get_job(key)).state is JobState.ACTIVATABLE


async def test_the_script_sends_the_calls_it_is_tested_with(web: httpx.AsyncClient) -> None:
    script = (await web.get("/ui/static/ui.js")).text
    assert '"bulk-retry"' in script and '"bulk-cancel"' in script
    assert 'path: "/ext/jobs/bulk"' in script
    assert 'state: "INCIDENT" }, action: "retry"' in script
    assert 'filter: { keys: keys }, action: "cancel"' in script
    assert "confirm: question" in script
