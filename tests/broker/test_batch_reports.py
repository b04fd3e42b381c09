"""The batch-report extension answers each report as its per-job Camunda call would."""

from __future__ import annotations

import httpx
import pytest

from sdk.broker import RunningBroker
from sdk.client import AsyncClient
from sdk.models import JobState

pytestmark = pytest.mark.anyio


async def test_reports_in_one_request_each_get_their_own_answer(
    sdk_broker: RunningBroker, sdk_client: AsyncClient
) -> None:
    keys = [await sdk_client.create_job("b", {"n": n}, retries=2) for n in range(4)]
    activated = await sdk_client.activate_jobs("b", max_jobs=4, timeout_ms=60_000, worker="w")
    assert len(activated) == 4
    reports = [
        {"jobKey": keys[0], "kind": "complete", "variables": {"ok": True}},
        {"jobKey": keys[1], "kind": "fail", "retries": 1, "errorMessage": "boom"},
        {"jobKey": keys[2], "kind": "error", "errorCode": "NOPE", "errorMessage": "no"},
        {"jobKey": keys[3], "kind": "fail", "retries": 0, "errorMessage": "dead"},
        {"jobKey": keys[0], "kind": "complete"},  # twice: the second is a 404, alone
        {"jobKey": "2251799813685200", "kind": "complete"},
    ]
    async with httpx.AsyncClient(base_url=sdk_broker.url) as http:
        response = await http.post("/ext/jobs/reports", json={"reports": reports})
    assert response.status_code == 200
    statuses = [(r["jobKey"], r["status"]) for r in response.json()["results"]]
    assert statuses == [
        (keys[0], 204),
        (keys[1], 204),
        (keys[2], 204),
        (keys[3], 204),
        (keys[0], 404),
        ("2251799813685200", 404),
    ]
    states = [(await sdk_client.get_job(k)).state for k in keys]
    assert states == [
        JobState.COMPLETED,
        JobState.ACTIVATABLE,
        JobState.ERROR_THROWN,
        JobState.INCIDENT,
    ]
    assert (await sdk_client.get_job(keys[0])).variables == {"n": 0, "ok": True}


@pytest.mark.parametrize(
    "body",
    [
        {"reports": []},
        {"reports": [{"jobKey": "1", "kind": "explode"}]},
        {"reports": [{"jobKey": "abc", "kind": "complete"}]},
        {"reports": [{"jobKey": "1", "kind": "error"}]},
        {"reports": [{"jobKey": "99999999999999999999", "kind": "complete"}]},
    ],
)
async def test_a_malformed_batch_is_rejected_whole(
    sdk_broker: RunningBroker, body: dict[str, object]
) -> None:
    async with httpx.AsyncClient(base_url=sdk_broker.url) as http:
        response = await http.post("/ext/jobs/reports", json=body)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


async def test_the_extension_is_advertised(sdk_client: AsyncClient) -> None:
    capabilities = await sdk_client.capabilities()
    assert capabilities is not None
    assert "jobs.report-batch" in capabilities.extensions
