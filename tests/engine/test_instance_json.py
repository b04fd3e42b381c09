"""The store's JSON form of an instance's engine state: every state reads back equal, and an
instance continued from the read-back state behaves as the original."""

from __future__ import annotations

import pytest

from sdk.broker.engine import ElementState, Incident, InstanceState, Subscription, Timer
from sdk.broker.store import _instance_json

from ._driver import Driver
from ._models import flow, io, model, service, straight

MESSAGE = (
    '<bpmn:startEvent id="start"/>'
    + service("a")
    + '<bpmn:boundaryEvent id="late" attachedToRef="a" cancelActivity="false">'
    "<bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration>"
    "</bpmn:timerEventDefinition></bpmn:boundaryEvent>"
    '<bpmn:intermediateCatchEvent id="wait"><bpmn:messageEventDefinition messageRef="m"/>'
    "</bpmn:intermediateCatchEvent>"
    '<bpmn:endEvent id="end"/><bpmn:endEvent id="late_end"/>'
    + flow("f1", "start", "a")
    + flow("f2", "a", "wait")
    + flow("f3", "wait", "end")
    + flow("f4", "late", "late_end")
)
MESSAGE_ROOT = (
    '<bpmn:message id="m" name="paid"><bpmn:extensionElements>'
    '<zeebe:subscription correlationKey="=order"/></bpmn:extensionElements></bpmn:message>'
)
PARALLEL = (
    '<bpmn:startEvent id="start"/><bpmn:parallelGateway id="split"/>'
    + service("left")
    + service("right", extra=io(outputs={"r": "=1 + 1"}))
    + '<bpmn:parallelGateway id="join"/><bpmn:endEvent id="end"/>'
    + flow("f1", "start", "split")
    + flow("f2", "split", "left")
    + flow("f3", "split", "right")
    + flow("f4", "left", "join")
    + flow("f5", "right", "join")
    + flow("f6", "join", "end")
)


def round_trip(state: InstanceState) -> InstanceState:
    text = _instance_json.dumps(state)
    assert isinstance(text, str)
    back = _instance_json.loads(text)
    assert back == state
    return back


def test_every_state_of_a_run_reads_back_equal() -> None:
    driver = Driver.deploy(model(MESSAGE, MESSAGE_ROOT))
    key = driver.start(variables={"order": "o-1", "nested": {"a": [1, 2.5, None, "x"]}})
    state = round_trip(driver.states[key])
    assert any(isinstance(t, Timer) for t in state.timers.values())
    assert {e.state for e in state.elements.values()} <= set(ElementState)
    driver.complete("a", {"paid": False})
    state = round_trip(driver.states[key])
    assert any(isinstance(s, Subscription) for s in state.subscriptions.values())


def test_a_state_with_joins_and_incidents_reads_back_equal() -> None:
    driver = Driver.deploy(model(PARALLEL))
    key = driver.start()
    driver.complete("left")
    round_trip(driver.states[key])
    driver.fail("right", 0, "boom")
    state = round_trip(driver.states[key])
    assert any(isinstance(i, Incident) for i in state.incidents.values())


def test_an_instance_continues_from_its_read_back_state() -> None:
    original = Driver.deploy(model(straight(service("a"), service("b"))))
    key = original.start(variables={"x": 1})
    original.states[key] = _instance_json.loads(_instance_json.dumps(original.states[key]))
    original.complete("a", {"y": 2})
    original.states[key] = _instance_json.loads(_instance_json.dumps(original.states[key]))
    original.complete("b")
    assert original.ended[key].state == "COMPLETED"
    assert original.ended[key].variables == {"x": 1, "y": 2}


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="format"):
        _instance_json.loads('{"format": 99}')
