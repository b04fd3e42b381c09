"""What only the PostgreSQL store has: its schema's versions, hidden passwords, replicas
waking each other and sharing one event log, conflicts PostgreSQL settles by aborting a
transaction (retried, not answered 503), and a database that restarts under a running broker
and worker."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import anyio.lowlevel
import httpx
import psycopg
import pytest

from sdk.broker import JobStore, RunningBroker, serve
from sdk.broker._cli import main as broker_main
from sdk.broker._problems import JobNotFound
from sdk.broker._redact import redact, redact_text
from sdk.broker._server import BrokerStartError, open_store
from sdk.broker.store import Activation
from sdk.broker.store.postgres import _tx as pg_tx
from sdk.broker.store.postgres._schema import MIGRATIONS, SCHEMA_VERSION, stored_version
from sdk.models import JobSpec, JobState
from sdk.testing import client_for, running, wait_until
from sdk.testing.postgres import PostgresCluster, fresh_database, server_binaries
from sdk.worker import JobContext, Worker

pytestmark = pytest.mark.anyio

PASSWORD = "s3cret-pw"
POOL_SIZE = 2
LOG_WRITERS = 16
LOG_ROUNDS = 15


class TestSchema:
    async def test_an_empty_database_gets_the_current_schema(self, postgres_url: str) -> None:
        await JobStore(postgres_url).aclose()
        with psycopg.connect(postgres_url) as conn:
            assert stored_version(conn) == SCHEMA_VERSION

    async def test_an_older_schema_is_migrated_keeping_its_jobs(self, postgres_url: str) -> None:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            for statement in MIGRATIONS[1]:
                conn.execute(statement.encode())
            conn.execute("CREATE TABLE sdk_schema (version INTEGER NOT NULL)")
            conn.execute("INSERT INTO sdk_schema VALUES (1)")
        store = JobStore(postgres_url)  # version 1 → current
        try:
            (key,) = await store.create([JobSpec(type="old")])
            assert (await store.get(int(key))).history is not None
        finally:
            await store.aclose()
        with psycopg.connect(postgres_url) as conn:
            assert stored_version(conn) == SCHEMA_VERSION
            indexes = conn.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'job_events'"
            ).fetchall()
            assert ("job_events_key",) in indexes

    async def test_a_newer_schema_is_refused_with_a_clear_message(self, postgres_url: str) -> None:
        await JobStore(postgres_url).aclose()
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
            await store.aclose()


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
            await first.aclose()
            await second.aclose()

    async def test_a_follower_never_skips_an_id_while_both_commit_at_once(
        self, postgres_url: str
    ) -> None:
        """Writers on two stores commit concurrently (each store runs several transactions at
        once); a follower reads the log as it grows. Had a transaction become visible before
        one holding a smaller id, the follower would have moved past that id for good."""
        stores = [JobStore(postgres_url), JobStore(postgres_url)]
        followed: list[int] = []
        writing = True

        async def follow() -> None:
            after = 0
            while True:
                done = not writing  # read before the query: a commit may land while it runs
                batch = await stores[0].events_after(after, 1_000)
                followed.extend(event.id for event in batch)
                if batch:
                    after = batch[-1].id
                elif done:
                    return  # every writer had committed before this empty read: caught up
                await anyio.lowlevel.checkpoint()

        async def write(store: JobStore, name: str) -> None:
            for _ in range(LOG_ROUNDS):
                await store.create([JobSpec(type=name)] * 2)
                query = Activation(name, name, 60_000, 2)
                for job in await store.activate(query, request_timeout_ms=0):
                    await store.complete(int(job.job_key), None, None)

        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(follow)
                async with anyio.create_task_group() as writers:
                    for n in range(LOG_WRITERS):
                        writers.start_soon(write, stores[n % 2], f"log-{n}")
                writing = False
            everything = [event.id for event in await stores[1].events_after(0, 100_000)]
        finally:
            for store in stores:
                await store.aclose()
        assert len(everything) == LOG_WRITERS * LOG_ROUNDS * 6  # created, activated, completed
        assert followed == everything


@asynccontextmanager
async def broker_and_jobs(url: str, count: int) -> AsyncIterator[tuple[RunningBroker, list[int]]]:
    """A broker on ``url`` and the keys of ``count`` jobs activated on it, in key order."""
    async with anyio.create_task_group() as tg:
        broker: RunningBroker = await tg.start(serve, url, "127.0.0.1", 0)
        async with client_for(broker) as api:
            await api.create_jobs([JobSpec(type="held")] * count)
            jobs = await api.activate_jobs("held", max_jobs=count, timeout_ms=600_000)
        yield broker, sorted(int(job.job_key) for job in jobs)
        tg.cancel_scope.cancel()


async def lock_waits(monitor: psycopg.AsyncConnection[Any]) -> list[tuple[int, object]]:
    """``(pid, transaction start)`` of each broker connection waiting for a lock now."""
    cursor = await monitor.execute(
        "SELECT pid, xact_start FROM pg_stat_activity"
        " WHERE application_name = 'sdk-broker' AND wait_event_type = 'Lock'"
    )
    return list(await cursor.fetchall())


def complete_all(keys: list[int]) -> dict[str, object]:
    return {"reports": [{"jobKey": str(key), "kind": "complete"} for key in keys]}


async def completions(broker: RunningBroker, key: int) -> list[str]:
    history = (await broker.store.get(key)).history or []
    return [event.event for event in history if event.event == "COMPLETED"]


class TestPoolSize:
    async def test_a_broker_holds_no_more_connections_than_its_pool_size(
        self, postgres_url: str
    ) -> None:
        store = JobStore(postgres_url, pool_size=POOL_SIZE)
        seen: list[int] = []
        created = anyio.Event()

        async def watch(monitor: psycopg.AsyncConnection[Any]) -> None:
            while not created.is_set():
                cursor = await monitor.execute(
                    "SELECT COUNT(*) FROM pg_stat_activity"
                    " WHERE application_name = 'sdk-broker' AND datname = current_database()"
                )
                (count,) = await cursor.fetchone() or (0,)
                seen.append(int(count))

        async def create() -> None:
            for _ in range(5):
                await store.create([JobSpec(type="pooled")])

        try:
            async with (
                await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as monitor,
                anyio.create_task_group() as tg,
            ):
                tg.start_soon(watch, monitor)
                async with anyio.create_task_group() as creators:
                    for _ in range(40):
                        creators.start_soon(create)
                created.set()
            assert len((await store.search("pooled", None, 1_000, None))[0]) == 200
        finally:
            await store.aclose()
        assert 1 <= max(seen) <= POOL_SIZE, seen

    def test_a_bad_pool_size_is_a_usage_error(self, capsys: pytest.CaptureFixture[str]) -> None:
        with pytest.raises(SystemExit) as exited:
            broker_main(["--database-pool-size", "0", "--port", "0"])
        assert exited.value.code == 2
        assert "--database-pool-size" in capsys.readouterr().err


class TestGroupCommit:
    async def test_concurrent_reports_share_transactions_yet_are_answered_each(
        self, postgres_url: str
    ) -> None:
        store = JobStore(postgres_url)
        try:
            await store.create([JobSpec(type="t")] * 200)
            query = Activation("t", "w", 600_000, 200)
            keys = [int(job.job_key) for job in await store.activate(query, 0)]
            missing: list[int] = []

            async def complete(key: int) -> None:
                try:
                    await store.complete(key, {"done": True}, None)
                except JobNotFound:
                    missing.append(key)

            async with anyio.create_task_group() as tg:
                for n, key in enumerate(keys):
                    tg.start_soon(complete, key)
                    if n % 20 == 0:
                        tg.start_soon(complete, 1)  # no such job: a 404 inside a shared batch
            for key in keys:
                assert (await store.get(key)).state is JobState.COMPLETED
        finally:
            await store.aclose()
        assert missing == [1] * 10
        with psycopg.connect(postgres_url) as conn:  # a row's xmin: the transaction that wrote it
            (transactions,) = conn.execute(
                "SELECT COUNT(DISTINCT xmin::text) FROM jobs WHERE key = ANY(%s)", (keys,)
            ).fetchone() or (0,)
        assert transactions < len(keys) / 4, transactions


class TestConflicts:
    """PostgreSQL settles a conflict by aborting a transaction; the broker runs it again."""

    async def test_a_deadlock_victim_is_run_again_and_its_reports_succeed(
        self, postgres_url: str
    ) -> None:
        async with (
            broker_and_jobs(postgres_url, 2) as (broker, (first, second)),
            await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as monitor,
            await psycopg.AsyncConnection.connect(postgres_url) as other,
            httpx.AsyncClient(base_url=broker.url, timeout=30) as http,
        ):
            await other.execute("SET deadlock_timeout = '60s'")  # the broker's is the victim
            await other.execute("SELECT 1 FROM jobs WHERE key = %s FOR UPDATE", (second,))
            answers: list[httpx.Response] = []

            async def report() -> None:  # locks ``first``, then waits for ``second``
                answers.append(
                    await http.post("/ext/jobs/reports", json=complete_all([first, second]))
                )

            async with anyio.create_task_group() as tg:
                tg.start_soon(report)
                await wait_until(lambda: lock_waits(monitor), timeout_s=10, message="a lock wait")
                # a cycle: PostgreSQL aborts the broker's transaction, so this gets ``first``
                await other.execute("SELECT 1 FROM jobs WHERE key = %s FOR UPDATE", (first,))
                await other.commit()
            (answer,) = answers
            assert answer.status_code == 200, answer.text
            assert [r["status"] for r in answer.json()["results"]] == [204, 204]
            for key in (first, second):
                assert await completions(broker, key) == ["COMPLETED"]

    async def test_a_lock_held_past_its_timeout_is_waited_for_again(
        self, postgres_url: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(pg_tx, "LOCK_TIMEOUT_MS", 300)  # the broker's connections get it
        async with (
            broker_and_jobs(postgres_url, 1) as (broker, (key,)),
            await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as monitor,
            await psycopg.AsyncConnection.connect(postgres_url) as other,
            httpx.AsyncClient(base_url=broker.url, timeout=30) as http,
        ):
            await other.execute("SELECT 1 FROM jobs WHERE key = %s FOR UPDATE", (key,))
            answers: list[httpx.Response] = []

            async def complete() -> None:
                answers.append(await http.post(f"/jobs/{key}/completion", json={}))

            async with anyio.create_task_group() as tg:
                tg.start_soon(complete)
                (first_wait,) = await wait_until(
                    lambda: lock_waits(monitor), timeout_s=10, message="a lock wait"
                )

                async def waits_again() -> bool:  # the timed-out transaction, begun anew
                    return any(wait != first_wait for wait in await lock_waits(monitor))

                await wait_until(waits_again, timeout_s=10, message="a second attempt")
                await other.commit()
            assert [answer.status_code for answer in answers] == [204]
            assert await completions(broker, key) == ["COMPLETED"]

    async def test_a_lock_never_released_is_a_bounded_503_then_clears(
        self, postgres_url: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(pg_tx, "LOCK_TIMEOUT_MS", 100)
        async with (
            broker_and_jobs(postgres_url, 1) as (broker, (key,)),
            await psycopg.AsyncConnection.connect(postgres_url) as other,
            httpx.AsyncClient(base_url=broker.url, timeout=30) as http,
        ):
            await other.execute("SELECT 1 FROM jobs WHERE key = %s FOR UPDATE", (key,))
            with anyio.fail_after(10):
                refused = await http.post(f"/jobs/{key}/completion", json={})
            assert refused.status_code == 503, refused.text
            assert refused.json()["title"] == "RESOURCE_EXHAUSTED"
            assert "busy" in refused.json()["detail"]
            await other.rollback()
            assert (await http.post(f"/jobs/{key}/completion", json={})).status_code == 204


@pytest.fixture
def own_cluster() -> Iterator[PostgresCluster]:
    """A PostgreSQL server of this test's own, since it is stopped and started again."""
    binaries = server_binaries()
    if binaries is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl): install postgresql")
    cluster = PostgresCluster(binaries)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


