"""Model-based test of the job store: hypothesis drives a store and a reference model.

The model is the job life cycle written down as plainly as possible (the rules of DESIGN.md
and the README, which are Zeebe's): states ACTIVATABLE → ACTIVATED → COMPLETED | ERROR_THROWN
| ACTIVATABLE (failed with retries left, after the back-off) | INCIDENT (none left); an
activation whose deadline passed is handed out again; commands on a job that is not (or no
longer) activated answer 409, on one that has ended 404; a job once activated with a lease is
served only to leasing activations, and its commands need the current token (an update may
leave it out to change only retries). Every step runs
on both, and after every step the store must show exactly what the model says: each job's
state, fields and history, and every state's search results.

The machine drives the backend protocol (``sdk.broker.store.Backend``, asynchronous: each
step runs on an event loop in a portal thread), so the same rules run on ``":memory:"``, on a
SQLite file and on PostgreSQL (each of the last two may also be closed and reopened; Postgres
is skipped, saying why, where no server can be started). Batches of reports
(``Backend.write_group``) must answer each report as the single command would have, in order.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import psycopg
import pytest
from anyio.from_thread import start_blocking_portal
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from sdk.broker._problems import BrokerError, JobInWrongState, JobNotFound
from sdk.broker.store import FIRST_KEY, Activation, Backend, Failure, JobOutcome
from sdk.broker.store.postgres import PostgresStore
from sdk.broker.store.sqlite import SqliteJobs, ThreadedStore
from sdk.models import DEFAULT_TENANT, JobSpec, JobState, LeasedJob

T = TypeVar("T")

START_MS = 1_700_000_000_000
TYPES = ("a", "b")
UNKNOWN_KEY = FIRST_KEY - 1
ENDED = {JobState.COMPLETED, JobState.ERROR_THROWN, JobState.CANCELED}

Event = tuple[int, str, str | None, int | None, str | None]
"""(at, event, worker, retries, message): one line of a job's history."""


@dataclass
class ModelJob:
    key: int
    type: str
    retries: int
    variables: dict[str, Any]
    state: JobState = JobState.ACTIVATABLE
    available_at: int = 0
    """When it may next be handed out: after a back-off, or at the deadline of an activation."""
    worker: str | None = None
    leased: bool = False
    token: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    history: list[Event] = field(default_factory=list)

    def expired(self, now: int) -> bool:
        return self.state is JobState.ACTIVATED and self.available_at <= now

    def view_state(self, now: int) -> JobState:
        return JobState.ACTIVATABLE if self.expired(now) else self.state


class Rejected(Exception):
    """What the model expects the store to raise."""

    def __init__(self, error: type[BrokerError]) -> None:
        super().__init__(error.__name__)
        self.error = error


