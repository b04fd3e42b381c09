"""The dashboard in a real browser: live counts, an incident retried to completion, escaping,
the poll fallback, a phone-sized screen.

Jobs are created, failed and completed through the API and by real workers while the page is
open; every expectation waits (bounded) for the page to show the change without a reload.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, expect

from sdk.broker import RunningBroker
from sdk.client import AsyncClient
from sdk.models import JobSpec
from sdk.testing import running
from sdk.worker import Worker

from .conftest import save_screenshot

pytestmark = pytest.mark.anyio

UPDATE_TIMEOUT_MS = 15_000
"""How long the page may take to show a change (it follows events within about a second)."""
TRACEBACK = """\
CardDeclined: card declined (insufficient funds)
Traceback (most recent call last):
  File "workers/billing.py", line 42, in charge
    receipt = await gateway.charge(card, amount)
  File "billing/gateway.py", line 88, in charge
    raise CardDeclined(response.reason)
billing.gateway.CardDeclined: card declined (insufficient funds)"""
HOSTILE = "<script>window.pwned = true</script><img src=x onerror='window.pwned = true'>"


@pytest.fixture
async def web(sdk_broker: RunningBroker) -> AsyncIterator[httpx.AsyncClient]:
    """Raw HTTP to the broker's root, for the steps a worker would do by hand."""
    async with httpx.AsyncClient(base_url=sdk_broker.url.removesuffix("/v2")) as client:
        yield client


class Console:
    """Errors the page reports (a CSP violation or a script error shows up here)."""

    def __init__(self, page: Page) -> None:
        self.errors: list[str] = []
        page.on("console", self._message)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _message(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)


def cell(page: Page, job_type: str, category: str) -> Any:
    return page.locator(f'td[data-type="{job_type}"][data-category="{category}"]')


async def activate(web: httpx.AsyncClient, job_type: str, worker: str, n: int) -> list[str]:
    response = await web.post(
        "/v2/jobs/activation",
        json={
            "type": job_type,
            "worker": worker,
            "timeout": 300_000,
            "maxJobsToActivate": n,
            "requestTimeout": -1,
        },
    )
    keys = [job["jobKey"] for job in response.json()["jobs"]]
    assert len(keys) == n
    return keys


async def fail(web: httpx.AsyncClient, key: str, retries: int, message: str) -> None:
    body = {"retries": retries, "errorMessage": message, "retryBackOff": 120_000}
    response = await web.post(f"/v2/jobs/{key}/failure", json=body)
    assert response.status_code == 204


def greeter() -> Worker:
    worker = Worker("worker-a", grace_period_s=5)

    @worker.task("greet")
    async def greet(name: str) -> dict[str, str]:
        return {"greeting": f"Hello, {name}!"}

    return worker


def biller() -> Worker:
    worker = Worker("billing-8", grace_period_s=5)

    @worker.task("charge-card")
    async def charge(amount: float) -> dict[str, float]:
        return {"charged": amount}

    return worker


