"""Behaviours pinned against Zeebe's engine, second review: message and signal event
sub-processes, repeated non-interrupting catches, output-mapping incidents, a terminate end
event in a sub-process, gateways without a flow to take, closed event-based gateway
subscriptions, a parallel join reached twice, a timer boundary on a sub-process, and the
order of element records."""

from __future__ import annotations

from sdk.broker.engine import ElementChanged, SetVariables

from ._driver import Driver
from ._models import chain, flow, io, model, service, straight
from .test_events import boundary, timer, with_boundary
from .test_gateways import EVENT_GATEWAY, INCLUSIVE
from .test_gateways import MESSAGE as PAYMENT
from .test_more import event_sub_process

ORDER = (
    '<bpmn:message id="m" name="order"><bpmn:extensionElements>'
    '<zeebe:subscription correlationKey="=id"/></bpmn:extensionElements></bpmn:message>'
)
ON_ORDER = '<bpmn:messageEventDefinition messageRef="m"/>'
SIGNAL = '<bpmn:signal id="s" name="alarm"/>'
ON_ALARM = '<bpmn:signalEventDefinition signalRef="s"/>'


# -- event sub-processes started by a message or a signal ---------------------------------


def test_an_interrupting_message_event_sub_process_terminates_the_scope_s_elements() -> None:
    driver = Driver.deploy(model(straight(service("a")) + event_sub_process(ON_ORDER), ORDER))
    key = driver.start(variables={"id": "o1"})
    driver.publish("order", "o1", {"qty": 3})
    assert driver.open_job_types() == ["react"]
    assert driver.history(key, "ELEMENT_TERMINATED") == ["a"]
    assert driver.variables(key)["qty"] == 3
    assert not driver.subscriptions
    driver.complete("react")
    assert driver.status(key) == "COMPLETED"


def test_a_non_interrupting_message_event_sub_process_fires_each_time() -> None:
    body = straight(service("a")) + event_sub_process(ON_ORDER, interrupting=False)
    driver = Driver.deploy(model(body, ORDER))
    key = driver.start(variables={"id": "o1"})
    driver.publish("order", "o1")
    driver.publish("order", "o1")
    assert driver.open_job_types() == ["a", "react", "react"]
    assert len(driver.subscriptions) == 1
    driver.complete("a")
    assert driver.status(key) == "ACTIVE"
    driver.complete("react")
    driver.complete("react")
    assert driver.status(key) == "COMPLETED"
    assert not driver.subscriptions


def test_an_interrupting_signal_event_sub_process_terminates_the_scope_s_elements() -> None:
    driver = Driver.deploy(model(straight(service("a")) + event_sub_process(ON_ALARM), SIGNAL))
    key = driver.start()
    driver.signal("alarm", {"level": 2})
    assert driver.open_job_types() == ["react"]
    assert driver.history(key, "ELEMENT_TERMINATED") == ["a"]
    assert driver.variables(key)["level"] == 2
    driver.signal("alarm")
    assert driver.open_job_types() == ["react"]
    driver.complete("react")
    assert driver.status(key) == "COMPLETED"


def test_a_non_interrupting_signal_event_sub_process_fires_each_time() -> None:
    body = straight(service("a")) + event_sub_process(ON_ALARM, interrupting=False)
    driver = Driver.deploy(model(body, SIGNAL))
    key = driver.start()
    driver.signal("alarm")
    driver.signal("alarm")
    assert driver.open_job_types() == ["a", "react", "react"]
    driver.complete("react")
    driver.complete("react")
    driver.complete("a")
    assert driver.status(key) == "COMPLETED"


def test_a_non_interrupting_message_boundary_correlated_twice_spawns_two_paths() -> None:
    driver = Driver.deploy(model(with_boundary(ON_ORDER, interrupting=False), ORDER))
    key = driver.start(variables={"id": "o1"})
    driver.publish("order", "o1", {"n": 1})
    driver.publish("order", "o1", {"n": 2})
    assert driver.open_job_types() == ["a", "handle", "handle"]
    assert driver.active(key).count("a") == 1
    assert driver.history(key).count("b") == 2
    assert len(driver.subscriptions) == 1
    driver.complete("a")
    assert not driver.subscriptions
    driver.complete("handle")
    driver.complete("handle")
    assert driver.status(key) == "COMPLETED"