class JobModel:
    """The reference: Zeebe's job rules over a dict of jobs, no SQL."""

    def __init__(self) -> None:
        self.jobs: dict[int, ModelJob] = {}
        self.next_key = FIRST_KEY

    def create(self, specs: list[JobSpec], now: int) -> list[int]:
        keys = []
        for spec in specs:
            job = ModelJob(self.next_key, spec.type, spec.retries, dict(spec.variables))
            job.available_at = now
            job.history.append((now, "CREATED", None, spec.retries, None))
            self.jobs[job.key] = job
            keys.append(job.key)
            self.next_key += 1
        return keys

    def candidates(self, query: Activation) -> list[ModelJob]:
        return [
            j
            for j in self.jobs.values()
            if j.type == query.job_type
            and j.state in (JobState.ACTIVATABLE, JobState.ACTIVATED)
            and (query.with_lease or not j.leased)
        ]

    def activate(self, query: Activation, now: int) -> tuple[list[ModelJob], int | None]:
        pool = self.candidates(query)
        ready = sorted(
            (j for j in pool if j.available_at <= now), key=lambda j: (j.available_at, j.key)
        )
        taken = ready[: query.max_jobs]
        for job in taken:
            if job.state is JobState.ACTIVATED:
                job.history.append((now, "TIMED_OUT", job.worker, None, None))
            job.state = JobState.ACTIVATED
            job.worker = query.worker
            job.available_at = now + query.timeout_ms
            job.leased = query.with_lease
            job.token = None  # the store's token is read from its answer (see the machine)
            job.history.append((now, "ACTIVATED", query.worker, None, None))
        next_at = None if taken or not pool else min(j.available_at for j in pool)
        return taken, next_at

    def held(self, key: int, token: str | None, now: int) -> ModelJob:
        """The job if a command with ``token`` may change it now; else the store's refusal."""
        job = self.jobs.get(key)
        if job is None or job.state in ENDED:
            raise Rejected(JobNotFound)
        if job.state is not JobState.ACTIVATED or job.expired(now):
            raise Rejected(JobInWrongState)
        if job.leased and token != job.token:
            raise Rejected(JobInWrongState)
        return job

    def complete(
        self, key: int, variables: dict[str, Any] | None, token: str | None, now: int
    ) -> None:
        job = self.held(key, token, now)
        job.variables.update(variables or {})
        job.state = JobState.COMPLETED
        job.history.append((now, "COMPLETED", job.worker, None, None))

    def fail(self, key: int, failure: Failure, token: str | None, now: int) -> None:
        job = self.held(key, token, now)
        job.variables.update(failure.variables or {})
        job.retries = failure.retries
        job.error_message = failure.message
        job.available_at = now + failure.backoff_ms
        job.state = JobState.ACTIVATABLE if failure.retries > 0 else JobState.INCIDENT
        event = "FAILED" if failure.retries > 0 else "INCIDENT"
        job.history.append((now, event, job.worker, failure.retries, failure.message))

    def throw_error(
        self, key: int, code: str, message: str | None, token: str | None, now: int
    ) -> None:
        job = self.held(key, token, now)
        job.state = JobState.ERROR_THROWN
        job.error_code, job.error_message = code, message
        job.history.append((now, "ERROR_THROWN", job.worker, None, message))

    def update(
        self, key: int, retries: int | None, timeout_ms: int | None, token: str | None, now: int
    ) -> None:
        job = self.jobs.get(key)
        if job is None or job.state in ENDED:
            raise Rejected(JobNotFound)
        if job.leased and job.state is JobState.ACTIVATED:
            # A stale token never changes the job; an operator may set retries without one,
            # but a timeout change without one would extend another worker's activation.
            if (token is not None and token != job.token) or (token is None and timeout_ms):
                raise Rejected(JobInWrongState)
        if timeout_ms is not None and (job.state is not JobState.ACTIVATED or job.expired(now)):
            raise Rejected(JobInWrongState)
        if retries is not None:
            if job.state is JobState.INCIDENT and retries > 0:
                job.state = JobState.ACTIVATABLE  # the incident is resolved: run it again now
                job.available_at = now
            job.retries = retries
            job.history.append((now, "RETRIES_UPDATED", None, retries, None))
        if timeout_ms is not None:
            job.available_at = now + timeout_ms
            job.history.append((now, "TIMEOUT_UPDATED", job.worker, None, None))

    def cancel(self, key: int, now: int) -> None:
        job = self.jobs.get(key)
        if job is None:
            raise Rejected(JobNotFound)
        if job.state in ENDED:
            raise Rejected(JobInWrongState)
        job.state = JobState.CANCELED
        job.history.append((now, "CANCELED", None, None, None))


def outcome(action: Any, *args: Any) -> type[BrokerError] | None:
    """Run ``action``; the class of the broker error it raised, or ``None``."""
    try:
        action(*args)
    except Rejected as exc:
        return exc.error
    except BrokerError as exc:
        return known_error(exc)
    return None


def known_error(exc: BaseException) -> type[BrokerError]:
    for known in (JobNotFound, JobInWrongState):
        if isinstance(exc, known):
            return known
    raise exc


def sqlite_store(path: str | Path) -> Backend:
    return ThreadedStore(SqliteJobs(path, synchronous="NORMAL"), on_change=lambda: None)


keys = st.integers(min_value=0, max_value=1_000)
tokens = st.sampled_from(["current", "stale", "none", "bogus"])
messages = st.one_of(st.none(), st.sampled_from(["boom", 'it\'s "quoted"', ""]))
small_variables = st.one_of(
    st.none(), st.dictionaries(st.sampled_from(["x", "y", "n"]), st.integers(-5, 5), max_size=2)
)


