"""Embedded sub-processes, boundary events (error, timer, message), error end events and
error catching, intermediate timer and message catches, and link events."""

from __future__ import annotations

from ._driver import Driver
from ._models import chain, flow, io, model, service, straight

ERRORS = '<bpmn:error id="err" errorCode="NOT_FOUND"/><bpmn:error id="any2" />'


def boundary(element_id: str, attached: str, definition: str, *, interrupting: bool = True) -> str:
    cancel = "" if interrupting else ' cancelActivity="false"'
    return (
        f'<bpmn:boundaryEvent id="{element_id}" attachedToRef="{attached}"{cancel}>'
        f"{definition}</bpmn:boundaryEvent>"
    )


def timer(duration: str) -> str:
    return (
        f"<bpmn:timerEventDefinition><bpmn:timeDuration>{duration}</bpmn:timeDuration>"
        "</bpmn:timerEventDefinition>"
    )


def with_boundary(definition: str, *, interrupting: bool = True) -> str:
    return (
        straight(service("a"))
        + boundary("b", "a", definition, interrupting=interrupting)
        + service("handle")
        + '<bpmn:endEvent id="handled"/>'
        + chain("b", "handle", "handled", prefix="h")
    )


def test_embedded_sub_process_runs_its_flow_then_continues() -> None:
    sub = (
        '<bpmn:subProcess id="sub">'
        + straight(service("inner"))
        .replace('id="start"', 'id="s2"')
        .replace('id="end"', 'id="e2"')
        .replace('"f1"', '"g1"')
        .replace('"f2"', '"g2"')
        .replace('sourceRef="start"', 'sourceRef="s2"')
        .replace('targetRef="end"', 'targetRef="e2"')
        + "</bpmn:subProcess>"
    )
    driver = Driver.deploy(model(straight(sub)))
    key = driver.start()
    assert driver.active(key) == ["sub", "inner"]
    driver.complete("inner", {"x": 1})
    assert driver.status(key) == "COMPLETED"
    assert driver.history(key) == ["start", "s2", "inner", "e2", "sub", "end"]
    assert driver.variables(key) == {"x": 1}


def test_sub_process_local_variables_do_not_reach_the_process() -> None:
    sub = (
        '<bpmn:subProcess id="sub"><bpmn:extensionElements>'
        + io({"local": "=1"})
        + '</bpmn:extensionElements><bpmn:startEvent id="s2"/>'
        + service("inner")
        + '<bpmn:endEvent id="e2"/>'
        + chain("s2", "inner", "e2", prefix="g")
        + "</bpmn:subProcess>"
    )
    driver = Driver.deploy(model(straight(sub)))
    key = driver.start()
    driver.complete("inner", {"local": 2, "out": 3})
    assert driver.variables(key) == {"out": 3}


def test_error_thrown_by_a_job_is_caught_by_the_boundary_with_its_code() -> None:
    definition = '<bpmn:errorEventDefinition errorRef="err"/>'
    driver = Driver.deploy(model(with_boundary(definition), ERRORS))
    key = driver.start()
    driver.throw("a", "NOT_FOUND", "gone", {"reason": "x"})
    assert driver.open_job_types() == ["handle"]
    assert driver.history(key, "ELEMENT_TERMINATED") == ["a"]
    assert driver.variables(key) == {"reason": "x"}


def test_error_with_another_code_is_not_caught_and_raises_an_incident() -> None:
    definition = '<bpmn:errorEventDefinition errorRef="err"/>'
    driver = Driver.deploy(model(with_boundary(definition), ERRORS))
    key = driver.start()
    driver.throw("a", "OTHER", "nope")
    (incident,) = driver.open_incidents(key)
    assert incident.error_type == "UNHANDLED_ERROR_EVENT"
    assert incident.element_id == "a"
    assert incident.message == (
        "Expected to throw an error event with the code 'OTHER' with message 'nope', but it was"
        " not caught. Available error events are [NOT_FOUND]"
    )


def test_error_without_any_catch_names_no_available_events() -> None:
    driver = Driver.deploy(model(straight(service("a"))))
    key = driver.start()
    driver.throw("a", "E")
    (incident,) = driver.open_incidents(key)
    assert incident.message == (
        "Expected to throw an error event with the code 'E', but it was not caught."
        " No error events are available in the scope."
    )


def test_a_catch_all_error_boundary_catches_any_code() -> None:
    definition = "<bpmn:errorEventDefinition/>"
    driver = Driver.deploy(model(with_boundary(definition), ERRORS))
    driver.start()
    driver.throw("a", "WHATEVER")
    assert driver.open_job_types() == ["handle"]


def test_error_end_event_in_a_sub_process_is_caught_on_the_sub_process() -> None:
    sub = (
        '<bpmn:subProcess id="sub"><bpmn:startEvent id="s2"/>'
        '<bpmn:endEvent id="fail"><bpmn:errorEventDefinition errorRef="err"/></bpmn:endEvent>'
        + flow("g1", "s2", "fail")
        + "</bpmn:subProcess>"
    )
    body = (
        straight(sub)
        + boundary("b", "sub", '<bpmn:errorEventDefinition errorRef="err"/>')
        + '<bpmn:endEvent id="handled"/>'
        + flow("h1", "b", "handled")
    )
    driver = Driver.deploy(model(body, ERRORS))
    key = driver.start()
    assert driver.status(key) == "COMPLETED"
    assert driver.history(key)[-2:] == ["b", "handled"]
    assert driver.history(key, "ELEMENT_TERMINATED") == ["fail", "sub"]


