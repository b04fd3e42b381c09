"""The broker's own routes under ``/v2/ext``: create, read, search jobs and discover them."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import pytest

import sdk
from sdk.client import AsyncClient
from sdk.models import JobState
from sdk.testing import wait_until

pytestmark = pytest.mark.anyio

JOB_FIELDS = {
    "jobKey",
    "type",
    "state",
    "retries",
    "worker",
    "deadline",
    "variables",
    "customHeaders",
    "errorCode",
    "errorMessage",
    "tenantId",
    "createdAt",
    "updatedAt",
    "history",
    "runAt",
    "priority",
    "scheduled",
    "progress",
    "progressMessage",
    "progressAt",
}
EVENT_FIELDS = {"at", "event", "worker", "retries", "message"}


async def create(http: httpx.AsyncClient, *specs: dict[str, Any]) -> list[str]:
    """POST /v2/ext/jobs; asserts a 201 and returns the new keys."""
    response = await http.post("/ext/jobs", json={"jobs": list(specs)})
    assert response.status_code == 201, response.text
    assert response.headers["content-type"] == "application/json"
    keys: list[str] = response.json()["jobKeys"]
    return keys


async def search(http: httpx.AsyncClient, **filters: Any) -> dict[str, Any]:
    """POST /v2/ext/jobs/search; asserts a 200 and returns the page."""
    response = await http.post("/ext/jobs/search", json=filters)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    assert set(page) == {"items", "nextCursor"}
    return page


def keys_of(page: dict[str, Any]) -> list[str]:
    return [item["jobKey"] for item in page["items"]]


class TestCreation:
    async def test_batch_create_answers_201_with_increasing_keys(
        self, http: httpx.AsyncClient
    ) -> None:
        first = await create(http, {"type": "a"}, {"type": "b"}, {"type": "a"})
        second = await create(http, {"type": "a"})

        keys = first + second
        assert len(first) == 3
        assert all(isinstance(key, str) and key.isdecimal() for key in keys)
        assert [int(key) for key in keys] == sorted(int(key) for key in keys)
        assert len(set(keys)) == len(keys)

    async def test_the_answer_carries_the_commit_time_and_a_replay_does_not(
        self, http: httpx.AsyncClient
    ) -> None:
        body = {"jobs": [{"type": "a"}]}
        before = time.time()
        created = await http.post("/ext/jobs", json=body, headers={"Idempotency-Key": "k1"})
        after = time.time()
        replayed = await http.post("/ext/jobs", json=body, headers={"Idempotency-Key": "k1"})

        stamp = created.headers["Committed-At"]
        assert re.fullmatch(r"[0-9]+\.[0-9]{6}", stamp)
        assert before <= float(stamp) <= after
        assert replayed.headers["Idempotent-Replayed"] == "true"
        assert "Committed-At" not in replayed.headers  # nothing was committed this time

    async def test_created_jobs_are_activatable_with_their_data(
        self, http: httpx.AsyncClient
    ) -> None:
        (key,) = await create(
            http,
            {
                "type": "charge-card",
                "variables": {"amount": 12},
                "customHeaders": {"tier": "gold"},
                "retries": 5,
            },
        )

        job = (await http.get(f"/ext/jobs/{key}")).json()

        assert job["state"] == "ACTIVATABLE"
        assert job["retries"] == 5
        assert job["variables"] == {"amount": 12}
        assert job["customHeaders"] == {"tier": "gold"}
        assert job["tenantId"] == "<default>"

    async def test_created_job_defaults_to_three_retries(self, http: httpx.AsyncClient) -> None:
        (key,) = await create(http, {"type": "charge-card"})

        job = (await http.get(f"/ext/jobs/{key}")).json()

        assert (job["retries"], job["variables"], job["customHeaders"]) == (3, {}, {})

    @pytest.mark.parametrize(
        "bad_spec",
        [{"type": ""}, {"type": "a", "retries": 0}, {"type": "a", "customHeaders": {"n": 1}}],
        ids=["empty-type", "zero-retries", "non-string-header"],
    )
    async def test_an_invalid_spec_rejects_the_whole_batch(
        self, http: httpx.AsyncClient, bad_spec: dict[str, Any]
    ) -> None:
        response = await http.post("/ext/jobs", json={"jobs": [{"type": "a"}, bad_spec]})

        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"
        assert (await search(http))["items"] == []

    async def test_an_empty_batch_is_rejected(self, http: httpx.AsyncClient) -> None:
        response = await http.post("/ext/jobs", json={"jobs": []})

        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"


class TestGetJob:
    async def test_returns_every_field_and_the_history(
        self, http: httpx.AsyncClient, api: AsyncClient
    ) -> None:
        (key,) = await create(http, {"type": "charge-card", "retries": 2})
        await api.activate_jobs(
            "charge-card", max_jobs=1, timeout_ms=60_000, worker="w-1", request_timeout_ms=-1
        )
        await api.fail_job(key, retries=1, error_message="declined")
        await api.activate_jobs(
            "charge-card", max_jobs=1, timeout_ms=60_000, worker="w-2", request_timeout_ms=-1
        )
        await api.complete_job(key, {"paid": True})

        response = await http.get(f"/ext/jobs/{key}")

        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        job = response.json()
        assert set(job) == JOB_FIELDS
        assert job["jobKey"] == key
        assert job["state"] == "COMPLETED"
        assert job["deadline"] is None
        assert job["errorCode"] is None
        assert job["createdAt"] <= job["updatedAt"]
        history = job["history"]
        assert all(set(entry) == EVENT_FIELDS for entry in history)
        assert [(e["event"], e["worker"], e["retries"], e["message"]) for e in history] == [
            ("CREATED", None, 2, None),
            ("ACTIVATED", "w-1", None, None),
            ("FAILED", "w-1", 1, "declined"),
            ("ACTIVATED", "w-2", None, None),
            ("COMPLETED", "w-2", None, None),
        ]
        times = [entry["at"] for entry in history]
        assert times == sorted(times)
        assert times[0] == job["createdAt"]

    async def test_an_activated_job_shows_its_worker_and_deadline(
        self, http: httpx.AsyncClient, api: AsyncClient
    ) -> None:
        (key,) = await create(http, {"type": "charge-card"})
        (activated,) = await api.activate_jobs(
            "charge-card", max_jobs=1, timeout_ms=60_000, worker="w-1", request_timeout_ms=-1
        )

        job = (await http.get(f"/ext/jobs/{key}")).json()

        assert (job["state"], job["worker"], job["deadline"]) == (
            "ACTIVATED",
            "w-1",
            activated.deadline,
        )


class TestSearch:
    async def test_filters_by_type(self, http: httpx.AsyncClient) -> None:
        cards = await create(http, {"type": "charge-card"}, {"type": "charge-card"})
        await create(http, {"type": "ship-parcel"})

        page = await search(http, type="charge-card")

        assert sorted(keys_of(page)) == sorted(cards)
        assert {item["type"] for item in page["items"]} == {"charge-card"}
        assert page["nextCursor"] is None

    async def test_filters_by_state(self, http: httpx.AsyncClient, api: AsyncClient) -> None:
        done, failed, running, waiting = await create(http, *[{"type": "t"}] * 4)
        await api.activate_jobs("t", max_jobs=3, timeout_ms=60_000, request_timeout_ms=-1)
        await api.complete_job(done)
        await api.fail_job(failed, retries=0)

        by_state = {
            state: keys_of(await search(http, state=state.value))
            for state in (JobState.COMPLETED, JobState.INCIDENT, JobState.ACTIVATED)
        }
        by_state[JobState.ACTIVATABLE] = keys_of(await search(http, state="ACTIVATABLE"))

        assert by_state == {
            JobState.COMPLETED: [done],
            JobState.INCIDENT: [failed],
            JobState.ACTIVATED: [running],
            JobState.ACTIVATABLE: [waiting],
        }

    async def test_filters_by_type_and_state_together(
        self, http: httpx.AsyncClient, api: AsyncClient
    ) -> None:
        (card,) = await create(http, {"type": "charge-card"})
        await create(http, {"type": "ship-parcel"})
        await api.activate_jobs("charge-card", max_jobs=1, timeout_ms=60_000, request_timeout_ms=-1)

        assert keys_of(await search(http, type="charge-card", state="ACTIVATED")) == [card]
        assert keys_of(await search(http, type="ship-parcel", state="ACTIVATED")) == []

    async def test_an_expired_activation_counts_as_activatable(
        self, http: httpx.AsyncClient, api: AsyncClient
    ) -> None:
        (key,) = await create(http, {"type": "charge-card"})
        await api.activate_jobs("charge-card", max_jobs=1, timeout_ms=200, request_timeout_ms=-1)

        async def expired() -> bool:
            return keys_of(await search(http, state="ACTIVATABLE")) == [key]

        await wait_until(expired, timeout_s=5.0, message="the lease to expire")
        assert keys_of(await search(http, state="ACTIVATED")) == []

    async def test_pages_newest_first_without_duplicates(self, http: httpx.AsyncClient) -> None:
        created = await create(http, *[{"type": "page", "variables": {"i": i}} for i in range(25)])
        await create(http, {"type": "noise"})
        pages: list[dict[str, Any]] = [await search(http, type="page", limit=10)]
        while pages[-1]["nextCursor"] is not None:
            assert len(pages) < 10, "the cursor never ends"
            pages.append(await search(http, type="page", limit=10, after=pages[-1]["nextCursor"]))

        assert [len(page["items"]) for page in pages] == [10, 10, 5]
        seen = [key for page in pages for key in keys_of(page)]
        assert len(seen) == len(set(seen))
        assert seen == sorted(created, key=int, reverse=True)
        assert all(item["history"] is None for page in pages for item in page["items"])

    async def test_empty_body_lists_every_job(self, http: httpx.AsyncClient) -> None:
        keys = await create(http, {"type": "a"}, {"type": "b"})

        response = await http.post("/ext/jobs/search")

        assert response.status_code == 200
        assert keys_of(response.json()) == keys[::-1]

    @pytest.mark.parametrize(
        "body",
        [{"limit": 0}, {"limit": 1001}, {"state": "SLEEPING"}, {"after": "abc"}],
        ids=["limit-0", "limit-over-max", "unknown-state", "cursor-not-numeric"],
    )
    async def test_invalid_search_answers_400(
        self, http: httpx.AsyncClient, body: dict[str, Any]
    ) -> None:
        response = await http.post("/ext/jobs/search", json=body)

        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"


class TestCapabilities:
    async def test_lists_the_extensions(self, http: httpx.AsyncClient) -> None:
        response = await http.get("/ext/capabilities")

        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        body = response.json()
        assert set(body) == {"server", "version", "extensions"}
        assert body["server"] == "sdk-broker"
        assert body["version"] == sdk.__version__
        assert {"jobs.create", "jobs.get", "jobs.search"} <= set(body["extensions"])

    async def test_the_client_discovers_the_extensions(self, api: AsyncClient) -> None:
        capabilities = await api.capabilities()

        assert capabilities is not None
        assert "jobs.create" in capabilities.extensions