# -- output mapping incidents -------------------------------------------------------------


def test_a_failing_output_mapping_is_an_io_mapping_incident_retried_once_resolved() -> None:
    body = straight(service("a", extra=io(outputs={"x": "=assert(foo, foo != null)"})))
    driver = Driver.deploy(model(body))
    key = driver.start()
    driver.complete("a", {"y": 1})
    (incident,) = driver.open_incidents(key)
    assert incident.error_type == "IO_MAPPING_ERROR"
    assert incident.message == (
        "Assertion failure on evaluate the expression '{x:assert(foo, foo != null)}': "
        "The condition is not fulfilled The evaluation reported the following warnings:\n"
        "[NO_VARIABLE_FOUND] No variable found with name 'foo'"
    )
    assert driver.active(key) == ["a"]
    driver.apply(key, SetVariables(key, {"foo": 7}))
    driver.resolve(incident.key)
    assert driver.status(key) == "COMPLETED"
    assert driver.variables(key) == {"foo": 7, "x": 7}


def test_the_mapping_expression_in_the_message_nests_targets_as_zeebe_builds_it() -> None:
    outputs = {"a": "=1", "b.c": "=assert(z, z > 1)", "b.d": "=&quot;s&quot;"}
    driver = Driver.deploy(model(straight(service("t", extra=io(outputs=outputs)))))
    key = driver.start(variables={"z": 0})
    driver.complete("t")
    (incident,) = driver.open_incidents(key)
    assert incident.message == (
        "Assertion failure on evaluate the expression '{a:1,b:if (b != null) then context"
        ' merge(b,{c:assert(z, z > 1),d:"s"}) else {c:assert(z, z > 1),d:"s"}}\':'
        " The condition is not fulfilled"
    )


def test_a_failing_input_mapping_is_an_io_mapping_incident_on_activation() -> None:
    body = straight(service("a", extra=io(inputs={"x": "=assert(foo, foo != null)"})))
    driver = Driver.deploy(model(body))
    key = driver.start()
    (incident,) = driver.open_incidents(key)
    assert incident.error_type == "IO_MAPPING_ERROR"
    assert incident.message.startswith(
        "Assertion failure on evaluate the expression '{x:assert(foo, foo != null)}': "
    )
    driver.apply(key, SetVariables(key, {"foo": 1}))
    driver.resolve(incident.key)
    assert driver.job_variables("a")["x"] == 1


# -- terminate end event in a sub-process -------------------------------------------------


def test_a_terminate_end_event_in_a_sub_process_ends_only_that_sub_process() -> None:
    sub = (
        '<bpmn:subProcess id="sub"><bpmn:startEvent id="s2"/><bpmn:parallelGateway id="fork"/>'
        + service("inner")
        + '<bpmn:endEvent id="stop"><bpmn:terminateEventDefinition/></bpmn:endEvent>'
        + '<bpmn:endEvent id="e2"/>'
        + flow("g1", "s2", "fork")
        + flow("g2", "fork", "inner")
        + flow("g3", "fork", "stop")
        + flow("g4", "inner", "e2")
        + "</bpmn:subProcess>"
    )
    body = (
        '<bpmn:startEvent id="start"/><bpmn:parallelGateway id="split"/>'
        + sub
        + service("outer")
        + service("after")
        + '<bpmn:endEvent id="end"/><bpmn:endEvent id="end2"/>'
        + flow("f1", "start", "split")
        + flow("f2", "split", "sub")
        + flow("f3", "split", "outer")
        + flow("f4", "sub", "after")
        + flow("f5", "after", "end")
        + flow("f6", "outer", "end2")
    )
    driver = Driver.deploy(model(body))
    key = driver.start()
    assert driver.history(key, "ELEMENT_TERMINATED") == ["inner"]
    assert "sub" in driver.history(key)
    assert driver.open_job_types() == ["outer", "after"]
    driver.complete("after")
    driver.complete("outer")
    assert driver.status(key) == "COMPLETED"


