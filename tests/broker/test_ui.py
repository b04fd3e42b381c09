"""The dashboard's routes: every page and action, the stats API, escaping, cross-site refusal.

Pages are fetched from a real broker on loopback; job data is hostile input, so a type name and
a variable holding markup must come back as text. (The browser suite drives the same pages in
Chromium: tests/browser/.)
"""

from __future__ import annotations

import re
import subprocess
import sys
from html.parser import HTMLParser
from typing import Any

import anyio
import httpx
import pytest
from anyio.streams.text import TextReceiveStream
from pydantic import SecretStr

from sdk.broker import BrokerAuth, BrokerUser, RunningBroker, serve
from sdk.broker.ui._guard import CONTENT_SECURITY_POLICY

from _support.dashboard import ESCAPED, HOSTILE

pytestmark = pytest.mark.anyio

SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin", "Content-Type": "application/json"}


@pytest.fixture
def store_path() -> str:
    """The pages read through the same store API either way: one kind of store is enough."""
    return ":memory:"


async def create(web: httpx.AsyncClient, *specs: dict[str, Any]) -> list[str]:
    response = await web.post("/v2/ext/jobs", json={"jobs": list(specs)})
    assert response.status_code == 201, response.text
    keys: list[str] = response.json()["jobKeys"]
    return keys


async def activate(web: httpx.AsyncClient, job_type: str, n: int = 1, worker: str = "w-1") -> None:
    body = {"type": job_type, "worker": worker, "timeout": 60_000, "maxJobsToActivate": n}
    response = await web.post("/v2/jobs/activation", json={**body, "requestTimeout": -1})
    assert len(response.json()["jobs"]) == n


async def incident(web: httpx.AsyncClient, message: str = "ValueError: boom") -> str:
    """A job of type ``pay`` that failed with no retries left."""
    (key,) = await create(web, {"type": "pay"})
    await activate(web, "pay")
    response = await web.post(
        f"/v2/jobs/{key}/failure", json={"retries": 0, "errorMessage": message}
    )
    assert response.status_code == 204
    return key


async def page(web: httpx.AsyncClient, path: str, status: int = 200) -> str:
    response = await web.get(path)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["x-content-type-options"] == "nosniff"
    return response.text


async def state_of(web: httpx.AsyncClient, key: str) -> str:
    state: str = (await web.get(f"/v2/ext/jobs/{key}")).json()["state"]
    return state