def test_uncaught_error_end_event_raises_an_incident_on_the_end_event() -> None:
    body = (
        '<bpmn:startEvent id="start"/>'
        '<bpmn:endEvent id="fail"><bpmn:errorEventDefinition errorRef="err"/></bpmn:endEvent>'
        + flow("f1", "start", "fail")
    )
    driver = Driver.deploy(model(body, ERRORS))
    key = driver.start()
    (incident,) = driver.open_incidents(key)
    assert (incident.error_type, incident.element_id) == ("UNHANDLED_ERROR_EVENT", "fail")


def test_interrupting_timer_boundary_cancels_the_job_when_due() -> None:
    driver = Driver.deploy(model(with_boundary(timer("PT10M"))))
    key = driver.start()
    driver.advance(9 * 60_000)
    assert driver.open_job_types() == ["a"]
    driver.advance(60_000)
    assert driver.open_job_types() == ["handle"]
    assert driver.history(key, "ELEMENT_TERMINATED") == ["a"]


def test_non_interrupting_timer_boundary_spawns_and_the_activity_goes_on() -> None:
    driver = Driver.deploy(model(with_boundary(timer("PT10M"), interrupting=False)))
    key = driver.start()
    driver.advance(10 * 60_000)
    assert driver.open_job_types() == ["a", "handle"]
    driver.complete("a")
    driver.complete("handle")
    assert driver.status(key) == "COMPLETED"


def test_completing_the_activity_cancels_its_boundary_timer() -> None:
    driver = Driver.deploy(model(with_boundary(timer("PT10M"))))
    driver.start()
    driver.complete("a")
    assert not driver.timers


MESSAGE = (
    '<bpmn:message id="m" name="cancel"><bpmn:extensionElements>'
    '<zeebe:subscription correlationKey="=id"/></bpmn:extensionElements></bpmn:message>'
)


def test_message_boundary_correlated_by_key_interrupts_with_its_variables() -> None:
    definition = '<bpmn:messageEventDefinition messageRef="m"/>'
    driver = Driver.deploy(model(with_boundary(definition), MESSAGE))
    key = driver.start(variables={"id": "k1"})
    driver.publish("cancel", "k2")
    assert driver.open_job_types() == ["a"]
    driver.publish("cancel", "k1", {"why": "asked"})
    assert driver.open_job_types() == ["handle"]
    assert driver.variables(key)["why"] == "asked"


def test_intermediate_timer_catch_waits_for_its_duration() -> None:
    catch = (
        '<bpmn:intermediateCatchEvent id="wait">' + timer("PT1H") + "</bpmn:intermediateCatchEvent>"
    )
    driver = Driver.deploy(model(straight(catch)))
    key = driver.start()
    (scheduled,) = (t for _, t in driver.timers.values())
    assert scheduled.due == driver.now + 3_600_000
    driver.advance(3_600_000)
    assert driver.status(key) == "COMPLETED"


def test_a_message_published_before_the_catch_opens_is_buffered_and_correlated() -> None:
    catch = (
        '<bpmn:intermediateCatchEvent id="wait"><bpmn:messageEventDefinition messageRef="m"/>'
        "</bpmn:intermediateCatchEvent>"
    )
    driver = Driver.deploy(model(straight(service("a"), catch), MESSAGE))
    key = driver.start(variables={"id": "k"})
    driver.publish("cancel", "k", {"m": 1})
    driver.complete("a")
    assert driver.status(key) == "COMPLETED"
    assert driver.variables(key) == {"id": "k", "m": 1}


def test_a_correlation_key_that_gives_null_raises_an_extract_value_incident() -> None:
    catch = (
        '<bpmn:intermediateCatchEvent id="wait"><bpmn:messageEventDefinition messageRef="m"/>'
        "</bpmn:intermediateCatchEvent>"
    )
    driver = Driver.deploy(model(straight(catch), MESSAGE))
    key = driver.start()
    (incident,) = driver.open_incidents(key)
    assert (incident.error_type, incident.element_id) == ("EXTRACT_VALUE_ERROR", "wait")


def test_receive_task_waits_for_its_message() -> None:
    task = '<bpmn:receiveTask id="r" messageRef="m"/>'
    driver = Driver.deploy(model(straight(task), MESSAGE))
    key = driver.start(variables={"id": 5})
    driver.publish("cancel", "5")
    assert driver.status(key) == "COMPLETED"


def test_link_throw_continues_at_the_link_catch_of_the_same_name() -> None:
    body = (
        '<bpmn:startEvent id="start"/>'
        '<bpmn:intermediateThrowEvent id="go"><bpmn:linkEventDefinition name="L"/>'
        "</bpmn:intermediateThrowEvent>"
        '<bpmn:intermediateCatchEvent id="here"><bpmn:linkEventDefinition name="L"/>'
        "</bpmn:intermediateCatchEvent>"
        '<bpmn:endEvent id="end"/>' + flow("f1", "start", "go") + flow("f2", "here", "end")
    )
    driver = Driver.deploy(model(body))
    key = driver.start()
    assert driver.status(key) == "COMPLETED"
    assert driver.history(key) == ["start", "go", "here", "end"]