# -- gateways -----------------------------------------------------------------------------


def test_an_inclusive_gateway_where_nothing_holds_takes_its_default() -> None:
    driver = Driver.deploy(model(INCLUSIVE))
    key = driver.start(variables={"wantA": False, "wantB": False})
    assert driver.open_job_types() == ["d"]
    driver.complete("d")
    assert driver.status(key) == "COMPLETED"
    assert driver.history(key).count("join") == 1


def test_an_inclusive_gateway_where_nothing_holds_without_default_is_an_incident() -> None:
    no_default = INCLUSIVE.replace(' default="fd"', "").replace(
        flow("fd", "fork", "d"), flow("fd", "fork", "d", "=wantD")
    )
    driver = Driver.deploy(model(no_default))
    key = driver.start(variables={"wantA": False, "wantB": False, "wantD": False})
    (incident,) = driver.open_incidents(key)
    assert incident.error_type == "CONDITION_ERROR"
    assert incident.message == (
        "Expected at least one condition to evaluate to true, or to have a default flow"
    )
    assert incident.element_id == "fork"
    driver.apply(key, SetVariables(key, {"wantD": True}))
    driver.resolve(incident.key)
    assert driver.open_job_types() == ["d"]


def test_an_event_based_gateway_closes_the_other_subscription_once_one_event_came() -> None:
    driver = Driver.deploy(model(EVENT_GATEWAY, PAYMENT))
    key = driver.start(variables={"orderId": "o-1"})
    driver.advance(3_600_000)
    assert driver.status(key) == "COMPLETED"
    driver.publish("payment", "o-1", {"paid": True})
    assert driver.buffered == [("payment", "o-1", {"paid": True})]
    assert "paid" not in driver.history(key)


def test_a_parallel_join_reached_twice_on_one_flow_waits_for_the_other_flow_per_token() -> None:
    body = (
        '<bpmn:startEvent id="start"/><bpmn:parallelGateway id="fork"/>'
        + service("a")
        + service("c")
        + service("b")
        + '<bpmn:exclusiveGateway id="merge"/><bpmn:parallelGateway id="join"/>'
        + '<bpmn:endEvent id="end"/>'
        + flow("f0", "start", "fork")
        + flow("fa", "fork", "a")
        + flow("fc", "fork", "c")
        + flow("fb", "fork", "b")
        + flow("ma", "a", "merge")
        + flow("mc", "c", "merge")
        + flow("jm", "merge", "join")
        + flow("jb", "b", "join")
        + flow("fe", "join", "end")
    )
    driver = Driver.deploy(model(body))
    key = driver.start()
    driver.complete("a")
    driver.complete("c")
    assert "join" not in driver.history(key)
    driver.complete("b")
    assert driver.history(key).count("join") == 1
    assert driver.status(key) == "ACTIVE"
    assert driver.states[key].elements[key].active_flows == 1


# -- a timer boundary on a sub-process ----------------------------------------------------


def test_an_interrupting_timer_boundary_on_a_sub_process_terminates_its_children() -> None:
    sub = (
        '<bpmn:subProcess id="sub"><bpmn:startEvent id="s2"/>'
        + service("inner")
        + '<bpmn:endEvent id="e2"/>'
        + chain("s2", "inner", "e2", prefix="g")
        + "</bpmn:subProcess>"
    )
    body = (
        straight(sub)
        + boundary("late", "sub", timer("PT1M"))
        + service("escalate")
        + '<bpmn:endEvent id="done"/>'
        + chain("late", "escalate", "done", prefix="h")
    )
    driver = Driver.deploy(model(body))
    key = driver.start()
    assert driver.open_job_types() == ["inner"]
    driver.advance(60_000)
    assert driver.open_job_types() == ["escalate"]
    assert driver.history(key, "ELEMENT_TERMINATED") == ["inner", "sub"]
    driver.complete("escalate")
    assert driver.status(key) == "COMPLETED"