class _Scripts(HTMLParser):
    """Collects the script tags of a page, and the text of every <pre>."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts.append(dict(attrs))


def scripts_of(html: str) -> list[dict[str, str | None]]:
    parser = _Scripts()
    parser.feed(html)
    return parser.scripts


class TestOverview:
    async def test_with_no_jobs_it_shows_the_command_that_creates_one(
        self, web: httpx.AsyncClient, broker: RunningBroker
    ) -> None:
        html = await page(web, "/ui")

        assert "No jobs yet" in html
        base = broker.url.removesuffix("/v2")
        assert (
            f"CAMUNDA_REST_ADDRESS={base} python -m sdk jobs create greet --variables"
            " &#39;{&#34;name&#34;: &#34;Ada&#34;}&#39;"
        ) in html
        assert f"curl -X POST {base}/v2/ext/jobs" in html

    async def test_counts_jobs_per_type_and_state(self, web: httpx.AsyncClient) -> None:
        await create(web, *[{"type": "mail"}] * 3)
        await activate(web, "mail", 2)
        await incident(web)

        html = await page(web, "/ui")

        cells = {
            (job_type, category): int(count)
            for job_type, category, count in re.findall(
                r'data-type="([^"]+)" data-category="(\w+)"[^>]*>\s*(?:<a [^>]*>)?(\d+)', html
            )
        }
        assert cells[("mail", "ACTIVATABLE")] == 1
        assert cells[("mail", "ACTIVATED")] == 2
        assert cells[("pay", "INCIDENT")] == 1
        assert cells[("pay", "COMPLETED")] == 0
        assert 'href="/ui/jobs?type=pay&amp;state=INCIDENT"' in html
        assert "w-1" in html  # the worker seen recently
        assert "No jobs yet" not in html

    async def test_a_hostile_type_name_renders_as_text(self, web: httpx.AsyncClient) -> None:
        await create(web, {"type": HOSTILE})

        html = await page(web, "/ui")

        assert HOSTILE not in html
        assert ESCAPED in html

    async def test_loads_only_its_own_script_file(self, web: httpx.AsyncClient) -> None:
        html = await page(web, "/ui")

        assert scripts_of(html) == [{"src": "/ui/static/ui.js?v=0.1.0", "defer": None}]
        assert " style=" not in html  # the CSP forbids inline styles too
        assert "script-src 'self'" in CONTENT_SECURITY_POLICY

    async def test_names_the_event_stream_and_the_summary_it_polls(
        self, web: httpx.AsyncClient
    ) -> None:
        html = await page(web, "/ui")

        assert 'data-stream="/v2/ext/events"' in html
        assert 'data-summary="/v2/ext/stats?minutes=1"' in html

    async def test_the_root_redirects_to_the_dashboard(self, web: httpx.AsyncClient) -> None:
        response = await web.get("/")

        assert (response.status_code, response.headers["location"]) == (303, "/ui")

    @pytest.mark.parametrize("name", ["ui.js", "ui.css"])
    async def test_serves_its_static_files(self, web: httpx.AsyncClient, name: str) -> None:
        response = await web.get(f"/ui/static/{name}")

        assert response.status_code == 200
        assert response.headers["content-type"].startswith(
            "text/javascript" if name.endswith(".js") else "text/css"
        )
        # broker data reaches the page as text or as nodes of an escaped page, never as markup
        assert not re.search(
            r"\.(inner|outer)HTML\s*=|insertAdjacentHTML|document\.write", response.text
        )


class TestJobsList:
    async def test_lists_newest_first_with_links_to_job_pages(self, web: httpx.AsyncClient) -> None:
        keys = await create(web, {"type": "a"}, {"type": "b"}, {"type": "a"})

        html = await page(web, "/ui/jobs")

        links = re.findall(r'href="/ui/jobs/(\d+)"', html)
        assert links == keys[::-1]

    async def test_filters_by_type_and_state(self, web: httpx.AsyncClient) -> None:
        await create(web, {"type": "a"}, {"type": "b"})
        failed = await incident(web)

        by_type = await page(web, "/ui/jobs?type=b")
        by_state = await page(web, "/ui/jobs?state=INCIDENT")
        both = await page(web, "/ui/jobs?type=a&state=INCIDENT")

        assert len(re.findall(r'href="/ui/jobs/\d+"', by_type)) == 1
        assert re.findall(r'href="/ui/jobs/(\d+)"', by_state) == [failed]
        assert '<option value="INCIDENT" selected>' in by_state
        assert "No jobs match these filters" in both

    async def test_pages_with_the_search_cursor(self, web: httpx.AsyncClient) -> None:
        keys = await create(web, *[{"type": "t"}] * 55)

        first = await page(web, "/ui/jobs?type=t")
        cursor = re.search(r'rel="next" href="/ui/jobs\?type=t&amp;after=(\d+)"', first)
        assert cursor is not None
        second = await page(web, f"/ui/jobs?type=t&after={cursor.group(1)}")

        shown = re.findall(r'href="/ui/jobs/(\d+)"', first) + re.findall(
            r'href="/ui/jobs/(\d+)"', second
        )
        assert shown == keys[::-1]
        assert 'rel="next"' not in second

    async def test_a_bad_filter_answers_400_saying_why(self, web: httpx.AsyncClient) -> None:
        html = await page(web, "/ui/jobs?state=SLEEPING", status=400)

        assert "The filter is not valid" in html
        assert "state:" in html

    async def test_with_no_jobs_it_shows_the_command_that_creates_one(
        self, web: httpx.AsyncClient
    ) -> None:
        html = await page(web, "/ui/jobs")

        assert "python -m sdk jobs create greet" in html

    async def test_hostile_values_render_as_text(self, web: httpx.AsyncClient) -> None:
        await incident(web, message=HOSTILE)
        await create(web, {"type": HOSTILE})

        html = await page(web, f"/ui/jobs?type={HOSTILE}")
        listing = await page(web, "/ui/jobs")

        assert HOSTILE not in html + listing
        assert ESCAPED in listing


class TestJobPage:
    async def test_shows_variables_headers_and_history(self, web: httpx.AsyncClient) -> None:
        (key,) = await create(
            web,
            {
                "type": "pay",
                "variables": {"amount": 12.5, "note": HOSTILE},
                "customHeaders": {"tier": "gold"},
                "retries": 2,
            },
        )
        await activate(web, "pay", worker="billing-7")

        html = await page(web, f"/ui/jobs/{key}")

        assert f'Job <span class="mono">{key}</span>' in html
        assert '"amount": 12.5' in html.replace("&#34;", '"')
        assert HOSTILE not in html
        assert ESCAPED in html
        assert '<dt class="mono">tier</dt><dd class="mono">gold</dd>' in html
        assert "created with 2 retries" in html
        assert "activated by billing-7" in html
        assert 'data-state="ACTIVATED"' in html

    async def test_a_failure_shows_the_message_and_the_traceback_tail(
        self, web: httpx.AsyncClient
    ) -> None:
        traceback = "\n".join(f"  frame {i}" for i in range(40))
        key = await incident(web, message=f"ValueError: boom\n{traceback}\n{HOSTILE}")

        html = await page(web, f"/ui/jobs/{key}")

        assert "The last 30 of 42 lines:" in html
        assert "frame 39" in html
        assert "frame 10\n" not in html.split('class="error-text"')[1].split("</pre>")[0]
        assert "failed at w-1 with no retries left: incident" in html
        assert HOSTILE not in html

    async def test_a_failed_job_waiting_out_its_back_off_says_until_when(
        self, web: httpx.AsyncClient
    ) -> None:
        (key,) = await create(web, {"type": "pay"})
        await activate(web, "pay")
        body = {"retries": 2, "errorMessage": "TimeoutError", "retryBackOff": 600_000}
        assert (await web.post(f"/v2/jobs/{key}/failure", json=body)).status_code == 204

        html = await page(web, f"/ui/jobs/{key}")

        assert "<dt>Back-off until</dt>" in html
        assert "failed at w-1; 2 retries left" in html
        assert '<h2 id="error-title">Error</h2>' in html

    async def test_offers_the_actions_that_apply_to_the_state(self, web: httpx.AsyncClient) -> None:
        key = await incident(web)
        (waiting,) = await create(web, {"type": "other"})

        failed_page = await page(web, f"/ui/jobs/{key}")
        waiting_page = await page(web, f"/ui/jobs/{waiting}")

        def shown(html: str) -> set[str]:
            forms = re.findall(r'<form class="action" data-action="(\w+)"[^>]*>', html)
            visible = re.findall(
                r'<form class="action" data-action="(\w+)" data-when="[^"]*">', html
            )
            assert set(visible) <= set(forms)
            return set(visible)

        assert shown(failed_page) == {"retry", "cancel"}
        assert shown(waiting_page) == {"retries", "cancel"}

    async def test_an_unknown_job_answers_404(self, web: httpx.AsyncClient) -> None:
        html = await page(web, "/ui/jobs/2251799813685249", status=404)

        assert "Job not found" in html
        assert "job 2251799813685249 does not exist" in html

    async def test_a_malformed_key_answers_400(self, web: httpx.AsyncClient) -> None:
        html = await page(web, "/ui/jobs/%3Cb%3E", status=400)

        assert "Not a job key" in html
        assert "<b>" not in html


class TestActions:
    """The job page's actions are the documented API routes, called as the page calls them."""

    async def test_retrying_an_incident_makes_it_activatable(self, web: httpx.AsyncClient) -> None:
        key = await incident(web)

        response = await web.patch(
            f"/v2/jobs/{key}", json={"changeset": {"retries": 2}}, headers=SAME_ORIGIN
        )

        assert response.status_code == 204
        assert await state_of(web, key) == "ACTIVATABLE"
        html = await page(web, f"/ui/jobs/{key}")
        assert "retries set to 2" in html
        assert 'data-state="ACTIVATABLE"' in html

    async def test_changing_the_timeout_moves_the_deadline(self, web: httpx.AsyncClient) -> None:
        (key,) = await create(web, {"type": "t"})
        await activate(web, "t")
        before = (await web.get(f"/v2/ext/jobs/{key}")).json()["deadline"]

        response = await web.patch(
            f"/v2/jobs/{key}", json={"changeset": {"timeout": 3_600_000}}, headers=SAME_ORIGIN
        )

        assert response.status_code == 204
        after = (await web.get(f"/v2/ext/jobs/{key}")).json()["deadline"]
        assert after > before + 3_000_000
        assert "timeout changed" in await page(web, f"/ui/jobs/{key}")

    async def test_canceling_ends_the_job(self, web: httpx.AsyncClient) -> None:
        (key,) = await create(web, {"type": "t"})

        response = await web.post(f"/v2/ext/jobs/{key}/cancellation", headers=SAME_ORIGIN)

        assert response.status_code == 204
        assert await state_of(web, key) == "CANCELED"
        html = await page(web, f"/ui/jobs/{key}")
        assert "This job has ended; no action applies." in html
        assert '<p class="muted" data-when="COMPLETED ERROR_THROWN CANCELED">' in html

    async def test_a_refused_action_answers_problem_json_the_page_can_show(
        self, web: httpx.AsyncClient
    ) -> None:
        (key,) = await create(web, {"type": "t"})

        response = await web.patch(
            f"/v2/jobs/{key}", json={"changeset": {"timeout": 1000}}, headers=SAME_ORIGIN
        )

        assert response.status_code == 409
        assert response.json()["detail"] == (
            f"job {key} is not activated, so its timeout cannot be changed"
        )


