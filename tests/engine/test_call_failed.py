"""A call activity whose child cannot be started (the store answers ``CallFailed``): a
CALLED_ELEMENT_ERROR incident on the call activity; resolving it asks for the child again."""

from __future__ import annotations

import itertools

import pytest

from sdk.bpmn import parse
from sdk.broker.engine import (
    CallFailed,
    ChildRequested,
    CreateInstance,
    Definition,
    Engine,
    IncidentCreated,
    IncidentResolved,
    Rejected,
    ResolveIncident,
)

from ._models import model, straight

CALL = (
    '<bpmn:callActivity id="call"><bpmn:extensionElements>'
    '<zeebe:calledElement processId="= target"/></bpmn:extensionElements></bpmn:callActivity>'
)


def engine() -> Engine:
    (process,) = parse(model(straight(CALL))).executable_processes
    return Engine(Definition(process, 1, 1))


def test_a_failed_call_is_an_incident_and_resolving_asks_for_the_child_again() -> None:
    counter = itertools.count(1)
    run = engine()
    step = run.apply(None, CreateInstance({"target": "child"}), now=0, keys=lambda: next(counter))
    (request,) = [e for e in step.effects if isinstance(e, ChildRequested)]
    assert request.bpmn_process_id == "child"

    failed = run.apply(
        step.state,
        CallFailed(request.element_instance_key, "not deployed"),
        now=0,
        keys=lambda: next(counter),
    )
    (incident,) = [e for e in failed.effects if isinstance(e, IncidentCreated)]
    assert (incident.error_type, incident.element_id, incident.message) == (
        "CALLED_ELEMENT_ERROR",
        "call",
        "not deployed",
    )
    assert incident.element_instance_key == request.element_instance_key
    assert incident.job_key is None and failed.state.incidents

    resolved = run.apply(
        failed.state, ResolveIncident(incident.key), now=0, keys=lambda: next(counter)
    )
    assert [type(e) for e in resolved.effects] == [IncidentResolved, ChildRequested]
    again = resolved.effects[1]
    assert isinstance(again, ChildRequested)
    assert (again.element_instance_key, again.bpmn_process_id) == (
        request.element_instance_key,
        "child",
    )
    assert not resolved.state.incidents


def test_a_failed_call_on_no_waiting_call_activity_is_rejected() -> None:
    counter = itertools.count(1)
    run = engine()
    step = run.apply(None, CreateInstance({"target": "x"}), now=0, keys=lambda: next(counter))
    with pytest.raises(Rejected):
        run.apply(step.state, CallFailed(999, "gone"), now=0, keys=lambda: next(counter))
