"""Cancelling an ACTIVATED job stops its handler within the bound and nothing is reported:
async handlers are cancelled, thread handlers see ``cancelled``, process children are killed
(and replaced); by an operator's cancellation, an instance's, or an interrupting event; the
404 of the lease extension is the only signal, as against a real Camunda."""

from __future__ import annotations

import os
import pickle
import threading
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from functools import partial
from pathlib import Path

import anyio
import pytest

from sdk.broker import RunningBroker, serve
from sdk.client import AsyncClient
from sdk.errors import ConfigurationError, JobCancelledError
from sdk.models import Job, JobKey, JobState
from sdk.testing import client_for, running, wait_until
from sdk.worker import JobContext, LeaseExtension, Worker

from .cancel_handlers import STEP_S, quick, write_pid_and_hang
from .test_lease import metric
from _support.bpmn_models import definitions

pytestmark = pytest.mark.anyio

BOUND_S = 2.0
"""How soon after the cancellation the handler must have stopped."""
LEASE_MS = 60_000
"""Long: only the cancellation check, never the lease's own extension, can notice."""
REPORTS = {"COMPLETED", "FAILED", "ERROR_THROWN", "INCIDENT", "RETRIES_UPDATED"}

LATE_FLOW = '<bpmn:sequenceFlow id="f3" sourceRef="late" targetRef="late_end"/>'


def one_task(process_id: str, job_type: str, boundary: str = "") -> bytes:
    return definitions(
        process_id,
        '<bpmn:startEvent id="start"/>'
        f'<bpmn:serviceTask id="work"><bpmn:extensionElements>'
        f'<zeebe:taskDefinition type="{job_type}"/></bpmn:extensionElements></bpmn:serviceTask>'
        f'{boundary}<bpmn:endEvent id="end"/><bpmn:endEvent id="late_end"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end"/>'
        + (LATE_FLOW if boundary else ""),
    )


TIMER_BOUNDARY = (
    '<bpmn:boundaryEvent id="late" attachedToRef="work"><bpmn:timerEventDefinition>'
    "<bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>"
)