class TestCrossSiteRequests:
    @pytest.mark.parametrize(
        "headers",
        [
            {"Sec-Fetch-Site": "cross-site"},
            {"Sec-Fetch-Site": "same-site"},
            {"Origin": "http://evil.example"},
            {"Origin": "null"},
        ],
        ids=["cross-site", "same-site", "foreign-origin", "opaque-origin"],
    )
    async def test_state_changes_from_another_origin_are_refused(
        self, web: httpx.AsyncClient, headers: dict[str, str]
    ) -> None:
        key = await incident(web)

        retry = await web.patch(
            f"/v2/jobs/{key}", json={"changeset": {"retries": 1}}, headers=headers
        )
        cancel = await web.post(f"/v2/ext/jobs/{key}/cancellation", headers=headers)
        create_ = await web.post("/v2/ext/jobs", json={"jobs": [{"type": "x"}]}, headers=headers)

        for response in (retry, cancel, create_):
            assert response.status_code == 403
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["title"] == "FORBIDDEN"
        assert await state_of(web, key) == "INCIDENT"

    @pytest.mark.parametrize(
        "headers",
        [{}, {"Sec-Fetch-Site": "same-origin"}, {"Sec-Fetch-Site": "none"}],
        ids=["no-browser", "same-origin", "user-typed"],
    )
    async def test_same_origin_and_non_browser_requests_pass(
        self, web: httpx.AsyncClient, headers: dict[str, str]
    ) -> None:
        key = await incident(web)

        response = await web.patch(
            f"/v2/jobs/{key}", json={"changeset": {"retries": 1}}, headers=headers
        )

        assert response.status_code == 204

    async def test_an_origin_equal_to_the_brokers_own_passes(
        self, web: httpx.AsyncClient, broker: RunningBroker
    ) -> None:
        key = await incident(web)
        origin = broker.url.removesuffix("/v2")

        response = await web.patch(
            f"/v2/jobs/{key}", json={"changeset": {"retries": 1}}, headers={"Origin": origin}
        )

        assert response.status_code == 204

    async def test_reading_from_another_origin_is_not_a_state_change(
        self, web: httpx.AsyncClient
    ) -> None:
        response = await web.get("/v2/ext/stats", headers={"Sec-Fetch-Site": "cross-site"})

        assert response.status_code == 200
        assert "access-control-allow-origin" not in response.headers