async def test_the_overview_follows_the_broker_and_an_incident_is_retried_to_completion(
    browser: Browser, sdk_broker: RunningBroker, sdk_client: AsyncClient, web: httpx.AsyncClient
) -> None:
    base = sdk_broker.url.removesuffix("/v2")
    page = await browser.new_page(viewport={"width": 1280, "height": 820})
    console = Console(page)

    # 1. The empty overview teaches how to create a job, then follows the broker live.
    await page.goto(f"{base}/ui")
    await expect(page.get_by_role("heading", name="No jobs yet")).to_be_visible()
    await expect(page.locator("#live-status")).to_have_text("Live", timeout=UPDATE_TIMEOUT_MS)
    await page.evaluate("window.sameDocument = true")

    await sdk_client.create_jobs(
        [JobSpec(type="greet", variables={"name": f"Ada {i}"}) for i in range(12)]
        + [JobSpec(type="charge-card", variables={"amount": 42.5}, retries=2)] * 3
        + [JobSpec(type="send-mail", variables={"to": "ada@example.com"})] * 4
    )
    await expect(cell(page, "greet", "ACTIVATABLE")).to_have_text("12", timeout=UPDATE_TIMEOUT_MS)

    # 2. A worker completes the greetings; charge-card fails by hand (one to an incident).
    async with running(greeter(), sdk_client):
        await expect(cell(page, "greet", "COMPLETED")).to_have_text("12", timeout=UPDATE_TIMEOUT_MS)
    declined, retrying, paid = await activate(web, "charge-card", "billing-7", 3)
    await fail(web, declined, 0, TRACEBACK)
    await fail(web, retrying, 1, "TimeoutError: the card gateway did not answer in 10 s")
    assert (await web.post(f"/v2/jobs/{paid}/completion", json={})).status_code == 204
    await activate(web, "send-mail", "mailer-2", 2)

    await expect(cell(page, "charge-card", "INCIDENT")).to_have_text("1", timeout=UPDATE_TIMEOUT_MS)
    await expect(cell(page, "charge-card", "FAILED")).to_have_text("1")
    await expect(cell(page, "send-mail", "ACTIVATED")).to_have_text("2")
    await expect(page.locator("#workers-title + .table-scroll")).to_contain_text("mailer-2")
    assert await page.evaluate("window.sameDocument") is True  # updated, never reloaded
    save_screenshot("overview.png", await page.screenshot(full_page=True), readme=True)

    # 3. Find the failed job through the jobs list, filtered by state.
    await page.get_by_role("link", name="Jobs", exact=True).click()
    await page.get_by_label("State").select_option("INCIDENT")
    await page.get_by_role("button", name="Filter").click()
    await page.get_by_role("link", name=declined).click()
    await expect(page.locator("#job-state")).to_have_text("Incident")
    await expect(page.locator("pre.error-text")).to_contain_text("CardDeclined(response.reason)")
    await page.evaluate("window.sameDocument = true")

    # 4. Retry it from the keyboard: the result shows at once.
    retries = page.get_by_label("Retries to give")
    await retries.fill("1")
    await retries.press("Enter")
    await expect(page.locator("#action-result")).to_have_text(
        "Retries set to 1: the job is activatable again."
    )
    await expect(page.locator("#job-state")).to_have_text("Activatable")
    await expect(page.get_by_label("Retries to give")).to_be_hidden()

    # 5. A worker takes it again and completes it; the page follows.
    async with running(biller(), sdk_client):
        await expect(page.locator("#job-state")).to_have_text(
            "Completed", timeout=UPDATE_TIMEOUT_MS
        )
    await expect(page.locator(".history")).to_contain_text("completed by billing-8")
    await expect(page.get_by_text("This job has ended; no action applies.")).to_be_visible()
    assert await page.evaluate("window.sameDocument") is True
    job = await sdk_client.get_job(declined)
    assert (job.state.value, job.variables["charged"]) == ("COMPLETED", 42.5)
    save_screenshot("job.png", await page.screenshot(full_page=True), readme=True)
    assert console.errors == []


async def test_hostile_variables_stay_text_and_cancel_asks_first_on_a_phone(
    browser: Browser, sdk_broker: RunningBroker, sdk_client: AsyncClient
) -> None:
    base = sdk_broker.url.removesuffix("/v2")
    key = await sdk_client.create_job("send-mail", {"note": HOSTILE, "to": "ada@example.com"})
    page = await browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    console = Console(page)

    await page.goto(f"{base}/ui/jobs/{key}")

    await expect(page.locator("pre.json")).to_contain_text(HOSTILE)
    assert await page.evaluate("window.pwned") is None
    assert await page.locator("pre.json img, pre.json script").count() == 0
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, "the job page is wider than a phone's screen"

    # Cancel asks first: dismissing leaves the job alone, accepting cancels it.
    page.once("dialog", lambda dialog: dialog.dismiss())
    await page.get_by_role("button", name="Cancel job…").click()
    await expect(page.locator("#job-state")).to_have_text("Activatable")
    assert (await sdk_client.get_job(key)).state.value == "ACTIVATABLE"

    page.once("dialog", lambda dialog: dialog.accept())
    await page.get_by_role("button", name="Cancel job…").click()
    await expect(page.locator("#action-result")).to_have_text("Job canceled.")
    await expect(page.locator("#job-state")).to_have_text("Canceled")
    assert (await sdk_client.get_job(key)).state.value == "CANCELED"

    await page.goto(f"{base}/ui")
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, "the overview is wider than a phone's screen"
    save_screenshot("overview-phone.png", await page.screenshot(full_page=True))
    assert console.errors == []


async def test_the_overview_polls_when_the_event_stream_is_unavailable(
    browser: Browser, sdk_broker: RunningBroker, sdk_client: AsyncClient
) -> None:
    base = sdk_broker.url.removesuffix("/v2")
    page = await browser.new_page()
    await page.route("**/v2/ext/events*", lambda route: route.abort())  # the stream drops
    await page.goto(f"{base}/ui")
    await expect(page.locator("#live-status")).to_have_text(
        "Live (polling)", timeout=UPDATE_TIMEOUT_MS
    )
    await page.evaluate("window.sameDocument = true")

    await sdk_client.create_jobs([JobSpec(type="resize-image")] * 3)

    await expect(cell(page, "resize-image", "ACTIVATABLE")).to_have_text(
        "3", timeout=UPDATE_TIMEOUT_MS
    )
    assert await page.evaluate("window.sameDocument") is True
