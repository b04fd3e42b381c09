"""The process pages in a real browser: an instance with an incident drawn from its diagram, the
incident resolved from the page and the instance run to its end by a worker; the pages on a
phone-sized screen.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from playwright.async_api import Browser, Locator, Page, expect

from sdk.broker import RunningBroker
from sdk.client import AsyncClient
from sdk.testing import running, wait_until
from sdk.worker import Worker

from .conftest import save_screenshot
from .test_dashboard import Console
from _support.bpmn_models import drawn_model

pytestmark = pytest.mark.anyio

UPDATE_TIMEOUT_MS = 15_000


@pytest.fixture
async def web(sdk_broker: RunningBroker) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sdk_broker.url.removesuffix("/v2")) as client:
        yield client


def element(page: Page, element_id: str) -> Locator:
    return page.locator(f'svg.bpmn-diagram g[data-element-id="{element_id}"]')


def shipper() -> Worker:
    worker = Worker("shipping-1", grace_period_s=5)

    @worker.task("charge")
    async def charge(amount: float) -> dict[str, bool]:
        return {"charged": True}

    @worker.task("ship")
    async def ship() -> dict[str, str]:
        return {"parcel": "PX-1"}

    return worker


async def stuck_order(web: httpx.AsyncClient, sdk_client: AsyncClient) -> str:
    """An order instance whose ``charge`` job failed with no retries left: an incident."""
    await sdk_client.deploy_resources({"order.bpmn": drawn_model()})
    created = await sdk_client.create_process_instance(
        process_definition_id="order", variables={"amount": 42.5}
    )
    key = str(created.process_instance_key)
    body = {"type": "charge", "worker": "billing-7", "timeout": 60_000, "maxJobsToActivate": 1}
    jobs = (await web.post("/v2/jobs/activation", json={**body, "requestTimeout": 5_000})).json()
    (job,) = jobs["jobs"]
    failure = {"retries": 0, "errorMessage": "CardDeclined: card declined (insufficient funds)"}
    assert (await web.post(f"/v2/jobs/{job['jobKey']}/failure", json=failure)).status_code == 204

    async def has_incident() -> bool:
        found: bool = (await web.get(f"/v2/process-instances/{key}")).json()["hasIncident"]
        return found

    await wait_until(has_incident)
    return key


async def test_an_incident_is_resolved_from_the_instance_page_and_the_instance_completes(
    browser: Browser, sdk_broker: RunningBroker, sdk_client: AsyncClient, web: httpx.AsyncClient
) -> None:
    base = sdk_broker.url.removesuffix("/v2")
    key = await stuck_order(web, sdk_client)
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    console = Console(page)

    # 1. From the processes page to the instance with the incident.
    await page.goto(f"{base}/ui")
    await page.get_by_role("link", name="Processes", exact=True).click()
    await expect(
        page.locator('tr[data-process-id="order"] td[data-state="INCIDENT"]')
    ).to_have_text("1")
    await page.locator('tr[data-process-id="order"] td[data-state="INCIDENT"] a').click()
    await page.get_by_role("link", name=key).click()

    # 2. The diagram shows where the instance stands.
    await expect(page.locator("#instance-state")).to_have_text("Active")
    await expect(element(page, "start")).to_have_class("bpmn-node bpmn-event completed")
    await expect(element(page, "charge")).to_have_class("bpmn-node bpmn-activity incident")
    await expect(element(page, "f1")).to_have_class("bpmn-flow taken")
    await expect(element(page, "f2")).to_have_class("bpmn-flow")
    await expect(element(page, "ship")).to_have_class("bpmn-node bpmn-activity")
    stroke = (
        await element(page, "charge")
        .locator(".bpmn-shape")
        .first.evaluate("el => getComputedStyle(el).stroke")
    )
    assert stroke == "rgb(185, 28, 28)", "diagram.css is not applied (the incident's colour)"
    await expect(page.locator("#instance-incidents")).to_contain_text("CardDeclined")
    save_screenshot("instance-incident.png", await page.screenshot(full_page=True))

    # 3. Resolve it with new retries: the job is workable again, the incident closed.
    await page.evaluate("window.sameDocument = true")
    await page.get_by_label("Retries to give").fill("2")
    await page.get_by_role("button", name="Resolve").click()
    await expect(page.locator("#action-result")).to_contain_text("resolved: the job has 2 retries")
    await expect(element(page, "charge")).to_have_class("bpmn-node bpmn-activity active")
    await expect(page.locator("#instance-incidents")).to_contain_text("Resolved")
    await expect(page.get_by_role("button", name="Resolve")).to_have_count(0)
    assert await page.evaluate("window.sameDocument") is True

    # 4. A worker runs the rest; the reloaded page shows the whole path completed.
    async with running(shipper(), sdk_client):

        async def completed() -> bool:
            found: str = (await web.get(f"/v2/process-instances/{key}")).json()["state"]
            return found == "COMPLETED"

        await wait_until(completed, timeout_s=UPDATE_TIMEOUT_MS / 1000)
    await page.reload()
    await expect(page.locator("#instance-state")).to_have_text("Completed")
    for element_id in ("start", "charge", "paid", "ship", "done"):
        await expect(element(page, element_id)).to_contain_class("completed")
    for flow_id in ("f1", "f2", "to_ship", "f3"):
        await expect(element(page, flow_id)).to_have_class("bpmn-flow taken")
    await expect(element(page, "to_refused")).to_have_class("bpmn-flow")
    await expect(page.locator("#instance-variables")).to_contain_text("PX-1")
    await expect(page.get_by_text("This instance has ended; no action applies.")).to_be_visible()
    save_screenshot("instance.png", await page.screenshot(full_page=True), readme=True)
    assert console.errors == []


async def test_the_process_pages_fit_a_phone_and_cancel_asks_first(
    browser: Browser, sdk_broker: RunningBroker, sdk_client: AsyncClient, web: httpx.AsyncClient
) -> None:
    base = sdk_broker.url.removesuffix("/v2")
    key = await stuck_order(web, sdk_client)
    page = await browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    console = Console(page)

    for path in ("/ui/processes", "/ui/instances", f"/ui/instances/{key}"):
        await page.goto(f"{base}{path}")
        overflow = await page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} is wider than a phone's screen"
    await expect(element(page, "charge")).to_contain_class("incident")
    save_screenshot("instance-phone.png", await page.screenshot(full_page=True))

    page.once("dialog", lambda dialog: dialog.dismiss())
    await page.get_by_role("button", name="Cancel instance…").click()
    await expect(page.locator("#instance-state")).to_have_text("Active")
    page.once("dialog", lambda dialog: dialog.accept())
    await page.get_by_role("button", name="Cancel instance…").click()
    await expect(page.locator("#action-result")).to_have_text("Process instance canceled.")
    await expect(page.locator("#instance-state")).to_have_text("Terminated")
    await expect(element(page, "charge")).to_contain_class("terminated")
    assert console.errors == []
