"""Multi-instance, event sub-processes, escalation, user tasks, call activities and signals."""

from __future__ import annotations

from ._driver import Driver
from ._models import chain, model, service, straight


def multi(element_id: str, loop: str, sequential: bool = False) -> str:
    flag = "true" if sequential else "false"
    return (
        f'<bpmn:serviceTask id="{element_id}"><bpmn:extensionElements>'
        f'<zeebe:taskDefinition type="{element_id}"/></bpmn:extensionElements>'
        f'<bpmn:multiInstanceLoopCharacteristics isSequential="{flag}">'
        f"<bpmn:extensionElements>{loop}</bpmn:extensionElements>"
        "</bpmn:multiInstanceLoopCharacteristics></bpmn:serviceTask>"
    )


LOOP = (
    '<zeebe:loopCharacteristics inputCollection="=items" inputElement="item"'
    ' outputCollection="results" outputElement="=done"/>'
)


def test_parallel_multi_instance_runs_one_job_per_item_and_collects_outputs_in_order() -> None:
    driver = Driver.deploy(model(straight(multi("m", LOOP))))
    key = driver.start(variables={"items": [1, 2, 3]})
    assert driver.open_job_types() == ["m", "m", "m"]
    jobs = sorted(driver.jobs)
    seen = [driver.job_variables("m")["item"]]
    assert seen == [1]
    from sdk.broker.engine import CompleteJob

    for job_key, value in zip(reversed(jobs), ("c", "b", "a"), strict=True):
        driver.apply(key, CompleteJob(job_key, {"done": value}))
    assert driver.status(key) == "COMPLETED"
    assert driver.variables(key)["results"] == ["a", "b", "c"]


def test_sequential_multi_instance_runs_one_after_another_with_loop_counter() -> None:
    driver = Driver.deploy(model(straight(multi("m", LOOP, sequential=True))))
    key = driver.start(variables={"items": ["x", "y"]})
    assert driver.open_job_types() == ["m"]
    assert driver.job_variables("m")["loopCounter"] == 1
    driver.complete("m", {"done": 1})
    assert driver.job_variables("m")["loopCounter"] == 2
    assert driver.job_variables("m")["item"] == "y"
    driver.complete("m", {"done": 2})
    assert driver.variables(key)["results"] == [1, 2]


def test_multi_instance_over_an_empty_collection_completes_at_once() -> None:
    driver = Driver.deploy(model(straight(multi("m", LOOP))))
    key = driver.start(variables={"items": []})
    assert driver.status(key) == "COMPLETED"
    assert driver.variables(key)["results"] == []


def test_an_input_collection_that_is_no_list_raises_an_extract_value_incident() -> None:
    driver = Driver.deploy(model(straight(multi("m", LOOP))))
    key = driver.start()
    (incident,) = driver.open_incidents(key)
    assert incident.error_type == "EXTRACT_VALUE_ERROR"
    assert "to be 'ARRAY', but was 'NULL'" in incident.message


def event_sub_process(start: str, *, interrupting: bool = True) -> str:
    flag = "true" if interrupting else "false"
    return (
        '<bpmn:subProcess id="esp" triggeredByEvent="true">'
        f'<bpmn:startEvent id="es" isInterrupting="{flag}">{start}</bpmn:startEvent>'
        + service("react")
        + '<bpmn:endEvent id="ee"/>'
        + chain("es", "react", "ee", prefix="g")
        + "</bpmn:subProcess>"
    )


TIMER = (
    "<bpmn:timerEventDefinition><bpmn:timeDuration>PT5M</bpmn:timeDuration>"
    "</bpmn:timerEventDefinition>"
)


def test_interrupting_timer_event_sub_process_replaces_the_main_flow() -> None:
    driver = Driver.deploy(model(straight(service("a")) + event_sub_process(TIMER)))
    key = driver.start()
    driver.advance(5 * 60_000)
    assert driver.open_job_types() == ["react"]
    driver.complete("react")
    assert driver.status(key) == "COMPLETED"
    assert "a" in driver.history(key, "ELEMENT_TERMINATED")


def test_non_interrupting_event_sub_process_runs_beside_the_main_flow() -> None:
    body = straight(service("a")) + event_sub_process(TIMER, interrupting=False)
    driver = Driver.deploy(model(body))
    key = driver.start()
    driver.advance(5 * 60_000)
    assert driver.open_job_types() == ["a", "react"]
    driver.complete("react")
    driver.complete("a")
    assert driver.status(key) == "COMPLETED"


def test_error_event_sub_process_catches_an_error_of_the_process() -> None:
    body = straight(service("a")) + event_sub_process('<bpmn:errorEventDefinition errorRef="e"/>')
    driver = Driver.deploy(model(body, '<bpmn:error id="e" errorCode="BAD"/>'))
    key = driver.start()
    driver.throw("a", "BAD", variables={"cause": 1})
    assert driver.open_job_types() == ["react"]
    driver.complete("react")
    assert driver.status(key) == "COMPLETED"