def test_a_non_interrupting_timer_boundary_on_a_sub_process_leaves_it_running() -> None:
    sub = (
        '<bpmn:subProcess id="sub"><bpmn:startEvent id="s2"/>'
        + service("inner")
        + '<bpmn:endEvent id="e2"/>'
        + chain("s2", "inner", "e2", prefix="g")
        + "</bpmn:subProcess>"
    )
    cycle = (
        "<bpmn:timerEventDefinition><bpmn:timeCycle>R2/PT1M</bpmn:timeCycle>"
        "</bpmn:timerEventDefinition>"
    )
    body = (
        straight(sub)
        + boundary("late", "sub", cycle, interrupting=False)
        + service("remind")
        + '<bpmn:endEvent id="done"/>'
        + chain("late", "remind", "done", prefix="h")
    )
    driver = Driver.deploy(model(body))
    key = driver.start()
    driver.advance(120_000)
    assert driver.open_job_types() == ["inner", "remind", "remind"]
    driver.complete("inner")
    assert driver.history(key, "ELEMENT_TERMINATED") == []
    assert not driver.timers


def _records(driver: Driver, key: int) -> list[tuple[str, str]]:
    return [
        (e.element_id, e.state.removeprefix("ELEMENT_"))
        for i, e in driver.effects
        if i == key and isinstance(e, ElementChanged)
    ]


# -- timer value incidents ----------------------------------------------------------------


def _timer_task(kind: str, value: str) -> str:
    definition = (
        f"<bpmn:timerEventDefinition><bpmn:{kind}>{value}</bpmn:{kind}></bpmn:timerEventDefinition>"
    )
    return (
        straight(service("a"))
        + boundary("b", "a", definition, interrupting=False)
        + '<bpmn:endEvent id="x"/>'
        + flow("h1", "b", "x")
    )


def _incident_message(kind: str, value: str, variables: dict[str, object]) -> str:
    driver = Driver.deploy(model(_timer_task(kind, value)))
    key = driver.start(variables=variables)
    (incident,) = driver.open_incidents(key)
    assert incident.error_type == "EXTRACT_VALUE_ERROR"
    return incident.message


def test_timer_value_incidents_are_worded_as_zeebe_words_them() -> None:
    assert _incident_message("timeDuration", "=t", {"t": 5}) == (
        "Expected result of the expression 't' to be one of '[DURATION, PERIOD, STRING]',"
        " but was 'NUMBER'."
    )
    assert _incident_message("timeDuration", "=t", {"t": "soon"}) == (
        "Invalid duration format 'soon' for expression 't'."
    )
    assert _incident_message("timeDate", "=t", {"t": "tomorrow"}) == (
        "Invalid date-time format 'tomorrow' for expression 't'."
    )
    assert _incident_message("timeDate", "=t", {"t": True}) == (
        "Expected result of the expression 't' to be one of '[DATE_TIME, STRING]',"
        " but was 'BOOLEAN'."
    )
    assert _incident_message("timeCycle", "=t", {}) == (
        "Expected result of the expression 't' to be 'STRING', but was 'NULL'."
        " The evaluation reported the following warnings:\n"
        "[NO_VARIABLE_FOUND] No variable found with name 't'"
    )


def test_a_feel_duration_is_a_timer_duration() -> None:
    driver = Driver.deploy(model(_timer_task("timeDuration", '=duration("PT1M")')))
    key = driver.start()
    assert not driver.open_incidents(key)
    (timer,) = (t for _, t in driver.timers.values())
    assert timer.due == driver.now + 60_000


def test_a_job_type_of_the_wrong_feel_type_names_zeebe_s_result_type() -> None:
    driver = Driver.deploy(model(straight(service("a", job_type="=t"))))
    key = driver.start(variables={"t": 1})
    (incident,) = driver.open_incidents(key)
    assert (
        incident.message
        == "Expected result of the expression 't' to be 'STRING', but was 'NUMBER'."
    )


