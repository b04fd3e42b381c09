"""``Idempotency-Key`` on ``POST /v2/ext/jobs``: a repeat answers the same jobs, creates none."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from sdk.broker import BrokerAuth, BrokerUser, JobStore, create_app
from sdk.broker.store import StoreVersionError
from sdk.broker.store.sqlite import SCHEMA_VERSION, SqliteJobs
from sdk.client import AsyncClient
from sdk.errors import BadRequestError, IdempotencyKeyReusedError
from sdk.models import JobCreationRequest, JobSpec

from _support.clocks import FakeClock

pytestmark = pytest.mark.anyio

ONE_JOB = {"jobs": [{"type": "idem", "variables": {"n": 1}}]}


async def post(http: httpx.AsyncClient, body: dict[str, Any], key: str | None) -> httpx.Response:
    headers = {} if key is None else {"Idempotency-Key": key}
    return await http.post("/ext/jobs", json=body, headers=headers)


async def job_count(http: httpx.AsyncClient, job_type: str = "idem") -> int:
    response = await http.post("/ext/jobs/search", json={"type": job_type})
    return len(response.json()["items"])


class TestOverHttp:
    async def test_a_repeat_answers_the_same_keys_and_creates_nothing(
        self, http: httpx.AsyncClient
    ) -> None:
        first = await post(http, ONE_JOB, "k-1")
        again = await post(http, ONE_JOB, "k-1")
        assert first.status_code == again.status_code == 201
        assert again.json()["jobKeys"] == first.json()["jobKeys"]
        assert "idempotent-replayed" not in first.headers
        assert again.headers["idempotent-replayed"] == "true"
        assert await job_count(http) == 1

    async def test_the_same_key_with_another_body_is_422_and_creates_nothing(
        self, http: httpx.AsyncClient
    ) -> None:
        assert (await post(http, ONE_JOB, "k-2")).status_code == 201
        other = {"jobs": [{"type": "idem", "variables": {"n": 2}}]}
        response = await post(http, other, "k-2")
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["title"] == "IDEMPOTENCY_KEY_REUSED"
        assert "different request body" in problem["detail"]
        assert await job_count(http) == 1

    async def test_the_body_is_compared_as_parsed_not_as_spelled(
        self, http: httpx.AsyncClient
    ) -> None:
        first = await post(http, ONE_JOB, "k-3")
        spelled_out = {"jobs": [{"variables": {"n": 1}, "retries": 3, "type": "idem"}]}
        again = await post(http, spelled_out, '"k-3"')  # the draft's quoted form: same key
        assert again.json()["jobKeys"] == first.json()["jobKeys"]
        assert await job_count(http) == 1

    async def test_without_a_key_every_request_creates(self, http: httpx.AsyncClient) -> None:
        await post(http, ONE_JOB, None)
        await post(http, ONE_JOB, None)
        assert await job_count(http) == 2

    @pytest.mark.parametrize("bad", ["", '""', "x" * 256, "ключ", "a\tb"])
    async def test_a_malformed_key_is_400(self, http: httpx.AsyncClient, bad: str) -> None:
        response = await http.post(
            "/ext/jobs", json=ONE_JOB, headers={b"Idempotency-Key": bad.encode()}
        )
        assert response.status_code == 400
        assert "Idempotency-Key" in response.json()["detail"]
        assert await job_count(http) == 0

    async def test_capabilities_announce_it(self, http: httpx.AsyncClient) -> None:
        extensions = (await http.get("/ext/capabilities")).json()["extensions"]
        assert "jobs.create.idempotency-key" in extensions


class TestClient:
    async def test_create_jobs_with_a_key_twice_answers_the_same_keys(
        self, api: AsyncClient, http: httpx.AsyncClient
    ) -> None:
        specs = [JobSpec(type="idem"), JobSpec(type="idem")]
        first = await api.create_jobs(specs, idempotency_key="batch-7")
        assert await api.create_jobs(specs, idempotency_key="batch-7") == first
        assert await job_count(http) == 2

    async def test_the_same_key_for_other_jobs_raises_a_typed_error(self, api: AsyncClient) -> None:
        await api.create_job("idem", idempotency_key="one-key")
        with pytest.raises(IdempotencyKeyReusedError) as caught:
            await api.create_job("idem", {"other": True}, idempotency_key="one-key")
        assert caught.value.status == 422

    async def test_each_call_without_a_key_gets_a_fresh_one(
        self, api: AsyncClient, http: httpx.AsyncClient
    ) -> None:
        a = await api.create_job("idem")
        b = await api.create_job("idem")
        assert a != b
        assert await job_count(http) == 2

    async def test_a_malformed_key_is_a_bad_request(self, api: AsyncClient) -> None:
        with pytest.raises(BadRequestError):
            await api.create_job("idem", idempotency_key="x" * 300)


class TestTheStore:
    async def test_keys_expire_after_the_retention_window(self) -> None:
        clock = FakeClock(1_000_000)
        store = JobStore(clock=clock, idempotency_retention_ms=60_000)
        body = JobCreationRequest(jobs=[JobSpec(type="idem")])
        try:
            first, replayed = await store.create_once(body, scope="", key="k")
            assert not replayed
            clock.advance(59_999)
            assert await store.create_once(body, scope="", key="k") == (first, True)
            clock.advance(1)
            second, replayed = await store.create_once(body, scope="", key="k")
            assert not replayed and second != first
        finally:
            await store.aclose()

    async def test_keys_survive_reopening_the_file(self, tmp_path: Path) -> None:
        path = tmp_path / "jobs.sqlite3"
        body = JobCreationRequest(jobs=[JobSpec(type="idem")])
        store = JobStore(path)
        try:
            first, _ = await store.create_once(body, scope="", key="k")
        finally:
            await store.aclose()
        store = JobStore(path)
        try:
            assert await store.create_once(body, scope="", key="k") == (first, True)
            found, _ = await store.search("idem", None, 10, None)
            assert [job.job_key for job in found] == first
        finally:
            await store.aclose()

    def test_the_retention_must_be_positive(self) -> None:
        with pytest.raises(ValueError, match="idempotency_retention_ms"):
            JobStore(idempotency_retention_ms=0)


class TestPerCaller:
    @pytest.fixture
    async def secured(self) -> AsyncIterator[httpx.AsyncClient]:
        store = JobStore()
        auth = BrokerAuth(
            users=[BrokerUser("ann", SecretStr("pw-a")), BrokerUser("bob", SecretStr("pw-b"))]
        )
        app = create_app(store, auth=auth)
        try:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app), base_url="http://broker/v2"
            ) as client:
                yield client
        finally:
            await store.aclose()

    async def test_two_callers_with_one_key_each_get_their_own_jobs(
        self, secured: httpx.AsyncClient
    ) -> None:
        headers = {"Idempotency-Key": "shared"}
        ann = await secured.post("/ext/jobs", json=ONE_JOB, headers=headers, auth=("ann", "pw-a"))
        bob = await secured.post("/ext/jobs", json=ONE_JOB, headers=headers, auth=("bob", "pw-b"))
        again = await secured.post("/ext/jobs", json=ONE_JOB, headers=headers, auth=("ann", "pw-a"))
        assert ann.status_code == bob.status_code == again.status_code == 201
        assert ann.json()["jobKeys"] != bob.json()["jobKeys"]
        assert again.json()["jobKeys"] == ann.json()["jobKeys"]


class TestSchemaMigration:
    def test_a_version_1_file_is_migrated_in_place_and_keeps_its_jobs(self, tmp_path: Path) -> None:
        path = tmp_path / "old.sqlite3"
        jobs = SqliteJobs(path)
        (key,) = jobs.create([JobSpec(type="old")], 1)
        jobs.close()
        with sqlite3.connect(path) as db:  # what a version-1 broker left behind
            db.execute("DROP TABLE idempotency_keys")
            db.execute("DROP TABLE job_type_limits")
            db.execute("PRAGMA user_version=1")
        db.close()

        jobs = SqliteJobs(path)
        try:
            assert jobs.get(int(key), 2).type == "old"
            body = JobCreationRequest(jobs=[JobSpec(type="new")])
            keys, replayed = jobs.create_once(body, 3, scope="", key="k", retention_ms=1000)
            assert not replayed and int(keys[0]) > int(key)
            assert jobs.set_limits("old", 1, None, 4).max_active == 1
        finally:
            jobs.close()
        with sqlite3.connect(path) as db:
            assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        db.close()
        assert SCHEMA_VERSION == 8

    def test_a_file_of_a_newer_version_is_refused_untouched(self, tmp_path: Path) -> None:
        path = tmp_path / "new.sqlite3"
        SqliteJobs(path).close()
        with sqlite3.connect(path) as db:
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
        db.close()
        with pytest.raises(StoreVersionError, match="schema version 9"):
            SqliteJobs(path)
