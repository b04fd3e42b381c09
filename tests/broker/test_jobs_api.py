"""The broker's Camunda 8 REST v2 job routes, spoken over raw HTTP on loopback.

Jobs are created and inspected through the broker's extension routes (``/v2/ext/jobs``).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import anyio
import httpx
import pytest

from sdk.broker import RunningBroker, wall_clock_ms
from sdk.testing import wait_until

pytestmark = pytest.mark.anyio

ACTIVATED_JOB_FIELDS = {
    "type",
    "processDefinitionId",
    "processDefinitionVersion",
    "elementId",
    "customHeaders",
    "worker",
    "retries",
    "deadline",
    "variables",
    "tenantId",
    "jobKey",
    "processInstanceKey",
    "processDefinitionKey",
    "elementInstanceKey",
    "kind",
    "listenerEventType",
    "rootProcessInstanceKey",
    "businessId",
    "tags",
    "userTask",
    "priority",
    "leaseToken",
    "physicalTenantId",
}
"""Every property the v2 spec marks as required on an activated job."""

LONG_LEASE_MS = 60_000
SHORT_LEASE_MS = 200
BOUNDED_WAIT_S = 5.0
IDLE_POLL_MS = 300
IDLE_POLL_MAX_QUERIES = 5
"""An idle long poll looks at the store once, then sleeps until woken or due."""


async def activate(
    http: httpx.AsyncClient,
    job_type: str,
    *,
    max_jobs: int = 10,
    timeout_ms: int = LONG_LEASE_MS,
    request_timeout_ms: int = -1,
    worker: str = "test-worker",
    **fields: Any,
) -> list[dict[str, Any]]:
    """POST /v2/jobs/activation; asserts a 200 and returns the activated jobs."""
    body = {
        "type": job_type,
        "worker": worker,
        "timeout": timeout_ms,
        "maxJobsToActivate": max_jobs,
        "requestTimeout": request_timeout_ms,
        **fields,
    }
    response = await http.post("/jobs/activation", json=body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    jobs: list[dict[str, Any]] = response.json()["jobs"]
    return jobs


async def activate_one(http: httpx.AsyncClient, job_type: str, **fields: Any) -> dict[str, Any]:
    """Activate exactly one job of ``job_type``, which the test knows is there."""
    jobs = await activate(http, job_type, max_jobs=1, **fields)
    assert len(jobs) == 1, jobs
    return jobs[0]


async def create_many(http: httpx.AsyncClient, job_type: str, count: int) -> list[str]:
    """Create ``count`` jobs of ``job_type`` in one batch; their keys in creation order."""
    response = await http.post("/ext/jobs", json={"jobs": [{"type": job_type}] * count})
    assert response.status_code == 201, response.text
    keys: list[str] = response.json()["jobKeys"]
    return keys


async def create(
    http: httpx.AsyncClient, job_type: str, variables: dict[str, Any] | None = None, **spec: Any
) -> str:
    """Create one job (``spec`` in wire names, e.g. ``customHeaders``); returns its key."""
    job = {"type": job_type, "variables": variables or {}, **spec}
    response = await http.post("/ext/jobs", json={"jobs": [job]})
    assert response.status_code == 201, response.text
    (key,) = response.json()["jobKeys"]
    assert isinstance(key, str)
    return key


async def get(http: httpx.AsyncClient, key: str) -> dict[str, Any]:
    """GET /v2/ext/jobs/{key}: the stored job with its history."""
    response = await http.get(f"/ext/jobs/{key}")
    assert response.status_code == 200, response.text
    job: dict[str, Any] = response.json()
    return job


async def long_poll_waiting(broker: RunningBroker, job_type: str) -> None:
    """Wait (bounded) until an activation for ``job_type`` is parked in the broker.

    A parked activation holds the notifier's event for its type; there is no public probe for
    that, so this peeks at the notifier. Creating a job earlier would only make the test weaker
    (the job would be found by the first look, not by the wake-up), never make it fail.
    """

    def parked() -> bool:
        return job_type in broker.store.notifier._events

    await wait_until(parked, timeout_s=BOUNDED_WAIT_S, message=f"a long poll for {job_type!r}")


def count_store_activations(
    broker: RunningBroker, monkeypatch: pytest.MonkeyPatch
) -> Callable[[], int]:
    """Count the activation queries the store runs from now on (a busy-poll detector)."""
    calls = 0
    jobs = broker.store._backend
    original = jobs.activate

    def counting(*args: Any) -> Any:
        nonlocal calls
        calls += 1
        return original(*args)

    monkeypatch.setattr(jobs, "activate", counting)
    return lambda: calls


async def lease_expired(http: httpx.AsyncClient, key: str) -> None:
    """Wait (bounded) until the broker shows the activated job ``key`` as activatable again."""

    async def expired() -> bool:
        return bool((await get(http, key))["state"] == "ACTIVATABLE")

    await wait_until(expired, timeout_s=BOUNDED_WAIT_S, message=f"the lease of job {key} to expire")


def events_of(job: dict[str, Any]) -> list[str]:
    return [entry["event"] for entry in job["history"]]


class TestActivation:
    async def test_returns_only_activatable_jobs_of_the_requested_type(
        self, http: httpx.AsyncClient
    ) -> None:
        wanted = await create_many(http, "charge-card", 2)
        other = await create(http, "ship-parcel")

        jobs = await activate(http, "charge-card")

        assert sorted(job["jobKey"] for job in jobs) == sorted(wanted)
        assert {job["type"] for job in jobs} == {"charge-card"}
        assert await activate(http, "charge-card") == [], "activated jobs are not activatable"
        assert [job["jobKey"] for job in await activate(http, "ship-parcel")] == [other]

    async def test_does_not_hand_out_completed_jobs(self, http: httpx.AsyncClient) -> None:
        key = await create(http, "charge-card")
        job = await activate_one(http, "charge-card", timeout_ms=SHORT_LEASE_MS)
        assert (await http.post(f"/jobs/{key}/completion", json={})).status_code == 204

        # Past the (short) lease, a completed job must still not come back.
        assert await activate(http, "charge-card", request_timeout_ms=2 * SHORT_LEASE_MS) == []
        assert job["jobKey"] == key

    async def test_never_returns_more_than_max_jobs_to_activate(
        self, http: httpx.AsyncClient
    ) -> None:
        created = await create_many(http, "charge-card", 5)

        batches = [await activate(http, "charge-card", max_jobs=2) for _ in range(4)]

        assert [len(batch) for batch in batches] == [2, 2, 1, 0]
        handed_out = [job["jobKey"] for batch in batches for job in batch]
        assert sorted(handed_out) == sorted(created)

    async def test_hands_out_the_oldest_jobs_first(self, http: httpx.AsyncClient) -> None:
        created = await create_many(http, "charge-card", 3)

        jobs = await activate(http, "charge-card", max_jobs=2)

        assert [job["jobKey"] for job in jobs] == created[:2]

    async def test_concurrent_activations_never_hand_out_a_job_twice(
        self, http: httpx.AsyncClient
    ) -> None:
        created = await create_many(http, "charge-card", 12)
        handed_out: list[str] = []

        async def one_activation() -> None:
            handed_out.extend(
                job["jobKey"] for job in await activate(http, "charge-card", max_jobs=3)
            )

        async with anyio.create_task_group() as tg:
            for _ in range(6):
                tg.start_soon(one_activation)

        assert len(handed_out) == len(set(handed_out))
        assert sorted(handed_out) == sorted(created)

    async def test_sets_worker_and_deadline(self, http: httpx.AsyncClient) -> None:
        key = await create(http, "charge-card")
        before_ms = wall_clock_ms()

        job = await activate_one(http, "charge-card", worker="worker-7", timeout_ms=30_000)

        after_ms = wall_clock_ms()
        assert job["worker"] == "worker-7"
        assert before_ms + 30_000 <= job["deadline"] <= after_ms + 30_000
        stored = await get(http, key)
        assert stored["state"] == "ACTIVATED"
        assert stored["worker"] == "worker-7"
        assert stored["deadline"] == job["deadline"]

    async def test_fetch_variable_returns_only_the_named_variables(
        self, http: httpx.AsyncClient
    ) -> None:
        await create(http, "charge-card", {"amount": 12, "currency": "EUR", "card": "4111"})

        job = await activate_one(http, "charge-card", fetchVariable=["amount", "card", "absent"])

        assert job["variables"] == {"amount": 12, "card": "4111"}

    async def test_without_fetch_variable_returns_every_variable(
        self, http: httpx.AsyncClient
    ) -> None:
        variables = {"amount": 12, "nested": {"list": [1, 2, None]}, "flag": True}
        await create(http, "charge-card", variables)

        job = await activate_one(http, "charge-card")

        assert job["variables"] == variables

    async def test_empty_fetch_variable_returns_every_variable(
        self, http: httpx.AsyncClient
    ) -> None:
        await create(http, "charge-card", {"amount": 12, "currency": "EUR"})

        job = await activate_one(http, "charge-card", fetchVariable=[])

        assert job["variables"] == {"amount": 12, "currency": "EUR"}

    async def test_every_field_of_an_activated_job_is_present(
        self, http: httpx.AsyncClient
    ) -> None:
        key = await create(http, "charge-card", {"amount": 12}, customHeaders={"tier": "gold"})

        job = await activate_one(http, "charge-card")

        assert set(job) == ACTIVATED_JOB_FIELDS
        assert job["jobKey"] == key
        assert job["type"] == "charge-card"
        assert job["retries"] == 3
        assert job["customHeaders"] == {"tier": "gold"}
        assert job["tenantId"] == "<default>"
        assert job["tags"] == []
        for key_field in (
            "jobKey",
            "processInstanceKey",
            "processDefinitionKey",
            "elementInstanceKey",
        ):
            assert isinstance(job[key_field], str), key_field
        for empty in ("rootProcessInstanceKey", "businessId", "userTask", "leaseToken"):
            assert job[empty] is None, empty


class TestLongPolling:
    async def test_idle_long_poll_answers_empty_after_the_request_timeout(
        self, http: httpx.AsyncClient
    ) -> None:
        started = time.monotonic()

        response = await http.post(
            "/jobs/activation",
            json={"type": "idle", "timeout": 1000, "maxJobsToActivate": 1, "requestTimeout": 500},
        )

        elapsed = time.monotonic() - started
        assert response.status_code == 200
        assert response.json() == {"jobs": []}
        assert 0.45 <= elapsed < 3.0

    async def test_negative_request_timeout_answers_at_once(self, http: httpx.AsyncClient) -> None:
        started = time.monotonic()

        response = await http.post(
            "/jobs/activation",
            json={"type": "idle", "timeout": 1000, "maxJobsToActivate": 1, "requestTimeout": -1},
        )

        assert response.status_code == 200
        assert response.json() == {"jobs": []}
        assert time.monotonic() - started < 1.0

    async def test_job_created_while_waiting_is_returned_promptly(
        self, http: httpx.AsyncClient, broker: RunningBroker
    ) -> None:
        received: list[dict[str, Any]] = []
        key: str | None = None

        async def poll() -> None:
            received.extend(await activate(http, "late-job", request_timeout_ms=10_000))

        async with anyio.create_task_group() as tg:
            tg.start_soon(poll)
            await long_poll_waiting(broker, "late-job")
            created_at = time.monotonic()
            key = await create(http, "late-job")
        latency = time.monotonic() - created_at

        assert [job["jobKey"] for job in received] == [key]
        assert latency < 2.0, f"the waiting activation took {latency:.2f}s to see the new job"

    async def test_waiting_activation_ignores_jobs_of_other_types(
        self, http: httpx.AsyncClient, broker: RunningBroker
    ) -> None:
        received: list[dict[str, Any]] = []

        async def poll() -> None:
            received.extend(await activate(http, "charge-card", request_timeout_ms=IDLE_POLL_MS))

        async with anyio.create_task_group() as tg:
            tg.start_soon(poll)
            await long_poll_waiting(broker, "charge-card")
            other = await create(http, "ship-parcel")

        assert received == []
        assert [job["jobKey"] for job in await activate(http, "ship-parcel")] == [other]

    async def test_waiting_beside_another_tenants_job_does_not_busy_poll(
        self, http: httpx.AsyncClient, broker: RunningBroker, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        await http.post("/ext/jobs", json={"jobs": [{"type": "charge-card", "tenantId": "other"}]})
        queries = count_store_activations(broker, monkeypatch)

        jobs = await activate(
            http, "charge-card", request_timeout_ms=IDLE_POLL_MS, tenantIds=["<default>"]
        )

        assert jobs == []
        assert queries() <= IDLE_POLL_MAX_QUERIES, f"{queries()} store queries in {IDLE_POLL_MS} ms"

    async def test_waiting_beside_a_leased_job_does_not_busy_poll(
        self,
        http: httpx.AsyncClient,
        broker: RunningBroker,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        key = await create(http, "charge-card")
        await activate_one(http, "charge-card", timeout_ms=SHORT_LEASE_MS, withLease=True)
        await lease_expired(http, key)
        queries = count_store_activations(broker, monkeypatch)

        assert await activate(http, "charge-card", request_timeout_ms=IDLE_POLL_MS) == []
        assert queries() <= IDLE_POLL_MAX_QUERIES, f"{queries()} store queries in {IDLE_POLL_MS} ms"

    async def test_idle_long_poll_does_not_busy_poll(
        self, http: httpx.AsyncClient, broker: RunningBroker, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        queries = count_store_activations(broker, monkeypatch)

        assert await activate(http, "idle", request_timeout_ms=IDLE_POLL_MS) == []
        assert queries() <= IDLE_POLL_MAX_QUERIES, f"{queries()} store queries in {IDLE_POLL_MS} ms"


class TestCompletion:
    async def test_complete_answers_204_with_an_empty_body(self, http: httpx.AsyncClient) -> None:
        key = await create(http, "charge-card")
        await activate_one(http, "charge-card")

        response = await http.post(f"/jobs/{key}/completion", json={"variables": {"paid": True}})

        assert response.status_code == 204
        assert response.content == b""

    async def test_complete_merges_variables_into_the_job(self, http: httpx.AsyncClient) -> None:
        key = await create(http, "charge-card", {"amount": 12, "status": "new"})
        await activate_one(http, "charge-card")

        response = await http.post(
            f"/jobs/{key}/completion", json={"variables": {"status": "paid", "receipt": "r-1"}}
        )

        assert response.status_code == 204
        stored = await get(http, key)
        assert stored["state"] == "COMPLETED"
        assert stored["variables"] == {"amount": 12, "status": "paid", "receipt": "r-1"}
        assert [entry["event"] for entry in stored["history"]] == [
            "CREATED",
            "ACTIVATED",
            "COMPLETED",
        ]

    async def test_complete_without_a_body_keeps_the_variables(
        self, http: httpx.AsyncClient
    ) -> None:
        key = await create(http, "charge-card", {"amount": 12})
        await activate_one(http, "charge-card")

        assert (await http.post(f"/jobs/{key}/completion")).status_code == 204

        stored = await get(http, key)
        assert stored["state"] == "COMPLETED"
        assert stored["variables"] == {"amount": 12}

    async def test_completing_twice_answers_404(self, http: httpx.AsyncClient) -> None:
        key = await create(http, "charge-card")
        await activate_one(http, "charge-card")
        assert (await http.post(f"/jobs/{key}/completion", json={})).status_code == 204

        again = await http.post(f"/jobs/{key}/completion", json={"variables": {"twice": True}})

        assert again.status_code == 404
        assert again.headers["content-type"] == "application/problem+json"
        assert "twice" not in (await get(http, key))["variables"]


class TestFailure:
    async def test_fail_with_retries_returns_the_job_after_its_back_off(
        self, http: httpx.AsyncClient
    ) -> None:
        key = await create(http, "charge-card", retries=3)
        await activate_one(http, "charge-card")
        started = time.monotonic()

        response = await http.post(
            f"/jobs/{key}/failure",
            json={
                "retries": 2,
                "errorMessage": "card declined",
                "retryBackOff": 300,
                "variables": {"attempt": 1},
            },
        )

        assert response.status_code == 204
        assert response.content == b""
        assert await activate(http, "charge-card") == [], "the back-off must be honoured"
        jobs = await activate(http, "charge-card", request_timeout_ms=5_000)
        elapsed = time.monotonic() - started
        assert [job["jobKey"] for job in jobs] == [key]
        assert jobs[0]["retries"] == 2
        assert jobs[0]["variables"] == {"attempt": 1}
        assert 0.29 <= elapsed < 4.0
        stored = await get(http, key)
        assert stored["errorMessage"] == "card declined"
        assert events_of(stored) == ["CREATED", "ACTIVATED", "FAILED", "ACTIVATED"]

    async def test_fail_with_retries_and_no_back_off_is_activatable_at_once(
        self, http: httpx.AsyncClient
    ) -> None:
        key = await create(http, "charge-card")
        await activate_one(http, "charge-card")

        response = await http.post(f"/jobs/{key}/failure", json={"retries": 1})

        assert response.status_code == 204
        assert [job["jobKey"] for job in await activate(http, "charge-card")] == [key]

    async def test_fail_without_retries_raises_an_incident(self, http: httpx.AsyncClient) -> None:
        key = await create(http, "charge-card")
        await activate_one(http, "charge-card")

        response = await http.post(
            f"/jobs/{key}/failure", json={"retries": 0, "errorMessage": "out of retries"}
        )

        assert response.status_code == 204
        stored = await get(http, key)
        assert stored["state"] == "INCIDENT"
        assert stored["retries"] == 0
        assert stored["errorMessage"] == "out of retries"
        assert events_of(stored)[-1] == "INCIDENT"
        assert await activate(http, "charge-card") == []


class TestUpdate:
    async def test_patching_retries_resolves_an_incident(self, http: httpx.AsyncClient) -> None:
        key = await create(http, "charge-card")
        await activate_one(http, "charge-card")
        await http.post(f"/jobs/{key}/failure", json={"retries": 0})

        response = await http.patch(f"/jobs/{key}", json={"changeset": {"retries": 4}})

        assert response.status_code == 204
        assert response.content == b""
        jobs = await activate(http, "charge-card")
        assert [(job["jobKey"], job["retries"]) for job in jobs] == [(key, 4)]

    async def test_patching_retries_wakes_a_waiting_activation(
        self, http: httpx.AsyncClient, broker: RunningBroker
    ) -> None:
        key = await create(http, "charge-card")
        await activate_one(http, "charge-card")
        await http.post(f"/jobs/{key}/failure", json={"retries": 0})
        received: list[dict[str, Any]] = []

        async def poll() -> None:
            received.extend(await activate(http, "charge-card", request_timeout_ms=10_000))

        async with anyio.create_task_group() as tg:
            tg.start_soon(poll)
            await long_poll_waiting(broker, "charge-card")
            patched_at = time.monotonic()
            await http.patch(f"/jobs/{key}", json={"changeset": {"retries": 1}})
        latency = time.monotonic() - patched_at

        assert [job["jobKey"] for job in received] == [key]
        assert latency < 2.0

    async def test_patching_timeout_extends_the_deadline(self, http: httpx.AsyncClient) -> None:
        key = await create(http, "charge-card")
        job = await activate_one(http, "charge-card", timeout_ms=SHORT_LEASE_MS)
        before_ms = wall_clock_ms()

        response = await http.patch(f"/jobs/{key}", json={"changeset": {"timeout": 60_000}})

        after_ms = wall_clock_ms()
        assert response.status_code == 204
        stored = await get(http, key)
        assert stored["deadline"] is not None
        assert before_ms + 60_000 <= stored["deadline"] <= after_ms + 60_000
        assert stored["deadline"] > job["deadline"]
        # Past the original lease the job is still ours: not handed out, and completable.
        assert await activate(http, "charge-card", request_timeout_ms=2 * SHORT_LEASE_MS) == []
        assert (await http.post(f"/jobs/{key}/completion", json={})).status_code == 204


class TestThrowError:
    async def test_throw_error_records_code_and_message(self, http: httpx.AsyncClient) -> None:
        key = await create(http, "charge-card", {"amount": 12})
        await activate_one(http, "charge-card")

        response = await http.post(
            f"/jobs/{key}/error",
            json={
                "errorCode": "CARD_EXPIRED",
                "errorMessage": "the card expired in 2020",
                "variables": {"reason": "expired"},
            },
        )

        assert response.status_code == 204
        assert response.content == b""
        stored = await get(http, key)
        assert stored["state"] == "ERROR_THROWN"
        assert stored["errorCode"] == "CARD_EXPIRED"
        assert stored["errorMessage"] == "the card expired in 2020"
        assert stored["variables"] == {"amount": 12, "reason": "expired"}
        assert await activate(http, "charge-card") == []
        assert (await http.post(f"/jobs/{key}/completion", json={})).status_code == 404


class TestActivationTimeout:
    async def test_expired_activation_is_handed_out_again(self, http: httpx.AsyncClient) -> None:
        key = await create(http, "charge-card")
        first = await activate_one(
            http, "charge-card", worker="vanished", timeout_ms=SHORT_LEASE_MS
        )
        started = time.monotonic()

        again = await activate(http, "charge-card", worker="rescuer", request_timeout_ms=5_000)

        assert time.monotonic() - started < 4.0
        assert [job["jobKey"] for job in again] == [first["jobKey"]] == [key]
        assert again[0]["worker"] == "rescuer"
        stored = await get(http, key)
        assert stored["worker"] == "rescuer"
        assert [(e["event"], e["worker"]) for e in stored["history"]] == [
            ("CREATED", None),
            ("ACTIVATED", "vanished"),
            ("TIMED_OUT", "vanished"),
            ("ACTIVATED", "rescuer"),
        ]

    async def test_completing_after_the_activation_expired_answers_409(
        self, http: httpx.AsyncClient
    ) -> None:
        key = await create(http, "charge-card")
        await activate_one(http, "charge-card", timeout_ms=SHORT_LEASE_MS)
        await lease_expired(http, key)

        response = await http.post(f"/jobs/{key}/completion", json={"variables": {"late": 1}})

        assert response.status_code == 409
        assert response.headers["content-type"] == "application/problem+json"
        stored = await get(http, key)
        assert stored["state"] == "ACTIVATABLE"
        assert "late" not in stored["variables"]


class TestLeases:
    async def test_every_leased_activation_gets_a_distinct_lease_token(
        self, http: httpx.AsyncClient
    ) -> None:
        await create_many(http, "charge-card", 2)

        jobs = await activate(http, "charge-card", withLease=True)

        tokens = [job["leaseToken"] for job in jobs]
        assert len(tokens) == 2
        assert all(isinstance(token, str) and token for token in tokens)
        assert len(set(tokens)) == 2
        assert all(set(job) >= ACTIVATED_JOB_FIELDS for job in jobs)

    async def test_a_leased_job_is_reported_with_its_lease_token_only(
        self, http: httpx.AsyncClient
    ) -> None:
        key = await create(http, "charge-card")
        job = await activate_one(http, "charge-card", withLease=True)

        without = await http.post(f"/jobs/{key}/completion", json={})
        forged = await http.post(f"/jobs/{key}/completion", json={"leaseToken": "forged"})
        leased = await http.post(f"/jobs/{key}/completion", json={"leaseToken": job["leaseToken"]})

        assert [without.status_code, forged.status_code, leased.status_code] == [409, 409, 204]
        assert (await get(http, key))["state"] == "COMPLETED"

    async def test_stale_lease_token_answers_409_and_leaves_the_new_activation_alone(
        self, http: httpx.AsyncClient
    ) -> None:
        key = await create(http, "charge-card")
        first = await activate_one(
            http, "charge-card", worker="old", timeout_ms=SHORT_LEASE_MS, withLease=True
        )
        (second,) = await activate(
            http, "charge-card", worker="new", request_timeout_ms=5_000, withLease=True
        )
        assert second["jobKey"] == key
        assert second["leaseToken"] != first["leaseToken"]
        stale = {"leaseToken": first["leaseToken"]}

        completion = await http.post(f"/jobs/{key}/completion", json=stale)
        failure = await http.post(f"/jobs/{key}/failure", json={**stale, "retries": 0})
        error = await http.post(f"/jobs/{key}/error", json={**stale, "errorCode": "X"})

        assert [completion.status_code, failure.status_code, error.status_code] == [409] * 3
        for response in (completion, failure, error):
            assert response.headers["content-type"] == "application/problem+json"
        stored = await get(http, key)
        assert (stored["state"], stored["worker"], stored["retries"]) == ("ACTIVATED", "new", 3)
        current = {"leaseToken": second["leaseToken"]}
        assert (await http.post(f"/jobs/{key}/completion", json=current)).status_code == 204

    async def test_a_leased_job_is_served_only_to_leasing_workers(
        self, http: httpx.AsyncClient
    ) -> None:
        key = await create(http, "charge-card")
        await activate_one(http, "charge-card", timeout_ms=SHORT_LEASE_MS, withLease=True)
        await lease_expired(http, key)

        assert await activate(http, "charge-card") == []
        assert [job["jobKey"] for job in await activate(http, "charge-card", withLease=True)] == [
            key
        ]


class TestTopology:
    async def test_topology_describes_one_healthy_broker(
        self, http: httpx.AsyncClient, broker: RunningBroker
    ) -> None:
        response = await http.get("/topology")

        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        body = response.json()
        assert set(body) == {
            "brokers",
            "clusterId",
            "clusterSize",
            "partitionsCount",
            "replicationFactor",
            "gatewayVersion",
            "lastCompletedChangeId",
        }
        assert (body["clusterSize"], body["partitionsCount"], body["replicationFactor"]) == (
            1,
            1,
            1,
        )
        assert isinstance(body["gatewayVersion"], str) and body["gatewayVersion"]
        (node,) = body["brokers"]
        assert node["host"] == "127.0.0.1"
        assert node["port"] == httpx.URL(broker.url).port
        assert node["version"] == body["gatewayVersion"]
        assert node["partitions"] == [
            {"partitionId": 1, "role": "leader", "health": "healthy", "state": "active"}
        ]


class TestKeepAlive:
    async def test_keep_alive_requests_answer_without_delay(self, broker: RunningBroker) -> None:
        durations: list[float] = []
        async with httpx.AsyncClient(base_url=broker.url, verify=False) as keep_alive:
            for _ in range(8):
                started = time.monotonic()
                assert (await keep_alive.get("/topology")).status_code == 200
                durations.append(time.monotonic() - started)

        assert statistics.median(durations) < 0.02, durations
