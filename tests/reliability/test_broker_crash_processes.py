"""The broker killed with SIGKILL while a worker process drives many process instances.

A small process (service task → service task → parallel fork of two service tasks → join)
runs on a broker subprocess over a SQLite file (or a PostgreSQL database), worked by a real
``python -m sdk.worker`` process. The broker dies under load (instances being created, jobs
completed, instances advancing) and restarts on the same store and port. Zeebe's semantics
must hold, read from what the broker stores, not from logs:

- every instance whose creation was acknowledged exists, and every instance ends COMPLETED;
- each element of an instance completed exactly once (a command is one transaction: a crash
  never leaves an instance half moved, nor moves it twice);
- each service task made exactly one job, completed once in its history (a job may be handed
  out again after the crash, when its lease ends, but never completed twice);
- the instance's variables are the outputs of its jobs.
"""

from __future__ import annotations

import json
import textwrap
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import anyio
import pytest

from sdk.client import AsyncClient
from sdk.models import (
    ElementInstanceState,
    ElementInstanceType,
    JobSearchQuery,
    ProcessInstanceState,
)
from sdk.testing import wait_until

from ._availability import Availability
from _support.bpmn_models import definitions, fork_and_join
from _support.ports import free_port
from _support.processes import (
    Process,
    broker_process,
    client_config,
    replica_process,
    wait_reachable,
    worker_process,
)

PROCESS_ID = "crashy"
LEASE_MS = 2_000
CREATORS = 2
COMPLETED_BEFORE_CRASH = 15
CREATED_AFTER_RESTART = 20
WAIT_S = 60.0
"""Interpreters start and leases run out on a machine others share: be generous."""

TASKS = {"a": "crash-a", "b": "crash-b", "c": "crash-c", "d": "crash-d"}
"""Service task id → job type."""

MODEL = definitions(PROCESS_ID, fork_and_join(TASKS))

ELEMENTS = ["a", "b", "c", "d", "end", "fork", "join", "start"]
"""Each completes once per instance (the process itself aside)."""

HANDLERS = textwrap.dedent(
    f"""
    from sdk.worker import Worker

    worker = Worker(timeout_ms={LEASE_MS}, request_timeout_ms=1_000)


    @worker.task("crash-a", max_jobs=16)
    async def a(n: int) -> dict[str, int]:
        return {{"a": n + 1}}


    @worker.task("crash-b", max_jobs=16)
    async def b(a: int) -> dict[str, int]:
        return {{"b": a * 2}}


    @worker.task("crash-c", max_jobs=16)
    async def c(b: int) -> dict[str, int]:
        return {{"c": b + 3}}


    @worker.task("crash-d", max_jobs=16)
    async def d(b: int) -> dict[str, int]:
        return {{"d": b - 3}}
    """
)

pytestmark = [pytest.mark.anyio, pytest.mark.project("crash_flow", HANDLERS)]


def outputs(n: int) -> dict[str, int]:
    """The variables a completed instance started with ``n`` holds."""
    a = n + 1
    return {"n": n, "a": a, "b": 2 * a, "c": 2 * a + 3, "d": 2 * a - 3}


@dataclass
class Ledger:
    created: dict[str, int] = field(default_factory=dict)
    """Acknowledged instance key → its ``n``."""
    failed_creations: int = 0


async def create_instances(
    client: AsyncClient, ledger: Ledger, first: int, stop: anyio.Event, broker: Availability
) -> None:
    """Start instances until ``stop`` (``n`` = first, first + CREATORS, ...); while the broker
    is down, wait for its return."""
    n = first
    while not stop.is_set():
        created = await broker.create(
            partial(
                client.create_process_instance,
                process_definition_id=PROCESS_ID,
                variables={"n": n},
            )
        )
        if created is None:
            ledger.failed_creations += 1
            continue
        ledger.created[str(created.process_instance_key)] = n
        n += CREATORS


async def count(client: AsyncClient, state: ProcessInstanceState | None = None) -> int:
    found = await client.search_process_instances(
        process_definition_id=PROCESS_ID, state=None if state is None else state.value, limit=1
    )
    assert not found.page.has_more_total_items
    return found.page.total_items


async def all_instances(client: AsyncClient) -> dict[str, ProcessInstanceState]:
    found = await client.search_process_instances(process_definition_id=PROCESS_ID, limit=10_000)
    assert len(found.items) == found.page.total_items
    return {str(i.process_instance_key): ProcessInstanceState(i.state) for i in found.items}


