"""Behaviours pinned against Zeebe's engine: variable scopes of multi-instance and error
catch events, the catch walk's stop at an interrupted scope, uncaught escalations, and
cron and repeating timer cycles."""

from __future__ import annotations

from sdk.broker.engine import ElementChanged, TimerScheduled, VariableSet

from ._driver import Driver
from ._models import chain, io, model, service, straight
from .test_events import ERRORS, boundary, with_boundary
from .test_more import multi


def _keys_of(driver: Driver, element_id: str) -> list[int]:
    return sorted(
        {
            e.key
            for _, e in driver.effects
            if isinstance(e, ElementChanged) and e.element_id == element_id
        }
    )


def test_a_job_variable_named_like_the_output_element_stays_on_the_inner_instance() -> None:
    # Zeebe initialises the output element (a plain variable) to null on each inner instance,
    # so the job's `done` lands there: the collection gets it, the process does not.
    loop = (
        '<zeebe:loopCharacteristics inputCollection="=items" inputElement="item"'
        ' outputCollection="results" outputElement="=done"/>'
    )
    driver = Driver.deploy(model(straight(multi("m", loop))))
    key = driver.start(variables={"items": [1, 2]})
    variables = driver.job_variables("m")
    assert variables == {
        "items": [1, 2],
        "results": [None, None],
        "item": 1,
        "done": None,
        "loopCounter": 1,
    }
    driver.complete("m", {"done": "a"})
    driver.complete("m", {"done": "b"})
    assert driver.variables(key) == {"items": [1, 2], "results": ["a", "b"]}


def test_output_mappings_of_an_inner_instance_start_from_the_inner_instance() -> None:
    loop = (
        '<zeebe:loopCharacteristics inputCollection="=items" outputCollection="results"'
        ' outputElement="=r"/></bpmn:extensionElements>'
    )
    task = (
        '<bpmn:serviceTask id="m"><bpmn:extensionElements><zeebe:taskDefinition type="m"/>'
        + io(outputs={"r": "=x * 10"})
        + '</bpmn:extensionElements><bpmn:multiInstanceLoopCharacteristics isSequential="true">'
        f"<bpmn:extensionElements>{loop}</bpmn:multiInstanceLoopCharacteristics>"
        "</bpmn:serviceTask>"
    )
    driver = Driver.deploy(model(straight(task)))
    key = driver.start(variables={"items": [1, 2]})
    driver.complete("m", {"x": 1})
    driver.complete("m", {"x": 2})
    assert driver.variables(key) == {"items": [1, 2], "results": [10, 20]}


def test_number_of_instances_counts_the_inner_instances_created_so_far_in_sequence() -> None:
    loop = (
        '<zeebe:loopCharacteristics inputCollection="=items"/></bpmn:extensionElements>'
        "<bpmn:completionCondition>=numberOfInstances = 2</bpmn:completionCondition>"
        "<bpmn:extensionElements>"
    )
    driver = Driver.deploy(model(straight(multi("m", loop, sequential=True))))
    key = driver.start(variables={"items": [1, 2, 3]})
    driver.complete("m")
    assert driver.open_job_types() == ["m"]
    driver.complete("m")
    assert driver.status(key) == "COMPLETED"
    assert len(_keys_of(driver, "m")) == 2 + 1  # two inner instances and the body


def test_error_variables_reach_the_process_through_the_boundary_output_mappings() -> None:
    definition = '<bpmn:errorEventDefinition errorRef="err"/>'
    body = with_boundary(definition).replace(
        '<bpmn:boundaryEvent id="b" attachedToRef="a">',
        '<bpmn:boundaryEvent id="b" attachedToRef="a"><bpmn:extensionElements>'
        + io(outputs={"why": "=reason"})
        + "</bpmn:extensionElements>",
    )
    driver = Driver.deploy(model(body, ERRORS))
    key = driver.start()
    driver.throw("a", "NOT_FOUND", variables={"reason": "x"})
    assert driver.variables(key) == {"why": "x"}