class TestStatsApi:
    async def test_answers_counts_throughput_and_workers(self, web: httpx.AsyncClient) -> None:
        await create(web, {"type": "t"}, {"type": "t"})
        await activate(web, "t", worker="w-9")

        response = await web.get("/v2/ext/stats?minutes=5")

        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        body = response.json()
        assert set(body) == {
            "at",
            "lastEventId",
            "windowMinutes",
            "types",
            "throughput",
            "workers",
            "limits",
        }
        assert body["limits"] == []
        assert body["lastEventId"] == 3
        assert body["windowMinutes"] == 5
        assert body["types"] == [
            {
                "type": "t",
                "total": 2,
                "counts": {
                    "activatable": 1,
                    "activated": 1,
                    "completed": 0,
                    "failed": 0,
                    "incident": 0,
                    "errorThrown": 0,
                    "canceled": 0,
                },
            }
        ]
        assert len(body["throughput"]) == 5
        assert body["throughput"][-1]["created"] == 2
        assert body["throughput"][-1]["minuteAt"] <= body["at"]
        (worker,) = body["workers"]
        assert (worker["name"], worker["jobsInFlight"]) == ("w-9", 1)

    @pytest.mark.parametrize("minutes", ["0", "61", "abc", "1" * 5000, "²"])
    async def test_a_bad_window_answers_400(self, web: httpx.AsyncClient, minutes: str) -> None:
        response = await web.get("/v2/ext/stats", params={"minutes": minutes})

        assert response.status_code == 400
        assert response.json()["detail"] == "minutes: must be a whole number from 1 to 60"