@pytest.fixture
async def broker_on(own_cluster: PostgresCluster) -> AsyncIterator[RunningBroker]:
    url = fresh_database(own_cluster.url).replace("sdk@", f"sdk:{PASSWORD}@")  # trust: any
    async with anyio.create_task_group() as tg:
        running_broker: RunningBroker = await tg.start(serve, url, "127.0.0.1", 0)
        yield running_broker
        tg.cancel_scope.cancel()


class TestDatabaseRestart:
    async def test_the_broker_answers_503_meanwhile_and_the_worker_resumes(
        self, own_cluster: PostgresCluster, broker_on: RunningBroker
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
                poll = {"type": "restart", "timeout": 5_000, "maxJobsToActivate": 1}
                answer = await http.post("/jobs/activation", json=poll)
                assert answer.status_code == 503, answer.text
                assert answer.json()["title"] == "RESOURCE_EXHAUSTED"
                assert "unavailable" in answer.json()["detail"]
                assert PASSWORD not in answer.text
                own_cluster.start()
                # the pool reconnects by itself: the first request after the restart is served
                recovered = await http.get(f"/ext/jobs/{before[0]}")
                assert recovered.status_code == 200, recovered.text
            after = await api.create_jobs([JobSpec(type="restart")] * 50)  # the client retries
            await wait_until(lambda: done >= set(after), timeout_s=30)
            for key in (*before[:3], *after[:3]):
                assert (await api.get_job(key)).state is JobState.COMPLETED
