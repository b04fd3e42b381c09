"""The dashboard's process pages on a real broker: definitions with their instance counts, the
instance list's filters and search, the instance page (its diagram with the instance's marks, or
the element list of a model without a diagram), escaping, and the API calls its actions make.

Processes are deployed and run through the API; jobs are worked by hand (activate, fail,
complete), as a worker would.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from sdk.broker.ui._guard import CONTENT_SECURITY_POLICY
from sdk.testing import wait_until

from _support.bpmn_models import drawn_model, model
from _support.dashboard import ESCAPED, HOSTILE

pytestmark = pytest.mark.anyio

SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin", "Content-Type": "application/json"}


@pytest.fixture
def store_path() -> str:
    return ":memory:"


async def deploy(web: httpx.AsyncClient, *models: bytes) -> None:
    files = [("resources", (f"m{i}.bpmn", m, "application/xml")) for i, m in enumerate(models)]
    response = await web.post("/v2/deployments", files=files)
    assert response.status_code == 200, response.text


async def start(web: httpx.AsyncClient, process_id: str, **body: Any) -> str:
    response = await web.post(
        "/v2/process-instances", json={"processDefinitionId": process_id, **body}
    )
    assert response.status_code == 200, response.text
    key: str = response.json()["processInstanceKey"]
    return key


async def take(web: httpx.AsyncClient, job_type: str) -> dict[str, Any]:
    body = {"type": job_type, "worker": "w-1", "timeout": 60_000, "maxJobsToActivate": 1}
    response = await web.post("/v2/jobs/activation", json={**body, "requestTimeout": 5_000})
    (job,) = response.json()["jobs"]
    return dict(job)


async def complete(web: httpx.AsyncClient, job_type: str, **variables: Any) -> None:
    job = await take(web, job_type)
    response = await web.post(f"/v2/jobs/{job['jobKey']}/completion", json={"variables": variables})
    assert response.status_code == 204, response.text


async def fail(web: httpx.AsyncClient, job_type: str, message: str) -> dict[str, Any]:
    job = await take(web, job_type)
    response = await web.post(
        f"/v2/jobs/{job['jobKey']}/failure", json={"retries": 0, "errorMessage": message}
    )
    assert response.status_code == 204, response.text
    return job


async def state(web: httpx.AsyncClient, key: str) -> dict[str, Any]:
    response = await web.get(f"/v2/process-instances/{key}")
    assert response.status_code == 200, response.text
    return dict(response.json())


async def page(web: httpx.AsyncClient, path: str, status: int = 200) -> str:
    response = await web.get(path)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    return response.text


def listed_keys(html: str) -> list[str]:
    return re.findall(r'href="/ui/instances/([0-9]+)"', html)


def element_classes(html: str, element_id: str) -> set[str]:
    found = re.search(rf'<g class="([^"]*)" data-element-id="{element_id}">', html)
    assert found, f"no {element_id} in the diagram"
    return set(found.group(1).split())


async def three_instances(web: httpx.AsyncClient) -> tuple[str, str, str]:
    """One completed, one waiting at ``ship`` (active), one with an incident at ``charge``."""
    await deploy(web, drawn_model())
    done = await start(web, "order", businessId="order-done")
    await complete(web, "charge")
    await complete(web, "ship")
    await wait_until(lambda: _ended(web, done))
    waiting = await start(web, "order", businessId="order-waiting", variables={"amount": 20})
    await complete(web, "charge")
    stuck = await start(web, "order", businessId="order-stuck")
    await fail(web, "charge", "CardDeclined: card declined")
    await wait_until(lambda: _has_incident(web, stuck))
    return done, waiting, stuck


async def _ended(web: httpx.AsyncClient, key: str) -> bool:
    found: str = (await state(web, key))["state"]
    return found == "COMPLETED"


async def _has_incident(web: httpx.AsyncClient, key: str) -> bool:
    return bool((await state(web, key))["hasIncident"])


async def test_the_processes_page_counts_instances_by_state_and_open_incidents(
    web: httpx.AsyncClient,
) -> None:
    empty = await page(web, "/ui/processes")
    assert "No processes deployed" in empty
    await three_instances(web)
    await deploy(web, drawn_model())  # the same again: no new version
    await deploy(web, drawn_model(task_name="Charge the card"))  # version 2

    html = await page(web, "/ui/processes")

    row = html[html.index('<tr data-process-id="order">') :].split("</tr>")[0]
    assert ">Order</a>" in row and ">v2</a>" in row and ">v1</a>" in row
    counts = dict(re.findall(r'data-state="([A-Z]+)"[^>]*>\s*(?:<a[^>]*>)?([0-9]+)', row))
    assert counts == {"ACTIVE": "2", "COMPLETED": "1", "TERMINATED": "0", "INCIDENT": "1"}
    assert 'href="/ui/instances?process=order&amp;incident=1"' in row
    assert 'aria-current="page">Processes</a>' in html
    nav = html[html.index('<nav aria-label="Dashboard">') :].split("</nav>")[0]
    assert 'href="/ui/processes"' in nav and 'href="/ui/instances"' in nav


async def test_the_instance_list_filters_by_process_state_incident_and_searches(
    web: httpx.AsyncClient,
) -> None:
    done, waiting, stuck = await three_instances(web)
    await deploy(web, model("other", name="Other"))
    other = await start(web, "other")

    assert listed_keys(await page(web, "/ui/instances")) == [other, stuck, waiting, done]
    assert listed_keys(await page(web, "/ui/instances?process=order")) == [stuck, waiting, done]
    assert listed_keys(await page(web, "/ui/instances?process=order&version=1")) == [
        stuck,
        waiting,
        done,
    ]
    assert listed_keys(await page(web, "/ui/instances?process=order&version=2")) == []
    assert listed_keys(await page(web, "/ui/instances?state=COMPLETED")) == [done]
    assert listed_keys(await page(web, "/ui/instances?state=ACTIVE")) == [other, stuck, waiting]
    assert listed_keys(await page(web, "/ui/instances?incident=1")) == [stuck]
    assert listed_keys(await page(web, f"/ui/instances?q={waiting}")) == [waiting]
    assert listed_keys(await page(web, "/ui/instances?q=order-do")) == [done]
    nothing = await page(web, "/ui/instances?q=nobody")
    assert listed_keys(nothing) == [] and "No instances match these filters" in nothing

    refused = await page(web, "/ui/instances?state=SLEEPING", status=400)
    assert "The filter is not valid: state must be one of" in refused
    await page(web, "/ui/instances?version=two", status=400)
    await page(web, "/ui/instances?after=-1", status=400)


async def test_the_instance_list_pages_newest_first(
    web: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sdk.broker.ui import _process_pages

    monkeypatch.setattr(_process_pages, "PAGE_SIZE", 2)
    await deploy(web, model("other"))
    keys = [await start(web, "other") for _ in range(5)][::-1]

    first = await page(web, "/ui/instances?process=other")
    assert listed_keys(first) == keys[:2]
    assert f'href="/ui/instances?after={keys[1]}&amp;process=other">Older instances' in first
    second = await page(web, f"/ui/instances?process=other&after={keys[1]}")
    assert listed_keys(second) == keys[2:4] and "← Newest" in second
    last = await page(web, f"/ui/instances?process=other&after={keys[3]}")
    assert listed_keys(last) == keys[4:] and "Older instances" not in last


async def test_the_instance_page_draws_the_process_with_the_instance_marks(
    web: httpx.AsyncClient,
) -> None:
    done, waiting, stuck = await three_instances(web)

    html = await page(web, f"/ui/instances/{waiting}")
    assert 'href="/ui/static/diagram.css?v=' in html
    assert '<div class="bpmn-scroll"' in html and "<svg" in html
    assert "completed" in element_classes(html, "start")
    assert "completed" in element_classes(html, "charge")
    assert "active" in element_classes(html, "ship")
    assert not {"completed", "active"} & element_classes(html, "done")
    assert "taken" in element_classes(html, "f2") and "taken" in element_classes(html, "to_ship")
    assert "taken" not in element_classes(html, "to_refused")
    assert '<td class="mono">amount</td>' in html and '<code class="value">20</code>' in html
    assert 'data-action="cancel-instance"' in html
    assert "order-waiting" in html

    incident_page = await page(web, f"/ui/instances/{stuck}")
    assert "incident" in element_classes(incident_page, "charge")
    assert "CardDeclined: card declined" in incident_page
    assert 'data-action="resolve"' in incident_page and "Retries to give" in incident_page
    job_link = re.search(r'href="/ui/jobs/([0-9]+)"', incident_page)
    assert job_link is not None
    await page(web, f"/ui/jobs/{job_link.group(1)}")  # the job's own page

    ended = await page(web, f"/ui/instances/{done}")
    for element_id in ("start", "charge", "paid", "ship", "done"):
        assert "completed" in element_classes(ended, element_id)
    assert 'data-action="cancel-instance"' not in ended
    assert "This instance has ended" in ended
    history = ended[ended.index('id="instance-history"') :]
    assert re.findall(r'<tr data-element-id="([a-z_]+)"', history) == [
        "start",
        "charge",
        "paid",
        "ship",
        "done",
    ]


async def test_a_model_without_a_diagram_gets_the_ordered_element_list(
    web: httpx.AsyncClient,
) -> None:
    await deploy(web, model("plain", name="Plain"))
    key = await start(web, "plain")

    html = await page(web, f"/ui/instances/{key}")

    assert "<svg" not in html and "The model has no diagram" in html
    listed = re.findall(r'<li class="listed ([a-z ]*)" data-element-id="([a-z]+)"', html)
    assert listed == [("completed", "start"), ("active", "work"), ("", "end")]


async def test_names_and_variables_are_escaped(web: httpx.AsyncClient) -> None:
    await deploy(web, drawn_model("evil", name=HOSTILE, task_name=HOSTILE))
    key = await start(web, "evil", businessId=HOSTILE, variables={"note": HOSTILE})

    for path in ("/ui/processes", "/ui/instances", f"/ui/instances/{key}"):
        html = await page(web, path)
        assert HOSTILE not in html, path
    assert ESCAPED in await page(web, "/ui/processes")
    instance_html = await page(web, f"/ui/instances/{key}")
    assert "&lt;script&gt;" in instance_html


async def test_unknown_and_invalid_instance_keys(web: httpx.AsyncClient) -> None:
    missing = await page(web, "/ui/instances/2251799813685999", status=404)
    assert "Process instance not found" in missing
    invalid = await page(web, "/ui/instances/abc", status=400)
    assert "Not a process instance key" in invalid


async def test_the_resolve_and_cancel_calls_change_the_instance(web: httpx.AsyncClient) -> None:
    """The calls ui.js makes for the page's actions (the browser suite clicks them)."""
    _, waiting, stuck = await three_instances(web)
    html = await page(web, f"/ui/instances/{stuck}")
    form = re.search(
        r'data-action="resolve" data-incident-key="([0-9]+)" data-job-key="([0-9]+)"', html
    )
    assert form is not None
    incident, job = form.groups()

    cross_site = await web.post(
        f"/v2/incidents/{incident}/resolution",
        json={},
        headers={"Sec-Fetch-Site": "cross-site", "Content-Type": "application/json"},
    )
    assert cross_site.status_code == 403
    retries = await web.patch(
        f"/v2/jobs/{job}", json={"changeset": {"retries": 1}}, headers=SAME_ORIGIN
    )
    assert retries.status_code == 204, retries.text
    resolved = await web.post(f"/v2/incidents/{incident}/resolution", json={}, headers=SAME_ORIGIN)
    assert resolved.status_code == 204, resolved.text
    assert (await state(web, stuck))["hasIncident"] is False
    after = await page(web, f"/ui/instances/{stuck}")
    assert "active" in element_classes(after, "charge")
    assert 'data-action="resolve"' not in after and ">Resolved<" in after

    canceled = await web.post(
        f"/v2/process-instances/{waiting}/cancellation", json={}, headers=SAME_ORIGIN
    )
    assert canceled.status_code == 204, canceled.text
    ended = await page(web, f"/ui/instances/{waiting}")
    assert "terminated" in element_classes(ended, "ship")
    assert 'class="badge state-terminated">Terminated<' in ended
    assert listed_keys(await page(web, "/ui/instances?state=TERMINATED")) == [waiting]