class TestAuth:
    async def test_the_dashboard_needs_the_same_credentials_as_the_api(self) -> None:
        auth = BrokerAuth(
            users=[
                BrokerUser("ada", SecretStr("secret")),
                BrokerUser("viewer", SecretStr("look"), read_only=True),
            ]
        )
        async with anyio.create_task_group() as tg:
            running: RunningBroker = await tg.start(
                lambda task_status: serve(
                    ":memory:", "127.0.0.1", 0, auth=auth, task_status=task_status
                )
            )
            base = running.url.removesuffix("/v2")
            async with httpx.AsyncClient(base_url=base) as anonymous:
                for path in ("/ui", "/ui/jobs", "/ui/static/ui.js", "/v2/ext/stats"):
                    response = await anonymous.get(path)
                    assert response.status_code == 401, path
                    assert 'Basic realm="sdk-broker"' in response.headers["www-authenticate"]
            async with httpx.AsyncClient(base_url=base, auth=("ada", "secret")) as operator:
                assert (await operator.get("/ui")).status_code == 200
                (key,) = (
                    await operator.post("/v2/ext/jobs", json={"jobs": [{"type": "t"}]})
                ).json()["jobKeys"]
            async with httpx.AsyncClient(base_url=base, auth=("viewer", "look")) as viewer:
                assert (await viewer.get(f"/ui/jobs/{key}")).status_code == 200
                refused = await viewer.post(f"/v2/ext/jobs/{key}/cancellation")
                assert refused.status_code == 403
            tg.cancel_scope.cancel()


async def test_the_broker_cli_logs_the_dashboard_url() -> None:
    command = [sys.executable, "-m", "sdk.broker", "--db", ":memory:", "--port", "0"]
    async with await anyio.open_process(command, stderr=subprocess.PIPE) as process:
        assert process.stderr is not None
        log = ""
        try:
            with anyio.fail_after(30):
                async for chunk in TextReceiveStream(process.stderr):
                    log += chunk
                    found = re.search(r"dashboard at (http://\S+/ui)\n", log)
                    if found:
                        break
            assert found is not None, log
            async with httpx.AsyncClient() as client:
                response = await client.get(found.group(1))
            assert response.status_code == 200
            assert "<h1>Overview</h1>" in response.text
        finally:
            process.terminate()
            with anyio.fail_after(15):
                await process.wait()