@pytest.fixture(params=["sqlite", "postgres"])
async def broker(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[RunningBroker]:
    """A broker (clock controllable) over a SQLite file or a fresh PostgreSQL database."""
    if request.param == "postgres":
        store: str = request.getfixturevalue("postgres_url")
    else:
        store = str(tmp_path / "jobs.sqlite3")
    async with anyio.create_task_group() as tg:
        started: RunningBroker = await tg.start(
            lambda task_status: serve(
                store, "127.0.0.1", 0, clock_control=True, task_status=task_status
            )
        )
        yield started
        tg.cancel_scope.cancel()


@pytest.fixture
async def client(broker: RunningBroker) -> AsyncIterator[AsyncClient]:
    async with client_for(broker) as opened:
        yield opened


async def in_state(client: AsyncClient, key: JobKey, state: JobState) -> Job | None:
    job = await client.get_job(key)
    return job if job.state is state else None


async def assert_nothing_reported(client: AsyncClient, worker: Worker, key: JobKey) -> None:
    """The job ended CANCELED and its history has no report after its activation."""
    job = await client.get_job(key)
    events = [e.event for e in job.history or []]
    assert job.state is JobState.CANCELED, events
    assert events[-1] == "CANCELED", events
    assert not REPORTS & set(events), events
    assert "finished" not in job.variables
    assert metric(worker, "sdk_worker_jobs_abandoned_total", reason="lost") == 1


def worker_for(grace_period_s: float = 30.0) -> Worker:
    return Worker(
        "w",
        request_timeout_ms=1_000,
        timeout_ms=LEASE_MS,
        grace_period_s=grace_period_s,
        lease_extension=LeaseExtension(cancel_check_ms=1_000),
    )


class TestEachStrategy:
    async def test_an_async_handler_is_cancelled(self, client: AsyncClient) -> None:
        started, stopped = anyio.Event(), anyio.Event()
        worker = worker_for()

        @worker.task("async-doomed")
        async def doomed() -> dict[str, str]:
            started.set()
            try:
                await anyio.sleep(600)
            except anyio.get_cancelled_exc_class():
                stopped.set()
                raise
            return {"finished": "yes"}

        key = await client.create_job("async-doomed")
        async with running(worker, client):
            with anyio.fail_after(10):
                await started.wait()
            await anyio.sleep(1.5)  # past the first check: the job is a long-running one
            cancelled_at = anyio.current_time()
            await client.cancel_job(key)
            with anyio.fail_after(BOUND_S):
                await stopped.wait()
            assert anyio.current_time() - cancelled_at < BOUND_S
            await wait_until(lambda: metric(worker, "sdk_worker_jobs_abandoned_total") == 1)
        await assert_nothing_reported(client, worker, key)

    async def test_a_thread_handler_sees_cancelled_and_may_raise(self, client: AsyncClient) -> None:
        started = threading.Event()
        seen: list[str] = []
        stopped_at: list[float] = []
        worker = worker_for()

        @worker.task("thread-polls", strategy="thread")
        def polls(job: JobContext) -> dict[str, str]:
            started.set()
            deadline = time.monotonic() + 60
            while not job.cancelled and time.monotonic() < deadline:
                time.sleep(STEP_S)
            stopped_at.append(time.monotonic())
            try:
                job.raise_if_cancelled()
            except JobCancelledError:
                seen.append("raised")
                raise
            return {"finished": "yes"}

        key = await client.create_job("thread-polls")
        async with running(worker, client):
            await wait_until(started.is_set)
            cancelled_at = time.monotonic()
            await client.cancel_job(key)
            await wait_until(lambda: stopped_at, timeout_s=BOUND_S + 1)
            assert stopped_at[0] - cancelled_at < BOUND_S
            await wait_until(lambda: metric(worker, "sdk_worker_jobs_abandoned_total") == 1)
        assert seen == ["raised"]
        await assert_nothing_reported(client, worker, key)

    async def test_a_process_handler_s_child_is_killed_and_replaced(
        self, client: AsyncClient, tmp_path: Path
    ) -> None:
        pid_file = tmp_path / "pid"
        worker = worker_for()
        worker.task("process-hangs", strategy="process", max_jobs=1)(write_pid_and_hang)
        worker.task("process-quick", strategy="process", max_jobs=1)(quick)
        key = await client.create_job("process-hangs", {"pid_file": str(pid_file)})
        async with running(worker, client):
            pid = int(await wait_until(lambda: pid_file.exists() and pid_file.read_text()))
            cancelled_at = time.monotonic()
            await client.cancel_job(key)
            await wait_until(partial(gone, pid), timeout_s=BOUND_S + 1)
            assert time.monotonic() - cancelled_at < BOUND_S
            await wait_until(lambda: metric(worker, "sdk_worker_jobs_abandoned_total") == 1)
            # the pool is healthy: the next job of the same task gets a fresh child
            pid_file.unlink()
            again = await client.create_job("process-hangs", {"pid_file": str(pid_file)})
            second_pid = int(await wait_until(lambda: pid_file.exists() and pid_file.read_text()))
            assert second_pid != pid
            await client.cancel_job(again)
            await wait_until(partial(gone, second_pid), timeout_s=BOUND_S + 1)
            other = await client.create_job("process-quick", {"n": 1})
            done = await wait_until(lambda: in_state(client, other, JobState.COMPLETED))
        assert done.variables["n"] == 2
        await assert_nothing_reported_of_two(client, worker, key, again)


def gone(pid: int) -> bool:
    """The process ``pid`` has ended and was reaped."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


async def assert_nothing_reported_of_two(
    client: AsyncClient, worker: Worker, *keys: JobKey
) -> None:
    for key in keys:
        job = await client.get_job(key)
        events = [e.event for e in job.history or []]
        assert job.state is JobState.CANCELED, events
        assert not REPORTS & set(events), events
    assert metric(worker, "sdk_worker_jobs_abandoned_total", reason="lost") == len(keys)


class TestThroughProcesses:
    async def test_cancelling_the_instance_stops_its_job_s_handler(
        self, client: AsyncClient
    ) -> None:
        started, stopped = anyio.Event(), anyio.Event()
        worker = worker_for()

        @worker.task("instance-work")
        async def work() -> None:
            started.set()
            try:
                await anyio.sleep(600)
            finally:
                stopped.set()

        await client.deploy_resources([("p.bpmn", one_task("cancelled_p", "instance-work"))])
        instance = await client.create_process_instance(process_definition_id="cancelled_p")
        async with running(worker, client):
            with anyio.fail_after(10):
                await started.wait()
            cancelled_at = anyio.current_time()
            await client.cancel_process_instance(instance.process_instance_key)
            with anyio.fail_after(BOUND_S):
                await stopped.wait()
            assert anyio.current_time() - cancelled_at < BOUND_S
            await wait_until(lambda: metric(worker, "sdk_worker_jobs_abandoned_total") == 1)
        assert metric(worker, "sdk_worker_jobs_abandoned_total", reason="lost") == 1
        assert metric(worker, "sdk_worker_jobs_completed_total", job_type="instance-work") == 0
        found = await client.get_process_instance(instance.process_instance_key)
        assert found.state == "TERMINATED"

    async def test_an_interrupting_boundary_timer_stops_its_job_s_handler(
        self, client: AsyncClient
    ) -> None:
        started, stopped = anyio.Event(), anyio.Event()
        worker = worker_for()

        @worker.task("bounded-work")
        async def work() -> None:
            started.set()
            try:
                await anyio.sleep(600)
            finally:
                stopped.set()

        model = one_task("bounded_p", "bounded-work", TIMER_BOUNDARY)
        await client.deploy_resources([("p.bpmn", model)])
        instance = await client.create_process_instance(process_definition_id="bounded_p")
        async with running(worker, client):
            with anyio.fail_after(10):
                await started.wait()
            fired_at = anyio.current_time()
            await client.pin_clock(datetime.now(timezone.utc) + timedelta(minutes=61))
            with anyio.fail_after(BOUND_S):
                await stopped.wait()
            assert anyio.current_time() - fired_at < BOUND_S
            await wait_until(lambda: metric(worker, "sdk_worker_jobs_abandoned_total") == 1)
        assert metric(worker, "sdk_worker_jobs_completed_total", job_type="bounded-work") == 0
        flows = await client.get_process_instance_sequence_flows(instance.process_instance_key)
        assert [f.sequence_flow_id for f in flows.items] == ["f1", "f3"]


class TestTheCheck:
    async def test_without_the_check_a_cancelled_handler_runs_until_its_next_extension(
        self, client: AsyncClient
    ) -> None:
        """The check is what bounds the stop: with it off and a long lease, the handler of a
        cancelled job runs on (proof that the bound above is the check's doing)."""
        started, stopped = anyio.Event(), anyio.Event()
        worker = worker_for(grace_period_s=0.1)  # the handler runs on: do not wait for it

        @worker.task("unchecked", lease_extension=LeaseExtension(cancel_check_ms=None))
        async def unchecked() -> None:
            started.set()
            try:
                await anyio.sleep(600)
            finally:
                stopped.set()

        key = await client.create_job("unchecked")
        async with running(worker, client):
            with anyio.fail_after(10):
                await started.wait()
            await client.cancel_job(key)
            with anyio.move_on_after(BOUND_S + 1):
                await stopped.wait()
            assert not stopped.is_set()

    async def test_a_short_job_is_never_checked(self, client: AsyncClient) -> None:
        worker = worker_for()

        @worker.task("short")
        async def short() -> dict[str, int]:
            await anyio.sleep(0.2)
            return {"n": 1}

        key = await client.create_job("short")
        async with running(worker, client):
            job = await wait_until(lambda: in_state(client, key, JobState.COMPLETED))
        assert "TIMEOUT_UPDATED" not in [e.event for e in job.history or []]


class TestOptions:
    def test_the_check_interval_is_bounded_below(self) -> None:
        with pytest.raises(ConfigurationError, match="cancel_check_ms"):
            LeaseExtension(cancel_check_ms=10)

    def test_a_context_that_crosses_into_a_child_forgets_the_flag(self) -> None:
        flag = threading.Event()
        ctx = JobContext(job_key=JobKey("1"), job_type="t", retries=1, deadline_ms=0, _stopped=flag)
        flag.set()
        assert ctx.cancelled
        with pytest.raises(JobCancelledError):
            ctx.raise_if_cancelled()
        in_child = pickle.loads(pickle.dumps(ctx))
        assert not in_child.cancelled
        in_child.raise_if_cancelled()