class StoreMachine(RuleBasedStateMachine):
    """Drives the store and the model side by side; a subclass picks where the store lives."""

    def __init__(self) -> None:
        super().__init__()
        self.tmp: Path | None = None
        self._portal = start_blocking_portal("asyncio")
        self.portal = self._portal.__enter__()
        self.store: Backend = self.open_store()
        self.model = JobModel()
        self.now = START_MS
        self.counter = 0
        self.tokens: dict[int, list[str]] = {}
        """Every lease token the store handed out per job, oldest first."""

    def open_store(self) -> Backend:
        return sqlite_store(":memory:")

    def call(self, method: Callable[..., Awaitable[T]], *args: Any) -> T:
        """Run one of the store's coroutines on the portal's event loop."""
        return self.portal.call(method, *args)

    def on_store(self, method: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
        return partial(self.call, method)

    def teardown(self) -> None:
        try:
            self.call(self.store.aclose)
        finally:
            self._portal.__exit__(None, None, None)
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)

    # -- choosing ---------------------------------------------------------------------------

    def pick(self, choice: int) -> int:
        """A known job key mostly, sometimes one that does not exist; half the time one held
        by an activation when there is one, so commands also succeed, not only get refused."""
        known = sorted(self.model.jobs)
        if not known or choice % 10 == 9:
            return UNKNOWN_KEY
        held = [k for k in known if self.model.jobs[k].view_state(self.now) is JobState.ACTIVATED]
        if held and choice % 2 == 0:
            return held[choice // 2 % len(held)]
        return known[choice % len(known)]

    def token_for(self, key: int, kind: str) -> str | None:
        seen = self.tokens.get(key, [])
        if kind == "current":
            return seen[-1] if seen else None
        if kind == "stale":
            return seen[-2] if len(seen) > 1 else f"{key}.0"
        if kind == "bogus":
            return "x'; DROP TABLE jobs; --"
        return None

    # -- rules --------------------------------------------------------------------------------

    @initialize(with_lease=st.booleans())
    def start_with_jobs_held(self, with_lease: bool) -> None:
        """Jobs of both types, some already held: commands get to succeed early in a run."""
        self.create("a", [1, 2, 3])
        self.create("b", [1])
        self.activate("a", 2, 5_000, with_lease, "w1")

    @rule(
        job_type=st.sampled_from(TYPES),
        retries=st.lists(st.integers(min_value=1, max_value=3), min_size=1, max_size=3),
    )
    def create(self, job_type: str, retries: list[int]) -> None:
        specs = []
        for r in retries:
            self.counter += 1
            specs.append(JobSpec(type=job_type, retries=r, variables={"i": self.counter}))
        assert self.call(self.store.create, specs, self.now) == [
            str(k) for k in self.model.create(specs, self.now)
        ]

    @rule(
        job_type=st.sampled_from(TYPES),
        max_jobs=st.integers(min_value=1, max_value=4),
        timeout_ms=st.sampled_from([1, 500, 1_000, 5_000]),
        with_lease=st.booleans(),
        worker=st.sampled_from(["w1", "w2"]),
    )
    def activate(
        self, job_type: str, max_jobs: int, timeout_ms: int, with_lease: bool, worker: str
    ) -> None:
        query = Activation(job_type, worker, timeout_ms, max_jobs, with_lease=with_lease)
        got, got_next = self.call(self.store.activate, query, self.now)
        want, want_next = self.model.activate(query, self.now)
        assert [int(j.job_key) for j in got] == [j.key for j in want]
        assert got_next == want_next
        for job, expected in zip(got, want, strict=True):
            assert job.deadline == self.now + timeout_ms
            assert (job.worker, job.retries, job.type) == (worker, expected.retries, job_type)
            assert job.variables == expected.variables
            if with_lease:
                assert isinstance(job, LeasedJob) and job.lease_token is not None
                assert job.lease_token not in self.tokens.get(expected.key, [])  # a new one
                self.tokens.setdefault(expected.key, []).append(job.lease_token)
                expected.token = job.lease_token
            else:
                assert job.lease_token is None

    @rule(choice=keys, token=tokens, variables=small_variables)
    def complete(self, choice: int, token: str, variables: dict[str, Any] | None) -> None:
        key = self.pick(choice)
        lease = self.token_for(key, token)
        assert outcome(
            self.on_store(self.store.complete), key, variables, lease, self.now
        ) is outcome(self.model.complete, key, variables, lease, self.now)

    @rule(
        choice=keys,
        token=tokens,
        retries=st.integers(min_value=0, max_value=3),
        backoff_ms=st.sampled_from([0, 1, 1_000, 3_000]),
        message=messages,
        variables=small_variables,
    )
    def fail(
        self,
        choice: int,
        token: str,
        retries: int,
        backoff_ms: int,
        message: str | None,
        variables: dict[str, Any] | None,
    ) -> None:
        key = self.pick(choice)
        lease = self.token_for(key, token)
        failure = Failure(retries, message, backoff_ms, variables)
        assert outcome(self.on_store(self.store.fail), key, failure, lease, self.now) is outcome(
            self.model.fail, key, failure, lease, self.now
        )

    @rule(choice=keys, token=tokens, code=st.sampled_from(["E1", "E'2"]), message=messages)
    def throw_error(self, choice: int, token: str, code: str, message: str | None) -> None:
        key = self.pick(choice)
        lease = self.token_for(key, token)
        assert outcome(
            self.on_store(self.store.throw_error), key, code, message, None, lease, self.now
        ) is outcome(self.model.throw_error, key, code, message, lease, self.now)

    @rule(
        picks=st.lists(
            st.tuples(
                keys,
                tokens,
                st.sampled_from(["complete", "fail", "error"]),
                st.integers(min_value=0, max_value=2),
            ),
            min_size=1,
            max_size=4,
        )
    )
    def report_batch(self, picks: list[tuple[int, str, str, int]]) -> None:
        """Several outcomes in one transaction, a job possibly twice: each is answered as its
        single command would have been after the ones before it."""
        reports: list[JobOutcome] = []
        wanted: list[type[BrokerError] | None] = []
        for choice, token, kind, retries in picks:
            key = self.pick(choice)
            lease = self.token_for(key, token)
            if kind == "complete":
                reports.append(JobOutcome(key, lease, {"batch": retries}))
                wanted.append(
                    outcome(self.model.complete, key, {"batch": retries}, lease, self.now)
                )
            elif kind == "fail":
                failure = Failure(retries, "batch", 1_000, None)
                reports.append(JobOutcome(key, lease, None, failure))
                wanted.append(outcome(self.model.fail, key, failure, lease, self.now))
            else:
                reports.append(JobOutcome(key, lease, None, error_code="B", message="batch"))
                wanted.append(outcome(self.model.throw_error, key, "B", "batch", lease, self.now))
        results = self.call(self.store.write_group, reports, self.now)
        assert [None if ok else known_error(value) for ok, value in results] == wanted
        for report, (ok, value) in zip(reports, results, strict=True):
            if ok:
                assert value == self.model.jobs[report.key].type

    def _update(self, choice: int, token: str, retries: int | None, timeout: int | None) -> None:
        key = self.pick(choice)
        lease = self.token_for(key, token)
        assert outcome(
            self.on_store(self.store.update), key, retries, timeout, self.now, lease
        ) is outcome(self.model.update, key, retries, timeout, lease, self.now)

    @rule(choice=keys, token=tokens, retries=st.integers(min_value=0, max_value=3))
    def update_retries(self, choice: int, token: str, retries: int) -> None:
        self._update(choice, token, retries, None)

    @rule(choice=keys, token=tokens, timeout_ms=st.sampled_from([1, 1_000, 10_000]))
    def update_timeout(self, choice: int, token: str, timeout_ms: int) -> None:
        self._update(choice, token, None, timeout_ms)

    @rule(choice=keys, token=tokens, retries=st.integers(min_value=0, max_value=3))
    def update_both(self, choice: int, token: str, retries: int) -> None:
        self._update(choice, token, retries, 2_000)

    @rule(choice=keys)
    def cancel(self, choice: int) -> None:
        key = self.pick(choice)
        assert outcome(self.on_store(self.store.cancel), key, self.now) is outcome(
            self.model.cancel, key, self.now
        )

    @rule(ms=st.sampled_from([1, 499, 500, 1_000, 2_999, 5_000]))
    def advance_time(self, ms: int) -> None:
        self.now += ms

    @precondition(lambda self: any(j.state is JobState.ACTIVATED for j in self.model.jobs.values()))
    @rule()
    def advance_to_a_deadline(self) -> None:
        """Exactly onto the earliest deadline: the boundary where an activation expires."""
        deadlines = [
            j.available_at for j in self.model.jobs.values() if j.state is JobState.ACTIVATED
        ]
        self.now = max(self.now, min(deadlines))

    # -- what must hold after every step ---------------------------------------------------

    @invariant()
    def every_job_reads_as_the_model_says(self) -> None:
        for key, job in self.model.jobs.items():
            stored = self.call(self.store.get, key, self.now)
            state = job.view_state(self.now)
            assert stored.state is state, (key, job)
            assert stored.retries == job.retries
            assert stored.worker == job.worker
            assert stored.deadline == (job.available_at if state is JobState.ACTIVATED else None)
            assert stored.variables == job.variables
            assert (stored.error_code, stored.error_message) == (job.error_code, job.error_message)
            assert stored.tenant_id == DEFAULT_TENANT
            history = [
                (e.at, e.event, e.worker, e.retries, e.message) for e in stored.history or []
            ]
            assert history == job.history
        assert outcome(self.on_store(self.store.get), UNKNOWN_KEY, self.now) is JobNotFound

    @invariant()
    def searches_by_state_agree(self) -> None:
        for state in JobState:
            found, _ = self.call(self.store.search, None, state, 1_000, None, self.now)
            want = {k for k, j in self.model.jobs.items() if j.view_state(self.now) is state}
            assert {int(j.job_key) for j in found} == want, state


class FileStoreMachine(StoreMachine):
    """The same rules on a SQLite file, which may also be closed and opened again."""

    def open_store(self) -> Backend:
        self.tmp = Path(tempfile.mkdtemp(prefix="sdk-model-"))
        return sqlite_store(self.tmp / "jobs.sqlite3")

    @rule()
    def reopen(self) -> None:
        path = self.store.path
        self.call(self.store.aclose)
        self.store = sqlite_store(path)


class PostgresStoreMachine(StoreMachine):
    """The same rules on PostgreSQL: each run starts from an empty database, which may also
    be closed and connected to again."""

    database_url: str | None = None
    """Set by the ``postgres_machine`` fixture below."""

    def open_store(self) -> Backend:
        assert self.database_url is not None
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            conn.execute("DROP SCHEMA public CASCADE")
            conn.execute("CREATE SCHEMA public")
        return self.postgres_store()

    def postgres_store(self) -> Backend:
        assert self.database_url is not None
        return PostgresStore(self.database_url, pool_size=2, on_change=lambda: None)

    @rule()
    def reopen(self) -> None:
        self.call(self.store.aclose)
        self.store = self.postgres_store()


@pytest.fixture(autouse=True)
def postgres_machine(request: pytest.FixtureRequest) -> None:
    """Give the Postgres machines a database of their own (or skip, saying why)."""
    if getattr(request.cls, "needs_postgres", False):
        PostgresStoreMachine.database_url = request.getfixturevalue("postgres_url")


SETTINGS = settings(
    max_examples=60, stateful_step_count=30, deadline=None, database=None, print_blob=True
)

THOROUGH = settings(SETTINGS, max_examples=600, stateful_step_count=60)
"""The same with ``--run-slow``."""

TestMemoryStore = StoreMachine.TestCase
TestMemoryStore.settings = SETTINGS
TestFileStore = FileStoreMachine.TestCase
TestFileStore.settings = SETTINGS
# Each step is several round trips to PostgreSQL: on a busy machine the run nears the default
# timeout, so it gets a wider one.
TestPostgresStore = pytest.mark.timeout(180)(PostgresStoreMachine.TestCase)
TestPostgresStore.settings = SETTINGS
TestPostgresStore.needs_postgres = True  # type: ignore[attr-defined]


class ThoroughMemoryMachine(StoreMachine):
    pass


class ThoroughFileMachine(FileStoreMachine):
    pass


slow = pytest.mark.slow
TestMemoryStoreThoroughly = slow(pytest.mark.timeout(900)(ThoroughMemoryMachine.TestCase))
TestMemoryStoreThoroughly.settings = THOROUGH
TestFileStoreThoroughly = slow(pytest.mark.timeout(900)(ThoroughFileMachine.TestCase))
TestFileStoreThoroughly.settings = THOROUGH