def test_message_boundary_variables_are_set_on_the_boundary_then_merged_upwards() -> None:
    message = '<bpmn:messageEventDefinition messageRef="msg"/>'
    roots = (
        '<bpmn:message id="msg" name="go"><bpmn:extensionElements>'
        '<zeebe:subscription correlationKey="=id"/></bpmn:extensionElements></bpmn:message>'
    )
    driver = Driver.deploy(model(with_boundary(message), roots))
    key = driver.start(variables={"id": "1"})
    driver.publish("go", "1", {"m": 5})
    (boundary_key,) = _keys_of(driver, "b")
    sets = [(e.scope_key, e.name) for _, e in driver.effects if isinstance(e, VariableSet)]
    assert sets[-2:] == [(boundary_key, "m"), (key, "m")]
    assert driver.variables(key)["m"] == 5


def test_an_error_in_an_interrupting_event_sub_process_is_not_caught_outside_it() -> None:
    # Zeebe stops looking for a catch event at a scope an interrupting event sub-process took
    # over: the error boundary of the sub-process does not see it, it is an incident.
    inner_esp = (
        '<bpmn:subProcess id="esp" triggeredByEvent="true">'
        '<bpmn:startEvent id="es"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1M'
        "</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:startEvent>"
        + service("fix")
        + '<bpmn:endEvent id="ee"/>'
        + chain("es", "fix", "ee", prefix="x")
        + "</bpmn:subProcess>"
    )
    sub = (
        '<bpmn:subProcess id="sub"><bpmn:startEvent id="s2"/>'
        + service("work")
        + '<bpmn:endEvent id="e2"/>'
        + chain("s2", "work", "e2", prefix="g")
        + inner_esp
        + "</bpmn:subProcess>"
    )
    body = (
        straight(sub)
        + boundary("b", "sub", "<bpmn:errorEventDefinition/>")
        + '<bpmn:endEvent id="caught"/>'
        + chain("b", "caught", prefix="h")
    )
    driver = Driver.deploy(model(body, ERRORS))
    key = driver.start()
    driver.advance(60_000)
    driver.throw("fix", "BOOM")
    (incident,) = driver.open_incidents(key)
    assert incident.error_type == "UNHANDLED_ERROR_EVENT"
    assert incident.element_id == "fix"


def test_an_uncaught_escalation_is_no_incident_the_throw_event_completes() -> None:
    throw = (
        '<bpmn:intermediateThrowEvent id="up">'
        '<bpmn:escalationEventDefinition escalationRef="x"/></bpmn:intermediateThrowEvent>'
    )
    roots = '<bpmn:escalation id="x" escalationCode="LATE"/>'
    driver = Driver.deploy(model(straight(throw, service("after")), roots))
    key = driver.start()
    assert not driver.open_incidents(key)
    assert driver.history(key) == ["start", "up"]
    assert driver.open_job_types() == ["after"]


def _cycle(text: str) -> str:
    return (
        f"<bpmn:timerEventDefinition><bpmn:timeCycle>{text}</bpmn:timeCycle>"
        "</bpmn:timerEventDefinition>"
    )


def test_a_cron_cycle_on_a_non_interrupting_boundary_fires_at_each_cron_time() -> None:
    driver = Driver.deploy(model(with_boundary(_cycle("0 */5 * * * *"), interrupting=False)))
    driver.now = 1_700_000_100_000  # 2023-11-14T22:15:00Z
    driver.start()
    (timer,) = [t for _, t in driver.timers.values()]
    assert timer.due == 1_700_000_400_000  # the next multiple of five minutes
    assert timer.repetitions == -1
    driver.advance(300_000)
    assert driver.open_job_types() == ["a", "handle"]
    (again,) = [t for _, t in driver.timers.values()]
    assert again.due == 1_700_000_700_000