# -- escalations from an interrupting event sub-process -----------------------------------


def test_an_escalation_is_still_caught_by_the_events_of_an_interrupted_scope() -> None:
    # Zeebe's escalation walk considers the interrupted process's own event sub-processes
    # (its error walk does not); it goes no further up from there.
    takeover = (
        '<bpmn:subProcess id="esp1" triggeredByEvent="true">'
        '<bpmn:startEvent id="es1" isInterrupting="true">' + timer("PT5M") + "</bpmn:startEvent>"
        '<bpmn:intermediateThrowEvent id="up">'
        '<bpmn:escalationEventDefinition escalationRef="x"/></bpmn:intermediateThrowEvent>'
        '<bpmn:endEvent id="ee1"/>' + chain("es1", "up", "ee1", prefix="g") + "</bpmn:subProcess>"
    )
    catcher = (
        '<bpmn:subProcess id="esp2" triggeredByEvent="true">'
        '<bpmn:startEvent id="es2" isInterrupting="false">'
        '<bpmn:escalationEventDefinition escalationRef="x"/></bpmn:startEvent>'
        + service("r2")
        + '<bpmn:endEvent id="ee2"/>'
        + chain("es2", "r2", "ee2", prefix="k")
        + "</bpmn:subProcess>"
    )
    body = straight(service("a")) + takeover + catcher
    driver = Driver.deploy(model(body, '<bpmn:escalation id="x" escalationCode="UP"/>'))
    key = driver.start()
    driver.advance(5 * 60_000)
    assert driver.open_job_types() == ["r2"]
    assert "up" in driver.history(key)
    driver.complete("r2")
    assert driver.status(key) == "COMPLETED"


# -- record order -------------------------------------------------------------------------


def test_a_sub_process_s_children_come_after_its_activated_record() -> None:
    sub = (
        '<bpmn:subProcess id="sub"><bpmn:startEvent id="s2"/>'
        + service("inner")
        + '<bpmn:endEvent id="e2"/>'
        + chain("s2", "inner", "e2", prefix="g")
        + "</bpmn:subProcess>"
    )
    driver = Driver.deploy(model(straight(sub)))
    key = driver.start()
    records = _records(driver, key)
    sub_activated = records.index(("sub", "ACTIVATED"))
    assert records[sub_activated - 1] == ("sub", "ACTIVATING")
    assert records[sub_activated + 1] == ("s2", "ACTIVATING")


def test_parallel_inner_instances_are_each_activated_before_their_children_start() -> None:
    loop = (
        "<bpmn:multiInstanceLoopCharacteristics><bpmn:extensionElements>"
        '<zeebe:loopCharacteristics inputCollection="=items"/></bpmn:extensionElements>'
        "</bpmn:multiInstanceLoopCharacteristics>"
    )
    sub = (
        f'<bpmn:subProcess id="sub">{loop}<bpmn:startEvent id="s2"/>'
        + service("inner")
        + '<bpmn:endEvent id="e2"/>'
        + chain("s2", "inner", "e2", prefix="g")
        + "</bpmn:subProcess>"
    )
    driver = Driver.deploy(model(straight(sub)))
    key = driver.start(variables={"items": [1, 2]})
    records = [r for r in _records(driver, key) if r[0] in ("sub", "s2")]
    assert records[:8] == [
        ("sub", "ACTIVATING"),
        ("sub", "ACTIVATED"),
        ("sub", "ACTIVATING"),
        ("sub", "ACTIVATED"),
        ("sub", "ACTIVATING"),
        ("sub", "ACTIVATED"),
        ("s2", "ACTIVATING"),
        ("s2", "ACTIVATED"),
    ]
    assert driver.open_job_types() == ["inner", "inner"]
    driver.complete("inner")
    driver.complete("inner")
    assert driver.status(key) == "COMPLETED"
