"""What only the PostgreSQL store has: its schema's versions, hidden passwords, replicas
waking each other, and a database that restarts under a running broker and worker."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator, Iterator

import anyio
import httpx
import psycopg
import pytest

from sdk.broker import JobStore, RunningBroker, serve
from sdk.broker._contract import Activation
from sdk.broker._pg_cluster import PrivateCluster, fresh_database, server_binaries
from sdk.broker._pg_schema import MIGRATIONS, SCHEMA_VERSION, stored_version
from sdk.broker._postgres import PostgresJobs
from sdk.broker._redact import redact, redact_text
from sdk.broker._server import BrokerStartError, open_store
from sdk.models import JobSpec, JobState
from sdk.testing import client_for, running, wait_until
from sdk.worker import JobContext, Worker

pytestmark = pytest.mark.anyio


class TestSchema:
    def test_an_empty_database_gets_the_current_schema(self, postgres_url: str) -> None:
        PostgresJobs(postgres_url).close()
        with psycopg.connect(postgres_url) as conn:
            assert stored_version(conn) == SCHEMA_VERSION

    def test_an_older_schema_is_migrated_keeping_its_jobs(self, postgres_url: str) -> None:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            for statement in MIGRATIONS[1]:
                conn.execute(statement.encode())
            conn.execute("CREATE TABLE sdk_schema (version INTEGER NOT NULL)")
            conn.execute("INSERT INTO sdk_schema VALUES (1)")
        jobs = PostgresJobs(postgres_url)  # version 1 → current
        try:
            (key,) = jobs.create([JobSpec(type="old")], 1_000)
            assert jobs.get(int(key), 1_001).history is not None
        finally:
            jobs.close()
        with psycopg.connect(postgres_url) as conn:
            assert stored_version(conn) == SCHEMA_VERSION
            indexes = conn.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'job_events'"
            ).fetchall()
            assert ("job_events_key",) in indexes

    def test_a_newer_schema_is_refused_with_a_clear_message(self, postgres_url: str) -> None:
        PostgresJobs(postgres_url).close()
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute("UPDATE sdk_schema SET version = %s", (SCHEMA_VERSION + 1,))
        with pytest.raises(BrokerStartError, match="newer than this broker's"):
            open_store(postgres_url)


class TestPasswords:
    def test_redaction_hides_the_password_only(self) -> None:
        assert redact("postgresql://app:s3cr@t@db:5432/jobs") != "postgresql://app:s3cr@t@db"
        assert redact("postgresql://app:secret@db:5432/jobs") == "postgresql://app:***@db:5432/jobs"
        assert redact("postgresql://db/jobs?password=secret&x=1") == (
            "postgresql://db/jobs?password=***&x=1"
        )
        url = "postgresql://app:secret@db/jobs"
        assert "secret" not in redact_text(f"failed on {url}: secret rejected", url)

    def test_an_unreachable_database_is_a_start_error_without_the_password(self) -> None:
        url = "postgresql://app:hunter2@127.0.0.1:1/jobs"
        result = subprocess.run(
            [sys.executable, "-m", "sdk.broker", "--database-url", url, "--port", "0"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert result.returncode == 2, result.stderr
        assert "cannot open the job store" in result.stderr
        assert "hunter2" not in result.stderr + result.stdout
        assert "app:***@127.0.0.1:1" in result.stderr

    async def test_the_store_logs_its_url_without_the_password(self, postgres_url: str) -> None:
        with_password = postgres_url.replace("sdk@", "sdk:topsecret@")  # trust: any password
        store = JobStore(with_password)
        try:
            assert "topsecret" not in store.path and ":***@" in store.path
        finally:
            store.close()


class TestReplicasInProcess:
    async def test_a_long_poll_on_one_store_wakes_for_a_job_made_on_another(
        self, postgres_url: str
    ) -> None:
        first, second = JobStore(postgres_url), JobStore(postgres_url)
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(second.follow_other_replicas)
                query = Activation("wake", "w", 10_000, 1)
                got: list[object] = []

                async def poll() -> None:
                    got.extend(await second.activate(query, 20_000))

                tg.start_soon(poll)
                await first.create([JobSpec(type="wake")])
                await wait_until(lambda: got, timeout_s=10, message="the other store's poll")
                tg.cancel_scope.cancel()
            assert len(got) == 1
        finally:
            first.close()
            second.close()


@pytest.fixture
def own_cluster() -> Iterator[PrivateCluster]:
    """A PostgreSQL server of this test's own, since it is stopped and started again."""
    binaries = server_binaries()
    if binaries is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl): install postgresql")
    cluster = PrivateCluster(binaries)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


@pytest.fixture
async def broker_on(own_cluster: PrivateCluster) -> AsyncIterator[RunningBroker]:
    url = fresh_database(own_cluster.url)
    async with anyio.create_task_group() as tg:
        running_broker: RunningBroker = await tg.start(serve, url, "127.0.0.1", 0)
        yield running_broker
        tg.cancel_scope.cancel()


class TestDatabaseRestart:
    async def test_the_broker_answers_503_meanwhile_and_the_worker_resumes(
        self, own_cluster: PrivateCluster, broker_on: RunningBroker
    ) -> None:
        done: set[str] = set()
        worker = Worker("restart", timeout_ms=5_000, request_timeout_ms=500)

        @worker.task("restart", max_jobs=8)
        async def work(job: JobContext) -> None:
            done.add(job.job_key)

        async with client_for(broker_on) as api, running(worker, api):
            before = await api.create_jobs([JobSpec(type="restart")] * 50)
            await wait_until(lambda: done >= set(before), timeout_s=30)
            own_cluster.stop()
            async with httpx.AsyncClient(base_url=broker_on.url, timeout=10) as http:
                answer = await http.get(f"/ext/jobs/{before[0]}")
            assert answer.status_code == 503, answer.text
            assert answer.json()["title"] == "RESOURCE_EXHAUSTED"
            assert "unavailable" in answer.json()["detail"]
            own_cluster.start()
            after = await api.create_jobs([JobSpec(type="restart")] * 50)  # the client retries
            await wait_until(lambda: done >= set(after), timeout_s=30)
            for key in (*before[:3], *after[:3]):
                assert (await api.get_job(key)).state is JobState.COMPLETED