def test_a_cron_cycle_that_is_no_cron_raises_an_extract_value_incident() -> None:
    driver = Driver.deploy(model(with_boundary(_cycle("=&quot;0 0 * *&quot;"), interrupting=False)))
    key = driver.start()
    (incident,) = driver.open_incidents(key)
    assert incident.error_type == "EXTRACT_VALUE_ERROR"


def test_a_repeating_interval_fires_its_repetitions_then_stops() -> None:
    driver = Driver.deploy(model(with_boundary(_cycle("R2/PT1M"), interrupting=False)))
    driver.start()
    driver.advance(5 * 60_000)
    assert driver.open_job_types() == ["a", "handle", "handle"]
    scheduled = [e for _, e in driver.effects if isinstance(e, TimerScheduled)]
    assert [(t.due - scheduled[0].due, t.repetitions) for t in scheduled] == [(0, 2), (60_000, 1)]


CALL = (
    '<bpmn:callActivity id="call"><bpmn:extensionElements>'
    '<zeebe:calledElement processId="child"/></bpmn:extensionElements></bpmn:callActivity>'
)
CHILD = (
    '<bpmn:process id="child" isExecutable="true"><bpmn:startEvent id="cs"/>'
    + service("c")
    + '<bpmn:endEvent id="ce"/>'
    + chain("cs", "c", "ce", prefix="c")
    + "</bpmn:process>"
)


def _caller(definition: str) -> str:
    return (
        straight(CALL)
        + boundary("b", "call", definition)
        + '<bpmn:endEvent id="caught"/>'
        + chain("b", "caught", prefix="h")
    )


def test_an_error_uncaught_in_the_child_is_caught_by_the_call_activity_boundary() -> None:
    body = _caller('<bpmn:errorEventDefinition errorRef="err"/>')
    driver = Driver.deploy(model(body, ERRORS, more=CHILD))
    key = driver.start("p")
    child = next(k for k in driver.states if k != key)
    driver.throw("c", "NOT_FOUND", variables={"why": 1})
    assert driver.status(child) == "TERMINATED"
    assert driver.status(key) == "COMPLETED"
    assert driver.history(key) == ["start", "b", "caught"]
    assert not driver.open_incidents()


def test_an_error_no_instance_catches_is_an_incident_in_the_child_naming_every_code() -> None:
    body = _caller('<bpmn:errorEventDefinition errorRef="err"/>')
    driver = Driver.deploy(model(body, ERRORS, more=CHILD))
    key = driver.start("p")
    child = next(k for k in driver.states if k != key)
    driver.throw("c", "OTHER")
    (incident,) = driver.open_incidents()
    assert driver.incidents[incident.key][0] == child
    assert incident.element_id == "c"
    assert incident.message == (
        "Expected to throw an error event with the code 'OTHER', but it was not caught."
        " Available error events are [NOT_FOUND]"
    )
    assert driver.status(key) == "ACTIVE"


def test_an_escalation_of_the_child_caught_non_interrupting_lets_the_child_go_on() -> None:
    child = CHILD.replace(
        service("c"),
        '<bpmn:intermediateThrowEvent id="up"><bpmn:escalationEventDefinition escalationRef="x"/>'
        "</bpmn:intermediateThrowEvent>" + service("c"),
    ).replace(chain("cs", "c", "ce", prefix="c"), chain("cs", "up", "c", "ce", prefix="c"))
    body = (
        straight(CALL)
        + boundary("b", "call", "<bpmn:escalationEventDefinition/>", interrupting=False)
        + service("notify")
        + '<bpmn:endEvent id="n"/>'
        + chain("b", "notify", "n", prefix="h")
    )
    roots = '<bpmn:escalation id="x" escalationCode="LATE"/>'
    driver = Driver.deploy(model(body, roots, more=child))
    key = driver.start("p")
    assert sorted(driver.open_job_types()) == ["c", "notify"]
    driver.complete("c")
    driver.complete("notify")
    assert driver.status(key) == "COMPLETED"