async def check_instance(client: AsyncClient, key: str, n: int | None) -> None:
    """One instance completed each element once, with one job per task completed once."""
    elements = await client.search_element_instances(process_instance_key=key, limit=100)
    done = [
        e.element_id
        for e in elements.items
        if e.type != ElementInstanceType.PROCESS and e.state == ElementInstanceState.COMPLETED
    ]
    assert sorted(done) == ELEMENTS, (key, elements.items)
    assert len(elements.items) == len(ELEMENTS) + 1, (key, elements.items)

    query = JobSearchQuery.model_validate_json(
        json.dumps({"filter": {"processInstanceKey": key}, "page": {"limit": 100}})
    )
    jobs = (await client.search_camunda_jobs(query)).items
    assert sorted((j.element_id, j.type) for j in jobs) == sorted(TASKS.items()), (key, jobs)
    for job in jobs:
        history = (await client.get_job(job.job_key)).history or []
        events = Counter(e.event for e in history)
        assert events["COMPLETED"] == 1, (key, job.element_id, history)
        assert events["ACTIVATED"] >= 1

    variables = await client.search_variables(process_instance_key=key, limit=100)
    values = {v.name: int(v.value) for v in variables.items}
    if n is None:  # created by a request the crash cut off: its n is not known here
        n = values["n"]
    assert values == outputs(n), key


BrokerStarter = Callable[[], AbstractContextManager[Process]]


@pytest.fixture(params=["sqlite", "postgres"])
def start_broker(request: pytest.FixtureRequest, project: Path) -> tuple[BrokerStarter, int]:
    """How to start (and start again) the broker process on its store, and its port: a
    SQLite file in the project, or a fresh PostgreSQL database (skipped, saying why, where no
    server can be started)."""
    port = free_port()
    if request.param == "postgres":
        url: str = request.getfixturevalue("postgres_url")
        return partial(replica_process, url, port, project, "broker"), port
    return partial(broker_process, project / "jobs.sqlite3", port), port


class TestBrokerKilledWithProcesses:
    @pytest.mark.parametrize(
        "crashes",
        [
            pytest.param(1, marks=pytest.mark.timeout(180)),
            pytest.param(3, marks=[pytest.mark.slow, pytest.mark.timeout(400)]),
        ],
    )
    async def test_every_instance_completes_exactly_once(
        self, project: Path, start_broker: tuple[BrokerStarter, int], crashes: int
    ) -> None:
        start, port = start_broker
        config = client_config(f"http://127.0.0.1:{port}")
        ledger, broker, stop = Ledger(), Availability(), anyio.Event()

        with ExitStack() as processes:
            process = processes.enter_context(start())
            async with AsyncClient(configuration=config) as client:
                await wait_reachable(client, process)
                await client.deploy_resources({"crashy.bpmn": MODEL})
            # No client-level retries for the creators: each creation a crash cuts off must
            # surface here, so that only acknowledged instances are counted as created.
            creators_config = {**config, "SDK_HTTP_RETRIES": "0"}
            worker = processes.enter_context(worker_process(project, "crash_flow", **config))
            async with AsyncClient(configuration=creators_config) as client:
                async with anyio.create_task_group() as creators:
                    for i in range(CREATORS):
                        creators.start_soon(create_instances, client, ledger, i, stop, broker)
                    for _ in range(crashes):
                        target = await count(client, ProcessInstanceState.COMPLETED)
                        target += COMPLETED_BEFORE_CRASH

                        async def progressed(target: int = target) -> bool:
                            assert worker.popen.poll() is None, worker.output()
                            return await count(client, ProcessInstanceState.COMPLETED) >= target

                        await wait_until(progressed, timeout_s=WAIT_S, interval_s=0.1)
                        active = await count(client, ProcessInstanceState.ACTIVE)
                        broker.down()
                        process.kill()  # under load: creations, reports and advances in flight
                        assert active > 0  # instances were mid-way when the broker died
                        acknowledged = set(ledger.created)

                        process = processes.enter_context(start())
                        await wait_reachable(client, process)
                        broker.up()
                        assert acknowledged <= (await all_instances(client)).keys()

                    target_created = len(ledger.created) + CREATED_AFTER_RESTART
                    await wait_until(
                        lambda: len(ledger.created) >= target_created, timeout_s=WAIT_S
                    )
                    stop.set()

                async def all_completed() -> bool:
                    assert worker.popen.poll() is None, worker.output()
                    return await count(client, ProcessInstanceState.ACTIVE) == 0

                await wait_until(all_completed, timeout_s=WAIT_S, interval_s=0.2)
                instances = await all_instances(client)
                assert ledger.created.keys() <= instances.keys()
                assert set(instances.values()) == {ProcessInstanceState.COMPLETED}
                for key in instances:
                    await check_instance(client, key, ledger.created.get(key))

        assert ledger.failed_creations >= crashes  # each crash hit requests in flight