def test_escalation_caught_by_a_non_interrupting_boundary_lets_the_sub_process_go_on() -> None:
    sub = (
        '<bpmn:subProcess id="sub"><bpmn:startEvent id="s2"/>'
        '<bpmn:intermediateThrowEvent id="up"><bpmn:escalationEventDefinition escalationRef="x"/>'
        "</bpmn:intermediateThrowEvent>"
        + service("inner")
        + '<bpmn:endEvent id="e2"/>'
        + chain("s2", "up", "inner", "e2", prefix="g")
        + "</bpmn:subProcess>"
    )
    body = (
        straight(sub) + '<bpmn:boundaryEvent id="b" attachedToRef="sub" cancelActivity="false">'
        '<bpmn:escalationEventDefinition escalationRef="x"/></bpmn:boundaryEvent>'
        + service("notify")
        + '<bpmn:endEvent id="e3"/>'
        + chain("b", "notify", "e3", prefix="h")
    )
    driver = Driver.deploy(model(body, '<bpmn:escalation id="x" escalationCode="LATE"/>'))
    key = driver.start()
    assert driver.open_job_types() == ["notify", "inner"]
    driver.complete("inner")
    driver.complete("notify")
    assert driver.status(key) == "COMPLETED"


def test_camunda_user_task_waits_for_the_user_task_api() -> None:
    task = (
        '<bpmn:userTask id="review"><bpmn:extensionElements><zeebe:userTask/>'
        '<zeebe:assignmentDefinition assignee="=owner"/></bpmn:extensionElements></bpmn:userTask>'
    )
    driver = Driver.deploy(model(straight(task)))
    key = driver.start(variables={"owner": "ann"})
    ((_, created),) = driver.user_tasks.values()
    assert created.attributes["assignee"] == "ann"
    driver.complete_user_task("review", {"ok": True})
    assert driver.status(key) == "COMPLETED"
    assert driver.variables(key)["ok"] is True


def test_job_based_user_task_is_a_job_of_zeebe_user_task_type() -> None:
    task = (
        '<bpmn:userTask id="review"><bpmn:extensionElements>'
        '<zeebe:assignmentDefinition assignee="bob"/></bpmn:extensionElements></bpmn:userTask>'
    )
    driver = Driver.deploy(model(straight(task)))
    driver.start()
    job = driver.job("io.camunda.zeebe:userTask")
    assert job.custom_headers["io.camunda.zeebe:assignee"] == "bob"


CHILD = (
    '<bpmn:process id="child" isExecutable="true"><bpmn:startEvent id="cs"/>'
    + service("c")
    + '<bpmn:endEvent id="ce"/>'
    + chain("cs", "c", "ce", prefix="c")
    + "</bpmn:process>"
)


def test_call_activity_starts_the_child_and_takes_its_variables_back() -> None:
    call = (
        '<bpmn:callActivity id="call"><bpmn:extensionElements>'
        '<zeebe:calledElement processId="child"/></bpmn:extensionElements></bpmn:callActivity>'
    )
    driver = Driver.deploy(model(straight(call), more=CHILD))
    key = driver.start("p", {"input": 1})
    assert driver.job_variables("c") == {"input": 1}
    driver.complete("c", {"output": 2})
    assert driver.status(key) == "COMPLETED"
    assert driver.variables(key) == {"input": 1, "output": 2}


def test_cancelling_the_caller_cancels_the_child() -> None:
    call = (
        '<bpmn:callActivity id="call"><bpmn:extensionElements>'
        '<zeebe:calledElement processId="child"/></bpmn:extensionElements></bpmn:callActivity>'
    )
    driver = Driver.deploy(model(straight(call), more=CHILD))
    key = driver.start("p")
    child = next(k for k in driver.states if k != key)
    driver.cancel(key)
    assert driver.status(child) == "TERMINATED"
    assert not driver.jobs


def test_a_signal_reaches_every_waiting_catch() -> None:
    catch = (
        '<bpmn:intermediateCatchEvent id="wait"><bpmn:signalEventDefinition signalRef="s"/>'
        "</bpmn:intermediateCatchEvent>"
    )
    driver = Driver.deploy(model(straight(catch), '<bpmn:signal id="s" name="go"/>'))
    first, second = driver.start(), driver.start()
    driver.signal("go", {"v": 1})
    assert driver.status(first) == driver.status(second) == "COMPLETED"
    assert driver.variables(first) == {"v": 1}


def test_a_signal_throw_event_is_broadcast() -> None:
    throw = (
        '<bpmn:intermediateThrowEvent id="send"><bpmn:signalEventDefinition signalRef="s"/>'
        "</bpmn:intermediateThrowEvent>"
    )
    catch = throw.replace("intermediateThrowEvent", "intermediateCatchEvent").replace(
        'id="send"', 'id="wait"'
    )
    driver = Driver.deploy(model(straight(catch), '<bpmn:signal id="s" name="go"/>'))
    waiting = driver.start()
    sender = Driver.deploy(model(straight(throw), '<bpmn:signal id="s" name="go"/>'))
    sender.start()
    assert [type(e).__name__ for _, e in sender.effects].count("SignalThrown") == 1
    driver.signal("go")
    assert driver.status(waiting) == "COMPLETED"
