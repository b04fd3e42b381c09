"""A store steps a state it read for one command in place (``Engine.apply(owned=True)``) and
hands ``persist`` a ``prior`` summary: the outcome and the statements must be those of the
copying path, and the JSON document that of every field."""

from __future__ import annotations

import dataclasses
import itertools
import json

from sdk.broker.engine import (
    CancelInstance,
    Command,
    CompleteJob,
    FailJob,
    InstanceState,
    ResolveIncident,
)
from sdk.broker.store import _instance_json, _instances

from ._driver import Driver
from ._models import flow, io, model, service
from .test_instance_json import PARALLEL

THREE = (
    '<bpmn:startEvent id="start"/><bpmn:parallelGateway id="fork"/>'
    + service("a")
    + service("b", extra=io(outputs={"r": "=1 + 1"}))
    + service("c")
    + '<bpmn:parallelGateway id="join"/><bpmn:endEvent id="end"/>'
    + flow("f1", "start", "fork")
    + flow("f2", "fork", "a")
    + flow("f3", "fork", "b")
    + flow("f4", "fork", "c")
    + flow("f5", "a", "join")
    + flow("f6", "b", "join")
    + flow("f7", "c", "join")
    + flow("f8", "join", "end")
)


def both_ways(
    driver: Driver, state: InstanceState, command: Command
) -> tuple[InstanceState, _instances.Persisted]:
    """The command by copying and by stepping a fresh read in place: equal in every way."""
    engine = driver.engines[state.bpmn_process_id]
    text = _instance_json.dumps(state)
    copied_keys = itertools.count(10_000).__next__
    copied = engine.apply(state, command, now=driver.now, keys=copied_keys)
    assert _instance_json.dumps(state) == text  # the copying path leaves it alone
    expected = _instances.persist(
        state, copied, command, now=driver.now, keys=copied_keys, tenant_id="t"
    )

    fresh = _instance_json.loads(text)
    owned_keys = itertools.count(10_000).__next__
    before = _instances.prior(fresh)
    owned = engine.apply(fresh, command, now=driver.now, keys=owned_keys, owned=True)
    assert owned.state is fresh  # stepped in place, not copied
    got = _instances.persist(before, owned, command, now=driver.now, keys=owned_keys, tenant_id="t")

    assert owned.state == copied.state
    assert owned.effects == copied.effects
    assert got == expected
    return owned.state, got


def test_completing_a_fork_of_three_in_place_matches_the_copy() -> None:
    driver = Driver.deploy(model(THREE))
    key = driver.start()
    state = driver.states[key]
    for _ in range(3):
        job = next(iter(state.jobs.values()))
        flows = len(state.taken_flows)
        state, persisted = both_ways(driver, state, CompleteJob(job.key, {"done": job.element_id}))
        positions = [args[1] for sql, args in persisted.statements if "sequence_flows" in sql]
        assert positions == list(range(flows, flows + len(positions)))
    assert state.state == "COMPLETED"


def test_cancelling_in_place_names_the_jobs_it_cancels() -> None:
    driver = Driver.deploy(model(PARALLEL))
    key = driver.start()
    state = driver.states[key]
    types = {job.key: job.type for job in state.jobs.values()}
    assert len(types) == 2

    state, persisted = both_ways(driver, state, CancelInstance())

    assert state.state == "TERMINATED"
    canceled = {
        key: job_type for key, job_type, event, _ in persisted.events if event == "CANCELED"
    }
    assert canceled == types


def test_an_incident_resolved_in_place_clears_its_element() -> None:
    driver = Driver.deploy(model(PARALLEL))
    key = driver.start()
    job = next(iter(driver.states[key].jobs.values()))
    state, _ = both_ways(driver, driver.states[key], FailJob(job.key, 0, "boom"))
    (incident,) = state.incidents.values()

    state, persisted = both_ways(driver, state, ResolveIncident(incident.key))

    cleared = [args for sql, args in persisted.statements if "incident_key = NULL" in sql]
    assert cleared == [(incident.element_instance_key, incident.key)]


def test_the_document_holds_every_field_as_before() -> None:
    driver = Driver.deploy(model(THREE))
    key = driver.start(variables={"nested": {"a": [1, 2.5, None, "x"]}})
    state = driver.states[key]
    document = json.loads(_instance_json.dumps(state))
    elements = [{**dataclasses.asdict(e), "state": e.state.value} for e in state.elements.values()]
    assert document["elements"] == elements
    assert document["jobs"] == [dataclasses.asdict(job) for job in state.jobs.values()]
    assert document["variables"] == [[scope, v] for scope, v in state.variables.items()]
