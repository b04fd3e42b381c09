"""Exclusive, parallel and inclusive gateways, and the event-based gateway."""

from __future__ import annotations

from ._driver import Driver
from ._models import flow, model, service

XOR = (
    '<bpmn:startEvent id="start"/><bpmn:exclusiveGateway id="xor" default="fd"/>'
    + service("big")
    + service("small")
    + service("other")
    + '<bpmn:endEvent id="end"/>'
    + flow("f0", "start", "xor")
    + flow("fb", "xor", "big", "=amount &gt; 100")
    + flow("fs", "xor", "small", "=amount &gt; 10")
    + flow("fd", "xor", "other")
    + flow("e1", "big", "end")
    + flow("e2", "small", "end")
    + flow("e3", "other", "end")
)


def test_exclusive_gateway_takes_the_first_true_condition_in_order() -> None:
    driver = Driver.deploy(model(XOR))
    driver.start(variables={"amount": 500})
    assert driver.open_job_types() == ["big"]


def test_exclusive_gateway_takes_the_default_flow_when_nothing_holds() -> None:
    driver = Driver.deploy(model(XOR))
    driver.start(variables={"amount": 1})
    assert driver.open_job_types() == ["other"]


def test_exclusive_gateway_without_a_match_or_default_raises_a_condition_incident() -> None:
    body = XOR.replace(' default="fd"', "").replace(flow("fd", "xor", "other"), "")
    body = body.replace(flow("e3", "other", "end"), "").replace(service("other"), "")
    driver = Driver.deploy(model(body))
    key = driver.start(variables={"amount": 1})
    (incident,) = driver.open_incidents(key)
    assert incident.error_type == "CONDITION_ERROR"
    assert incident.element_id == "xor"
    assert incident.message == (
        "Expected at least one condition to evaluate to true, or to have a default flow"
    )
    from sdk.broker.engine import SetVariables

    driver.apply(key, SetVariables(key, {"amount": 50}))
    driver.resolve(incident.key)
    assert driver.open_job_types() == ["small"]


def test_a_condition_on_a_missing_variable_is_a_condition_incident_naming_it() -> None:
    driver = Driver.deploy(model(XOR.replace("amount &gt; 100", "flag")))
    key = driver.start(variables={"amount": 1})
    (incident,) = driver.open_incidents(key)
    assert incident.error_type == "CONDITION_ERROR"
    assert incident.message.startswith(
        "Expected result of the expression 'flag' to be 'BOOLEAN', but was 'NULL'."
    )


PARALLEL = (
    '<bpmn:startEvent id="start"/><bpmn:parallelGateway id="fork"/>'
    + service("a")
    + service("b")
    + '<bpmn:parallelGateway id="join"/>'
    + service("c")
    + '<bpmn:endEvent id="end"/>'
    + flow("f0", "start", "fork")
    + flow("fa", "fork", "a")
    + flow("fb", "fork", "b")
    + flow("ja", "a", "join")
    + flow("jb", "b", "join")
    + flow("fc", "join", "c")
    + flow("fe", "c", "end")
)


def test_parallel_gateway_forks_and_joins_once_every_branch_arrived() -> None:
    driver = Driver.deploy(model(PARALLEL))
    key = driver.start()
    assert driver.open_job_types() == ["a", "b"]
    driver.complete("b", {"fromB": 1})
    assert driver.open_job_types() == ["a"]
    driver.complete("a", {"fromA": 2})
    assert driver.open_job_types() == ["c"]
    assert driver.job("c").variables == {"fromA": 2, "fromB": 1}
    driver.complete("c")
    assert driver.status(key) == "COMPLETED"
    assert driver.history(key).count("join") == 1


def test_a_variable_set_on_one_branch_is_visible_to_the_other() -> None:
    driver = Driver.deploy(model(PARALLEL))
    driver.start()
    driver.complete("a", {"shared": 1})
    assert driver.job_variables("b") == {"shared": 1}


INCLUSIVE = (
    '<bpmn:startEvent id="start"/><bpmn:inclusiveGateway id="fork" default="fd"/>'
    + service("a")
    + service("b")
    + service("d")
    + '<bpmn:inclusiveGateway id="join"/><bpmn:endEvent id="end"/>'
    + flow("f0", "start", "fork")
    + flow("fa", "fork", "a", "=wantA")
    + flow("fb", "fork", "b", "=wantB")
    + flow("fd", "fork", "d")
    + flow("ja", "a", "join")
    + flow("jb", "b", "join")
    + flow("jd", "d", "join")
    + flow("fe", "join", "end")
)


def test_inclusive_gateway_takes_every_true_flow_and_joins_only_those() -> None:
    driver = Driver.deploy(model(INCLUSIVE))
    key = driver.start(variables={"wantA": True, "wantB": True})
    assert driver.open_job_types() == ["a", "b"]
    driver.complete("a")
    assert driver.status(key) == "ACTIVE"
    driver.complete("b")
    assert driver.status(key) == "COMPLETED"
    assert driver.history(key).count("join") == 1


def test_inclusive_gateway_with_one_true_flow_joins_at_once() -> None:
    driver = Driver.deploy(model(INCLUSIVE))
    key = driver.start(variables={"wantA": False, "wantB": True})
    driver.complete("b")
    assert driver.status(key) == "COMPLETED"


def test_inclusive_gateway_falls_back_to_its_default() -> None:
    driver = Driver.deploy(model(INCLUSIVE))
    driver.start(variables={"wantA": False, "wantB": False})
    assert driver.open_job_types() == ["d"]


EVENT_GATEWAY = (
    '<bpmn:startEvent id="start"/><bpmn:eventBasedGateway id="gw"/>'
    '<bpmn:intermediateCatchEvent id="paid"><bpmn:messageEventDefinition messageRef="m"/>'
    "</bpmn:intermediateCatchEvent>"
    '<bpmn:intermediateCatchEvent id="late"><bpmn:timerEventDefinition>'
    "<bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>"
    "</bpmn:intermediateCatchEvent>"
    '<bpmn:endEvent id="ok"/><bpmn:endEvent id="timeout"/>'
    + flow("f0", "start", "gw")
    + flow("f1", "gw", "paid")
    + flow("f2", "gw", "late")
    + flow("f3", "paid", "ok")
    + flow("f4", "late", "timeout")
)
MESSAGE = (
    '<bpmn:message id="m" name="payment"><bpmn:extensionElements>'
    '<zeebe:subscription correlationKey="=orderId"/></bpmn:extensionElements></bpmn:message>'
)


def test_event_based_gateway_follows_the_first_event_and_closes_the_others() -> None:
    driver = Driver.deploy(model(EVENT_GATEWAY, MESSAGE))
    key = driver.start(variables={"orderId": "o-1"})
    assert len(driver.timers) == 1 and len(driver.subscriptions) == 1
    driver.publish("payment", "o-1", {"paid": True})
    assert driver.status(key) == "COMPLETED"
    assert driver.history(key) == ["start", "gw", "paid", "ok"]
    assert driver.variables(key)["paid"] is True
    assert not driver.timers


def test_event_based_gateway_takes_the_timer_path_when_it_fires_first() -> None:
    driver = Driver.deploy(model(EVENT_GATEWAY, MESSAGE))
    key = driver.start(variables={"orderId": 7})
    assert next(iter(driver.subscriptions.values()))[1].correlation_key == "7"
    driver.advance(3_600_000)
    assert driver.status(key) == "COMPLETED"
    assert driver.history(key)[-1] == "timeout"
    assert not driver.subscriptions
