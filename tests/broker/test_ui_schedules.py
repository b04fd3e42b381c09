"""The dashboard's schedules page on a real broker: each schedule with its timing, policies and
next run, paused ones marked, names escaped, and a hint when there are none."""

from __future__ import annotations

from datetime import datetime, timezone

import httpx
import pytest

from _support.dashboard import ESCAPED, HOSTILE

pytestmark = pytest.mark.anyio


@pytest.fixture
def store_path() -> str:
    return ":memory:"


async def put(web: httpx.AsyncClient, name: str, **body: object) -> dict[str, object]:
    response = await web.put(f"/v2/ext/schedules/{name}", json=body)
    assert response.status_code == 200, response.text
    answer: dict[str, object] = response.json()
    return answer


async def test_no_schedules_shows_how_to_make_one(web: httpx.AsyncClient) -> None:
    page = await web.get("/ui/schedules")
    assert page.status_code == 200
    assert "No schedules" in page.text and "python -m sdk schedules put" in page.text
    assert 'aria-current="page">Schedules</a>' in page.text


async def test_each_schedule_with_its_next_run(web: httpx.AsyncClient) -> None:
    nightly = await put(
        web, "nightly", jobType="cleanup", cron="0 3 * * *", timeZone="Europe/Berlin"
    )
    await put(web, "often", jobType=HOSTILE, interval="PT90S", overlap="allow", catchUp="one")
    assert (await web.post("/v2/ext/schedules/often/pause")).status_code == 200
    page = (await web.get("/ui/schedules")).text
    nightly_row = page.split('data-schedule="nightly"')[1].split("</tr>")[0]
    assert "0 3 * * *" in nightly_row and "Europe/Berlin" in nightly_row
    next_run = int(str(nightly["nextRunAt"]))
    assert f'datetime="{_iso(next_run)}"' in nightly_row
    often_row = page.split('data-schedule="often"')[1].split("</tr>")[0]
    assert "every PT90S" in often_row and "paused" in often_row
    assert "<td>allow</td>" in often_row and "<td>one</td>" in often_row
    assert ESCAPED in often_row and HOSTILE not in page


def _iso(ms: int) -> str:
    moment = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


FORM = {"Sec-Fetch-Site": "same-origin"}


async def test_the_page_pauses_and_resumes_a_schedule(web: httpx.AsyncClient) -> None:
    await put(web, "nightly", jobType="cleanup", cron="0 3 * * *")
    page = (await web.get("/ui/schedules")).text
    assert 'name="action" value="pause"' in page
    paused = await web.post(
        "/ui/schedules", data={"name": "nightly", "action": "pause"}, headers=FORM
    )
    assert paused.status_code == 303 and paused.headers["location"].endswith("/ui/schedules")
    assert (await web.get("/v2/ext/schedules/nightly")).json()["paused"] is True
    assert 'name="action" value="resume"' in (await web.get("/ui/schedules")).text
    resumed = await web.post(
        "/ui/schedules", data={"name": "nightly", "action": "resume"}, headers=FORM
    )
    assert resumed.status_code == 303
    assert (await web.get("/v2/ext/schedules/nightly")).json()["paused"] is False


@pytest.mark.parametrize(
    ("form", "status", "detail"),
    [
        ({"name": "nightly", "action": "delete"}, 400, "action:"),
        ({"name": "missing", "action": "pause"}, 404, "not found"),
        ({"name": "", "action": "pause"}, 400, "name:"),
    ],
)
async def test_a_bad_form_is_a_problem(
    web: httpx.AsyncClient, form: dict[str, str], status: int, detail: str
) -> None:
    await put(web, "nightly", jobType="cleanup", cron="0 3 * * *")
    response = await web.post("/ui/schedules", data=form, headers=FORM)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert detail in response.json()["detail"]
    assert (await web.get("/v2/ext/schedules/nightly")).json()["paused"] is False


async def test_a_cross_site_post_is_refused(web: httpx.AsyncClient) -> None:
    await put(web, "nightly", jobType="cleanup", cron="0 3 * * *")
    response = await web.post(
        "/ui/schedules",
        data={"name": "nightly", "action": "pause"},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 403
    assert (await web.get("/v2/ext/schedules/nightly")).json()["paused"] is False
