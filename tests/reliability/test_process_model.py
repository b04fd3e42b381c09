"""Model-based test of process instances on the store: hypothesis drives the broker's store
(``JobStore``, engine included) and a plain reference model of one small process.

The process: start → ``a`` → ``b`` (an error boundary catching ``E`` leads to its own end)
→ parallel fork → ``c`` and ``d`` → join → end; each task is a job of its own type. Rules
create instances, activate jobs, complete them (with outputs), fail them (with retries left,
or none: an incident), throw errors (caught on ``b``; uncaught elsewhere: an incident), cancel
instances, resolve incidents (retries given back, then the resolution) and close and reopen
the store. After every step, on every instance:

- the instance is ACTIVE, COMPLETED or TERMINATED as the model says, and so are its element
  instances: an ACTIVE instance has exactly the model's open tasks active, a finished one
  no active element at all;
- its jobs are exactly one per open task, in the state the model says (ACTIVATABLE,
  ACTIVATED or INCIDENT); a finished instance has no open job, and a report on one of its
  jobs is refused as unknown (404), as Zeebe does for a cancelled instance;
- a completed instance's variables are its start variables plus the completed jobs' outputs.

Each step runs on an event loop in a portal thread, as in ``test_store_model.py``, over a
SQLite file and over PostgreSQL (skipped, saying why, where no server can be started).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import psycopg
import pytest
from anyio.from_thread import start_blocking_portal
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from sdk.broker import JobStore, open_store
from sdk.broker._problems import JobNotFound
from sdk.broker.store import Activation, Failure
from sdk.models import JobState, ProcessInstanceCreationInstruction

from _support.bpmn_models import definitions, flow, fork_and_join

T = TypeVar("T")

PROCESS_ID = "model"
TYPES = {"a": "pm-a", "b": "pm-b", "c": "pm-c", "d": "pm-d"}
"""Task element id → job type."""
ELEMENT_OF = {job_type: element for element, job_type in TYPES.items()}
LEASE_MS = 600_000
"""Longer than any run: no activation expires while the machine runs."""

MODEL = definitions(
    PROCESS_ID,
    fork_and_join(TYPES) + '<bpmn:boundaryEvent id="caught" attachedToRef="b">'
    '<bpmn:errorEventDefinition errorRef="err"/></bpmn:boundaryEvent>'
    '<bpmn:endEvent id="handled"/>' + flow("f9", "caught", "handled"),
    '<bpmn:error id="err" errorCode="E"/>',
)


@dataclass
class ModelJob:
    key: int
    element: str
    state: JobState = JobState.ACTIVATABLE
    retries: int = 3


@dataclass
class ModelInstance:
    key: int
    variables: dict[str, Any]
    state: str = "ACTIVE"
    open: dict[str, ModelJob] = field(default_factory=dict)
    """Open task element id → its job."""
    closed_jobs: list[int] = field(default_factory=list)
    """Keys of jobs that ended (completed, thrown, or cancelled with the instance)."""
    incident_jobs: set[int] = field(default_factory=set)
    """Jobs whose instance got an incident for an uncaught error (resolved by nothing here)."""


class ProcessMachine(RuleBasedStateMachine):
    """Drives a ``JobStore`` and the model side by side; a subclass picks where it lives."""

    def __init__(self) -> None:
        super().__init__()
        self.tmp: Path | None = None
        self._portal = start_blocking_portal("asyncio")
        self.portal = self._portal.__enter__()
        self.where = self.location()
        self.store = self.open()
        self.instances: dict[int, ModelInstance] = {}
        self.counter = 0

    def location(self) -> str:
        self.tmp = Path(tempfile.mkdtemp(prefix="sdk-process-model-"))
        return str(self.tmp / "jobs.sqlite3")

    def open(self) -> JobStore:
        return open_store(self.where, synchronous="NORMAL", pool_size=2)

    def call(self, method: Callable[..., Awaitable[T]], *args: Any) -> T:
        return self.portal.call(method, *args)

    def teardown(self) -> None:
        try:
            self.call(self.store.aclose)
        finally:
            self._portal.__exit__(None, None, None)
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)

    # -- choosing ---------------------------------------------------------------------------

    def jobs_in(self, state: JobState) -> list[tuple[ModelInstance, ModelJob]]:
        return [
            (instance, job)
            for instance in self.instances.values()
            for job in instance.open.values()
            if job.state is state and job.key not in instance.incident_jobs
        ]

    def held(self, choice: int) -> tuple[ModelInstance, ModelJob]:
        held = self.jobs_in(JobState.ACTIVATED)
        return held[choice % len(held)]

    def has_held(self) -> bool:
        return bool(self.jobs_in(JobState.ACTIVATED))

    def open_job(self, instance: ModelInstance, element: str) -> None:
        """The job the store created for ``element`` of ``instance`` (found by element id)."""
        jobs = self.call(self.store.processes.all, "job", instance.key)
        keys = [int(j.job_key) for j in jobs if j.element_id == element]
        known = {j.key for j in instance.open.values()} | set(instance.closed_jobs)
        new = [k for k in keys if k not in known]
        assert len(new) == 1, (element, jobs)
        instance.open[element] = ModelJob(new[0], element)

    def finish(self, instance: ModelInstance, state: str) -> None:
        instance.state = state
        instance.closed_jobs.extend(j.key for j in instance.open.values())
        instance.open.clear()

    # -- rules --------------------------------------------------------------------------------

    @initialize()
    def deploy_and_start(self) -> None:
        """Deploy the model, start an instance and hold its first job: steps get to move
        instances early in a run."""
        self.call(self.store.deploy, [("model.bpmn", MODEL)], "<default>")
        self.create_instance()
        self.activate("a", 1)

    @precondition(lambda self: sum(i.state == "ACTIVE" for i in self.instances.values()) < 3)
    @rule()
    def create_instance(self) -> None:
        self.counter += 1
        body = ProcessInstanceCreationInstruction.model_validate(
            {"processDefinitionId": PROCESS_ID, "variables": {"n": self.counter}}
        )
        created = self.call(self.store.processes.create, body)
        instance = ModelInstance(int(created.process_instance_key), {"n": self.counter})
        self.instances[instance.key] = instance
        self.open_job(instance, "a")

    @rule(element=st.sampled_from(sorted(TYPES)), max_jobs=st.integers(1, 3))
    def activate(self, element: str, max_jobs: int) -> None:
        query = Activation(TYPES[element], "w", LEASE_MS, max_jobs)
        got = self.call(self.store.activate, query, 0)
        ready = {
            job.key: job for _, job in self.jobs_in(JobState.ACTIVATABLE) if job.element == element
        }
        assert len(got) == min(max_jobs, len(ready))
        for activated in got:
            job = ready[int(activated.job_key)]
            job.state = JobState.ACTIVATED

    @precondition(lambda self: self.has_held())
    @rule(choice=st.integers(0, 100), output=st.integers(-5, 5))
    def complete(self, choice: int, output: int) -> None:
        instance, job = self.held(choice)
        self.call(self.store.complete, job.key, {job.element: output}, None)
        instance.variables[job.element] = output
        del instance.open[job.element]
        instance.closed_jobs.append(job.key)
        if job.element == "a":
            self.open_job(instance, "b")
        elif job.element == "b":
            self.open_job(instance, "c")
            self.open_job(instance, "d")
        elif not instance.open:  # both parallel branches joined
            instance.state = "COMPLETED"

    @precondition(lambda self: self.has_held())
    @rule(choice=st.integers(0, 100), retries=st.integers(0, 2))
    def fail(self, choice: int, retries: int) -> None:
        _, job = self.held(choice)
        self.call(self.store.fail, job.key, Failure(retries, "boom", 0, None), None)
        job.retries = retries
        job.state = JobState.ACTIVATABLE if retries > 0 else JobState.INCIDENT

    @precondition(lambda self: self.has_held())
    @rule(choice=st.integers(0, 100))
    def throw_error(self, choice: int) -> None:
        """Caught on ``b`` (the instance ends through the boundary); elsewhere uncaught: an
        incident on the element, its job ended."""
        instance, job = self.held(choice)
        self.call(self.store.throw_error, job.key, "E", "thrown", None, None)
        if job.element == "b":
            del instance.open["b"]
            instance.closed_jobs.append(job.key)
            instance.state = "COMPLETED"
        else:
            job.state = JobState.ERROR_THROWN
            instance.incident_jobs.add(job.key)

    @precondition(lambda self: bool(self.jobs_in(JobState.INCIDENT)))
    @rule(choice=st.integers(0, 100))
    def resolve_incident(self, choice: int) -> None:
        """As an operator does: give the job retries back, then resolve the incident."""
        instance, job = self.jobs_in(JobState.INCIDENT)[
            choice % len(self.jobs_in(JobState.INCIDENT))
        ]
        self.call(self.store.update, job.key, 1, None)
        incidents = [
            i
            for i in self.call(self.store.processes.all, "incident", instance.key)
            if i.state == "ACTIVE" and int(i.job_key or 0) == job.key
        ]
        assert len(incidents) == 1, incidents
        self.call(self.store.processes.resolve_incident, int(incidents[0].incident_key))
        job.retries = 1
        job.state = JobState.ACTIVATABLE

    @precondition(lambda self: any(i.state == "ACTIVE" for i in self.instances.values()))
    @rule(choice=st.integers(0, 100))
    def cancel_instance(self, choice: int) -> None:
        active = [i for i in self.instances.values() if i.state == "ACTIVE"]
        instance = active[choice % len(active)]
        self.call(self.store.processes.cancel, instance.key)
        self.finish(instance, "TERMINATED")

    @precondition(
        lambda self: any(i.state != "ACTIVE" and i.closed_jobs for i in self.instances.values())
    )
    @rule(choice=st.integers(0, 100), kind=st.sampled_from(["complete", "fail", "error"]))
    def report_on_a_finished_instance(self, choice: int, kind: str) -> None:
        """A late worker's report on a job its finished instance no longer has: 404."""
        done = [i for i in self.instances.values() if i.state != "ACTIVE" and i.closed_jobs]
        instance = done[choice % len(done)]
        key = instance.closed_jobs[choice % len(instance.closed_jobs)]
        report: Callable[[], Awaitable[None]]
        if kind == "complete":
            report = lambda: self.store.complete(key, {"late": True}, None)  # noqa: E731
        elif kind == "fail":
            report = lambda: self.store.fail(key, Failure(0, "late", 0, None), None)  # noqa: E731
        else:
            report = lambda: self.store.throw_error(key, "E", "late", None, None)  # noqa: E731
        with pytest.raises(JobNotFound):
            self.call(report)

    @rule()
    def reopen(self) -> None:
        self.call(self.store.aclose)
        self.store = self.open()

    # -- what must hold after every step ---------------------------------------------------

    @invariant()
    def instances_elements_and_jobs_agree_with_the_model(self) -> None:
        for instance in self.instances.values():
            stored = self.call(self.store.processes.instance, instance.key)
            assert stored.state == instance.state, (instance, stored)
            elements = self.call(self.store.processes.all, "element", instance.key)
            active = sorted(
                e.element_id for e in elements if e.state == "ACTIVE" and e.type != "PROCESS"
            )
            process = [e for e in elements if e.type == "PROCESS"]
            assert len(process) == 1 and process[0].state == instance.state, elements
            if instance.state == "ACTIVE":
                # A branch that reached the join waits there without an active element.
                assert active == sorted(instance.open), (instance, elements)
            else:
                assert active == [], (instance, elements)
            for job in instance.open.values():
                got = self.call(self.store.get, job.key)
                assert got.state is job.state, (instance, job, got)
                assert got.retries == job.retries
            for key in instance.closed_jobs:
                got = self.call(self.store.get, key)
                assert got.state in (JobState.COMPLETED, JobState.ERROR_THROWN, JobState.CANCELED)
            jobs = self.call(self.store.processes.all, "job", instance.key)
            assert {int(j.job_key) for j in jobs} == (
                {j.key for j in instance.open.values()} | set(instance.closed_jobs)
            )

    @invariant()
    def completed_instances_hold_their_jobs_outputs(self) -> None:
        for instance in self.instances.values():
            if instance.state == "COMPLETED":
                variables = self.call(self.store.processes.visible, instance.key)
                assert variables == instance.variables, instance


class PostgresProcessMachine(ProcessMachine):
    """The same rules on PostgreSQL, from an empty database each run."""

    database_url: str | None = None
    """Set by the ``postgres_machine`` fixture below."""

    def location(self) -> str:
        assert self.database_url is not None
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            conn.execute("DROP SCHEMA public CASCADE")
            conn.execute("CREATE SCHEMA public")
        return self.database_url


@pytest.fixture(autouse=True)
def postgres_machine(request: pytest.FixtureRequest) -> None:
    """Give the Postgres machine a database of its own (or skip, saying why)."""
    if getattr(request.cls, "needs_postgres", False):
        PostgresProcessMachine.database_url = request.getfixturevalue("postgres_url")


SETTINGS = settings(
    max_examples=20, stateful_step_count=20, deadline=None, database=None, print_blob=True
)
POSTGRES_SETTINGS = settings(SETTINGS, max_examples=8)
"""Fewer runs on PostgreSQL: each step is several round trips, on a machine others share."""
THOROUGH = settings(SETTINGS, max_examples=300, stateful_step_count=50)
"""The same with ``--run-slow``."""

TestProcessesOnSqlite = pytest.mark.timeout(120)(ProcessMachine.TestCase)
TestProcessesOnSqlite.settings = SETTINGS
TestProcessesOnPostgres = pytest.mark.timeout(180)(PostgresProcessMachine.TestCase)
TestProcessesOnPostgres.settings = POSTGRES_SETTINGS
TestProcessesOnPostgres.needs_postgres = True  # type: ignore[attr-defined]


class ThoroughProcessMachine(ProcessMachine):
    pass


TestProcessesThoroughly = pytest.mark.slow(
    pytest.mark.timeout(900)(ThoroughProcessMachine.TestCase)
)
TestProcessesThoroughly.settings = THOROUGH
