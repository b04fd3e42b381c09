"""None start, sequence flows, job tasks, FEEL script tasks, pass-through tasks, end events,
and variables: propagation, input and output mappings, incidents on jobs."""

from __future__ import annotations

from sdk.broker.engine import SetVariables

from ._driver import Driver
from ._models import io, model, service, straight


def test_a_process_of_only_events_completes_at_once() -> None:
    driver = Driver.deploy(model(straight()))
    key = driver.start(variables={"a": 1})
    assert driver.status(key) == "COMPLETED"
    assert driver.history(key) == ["start", "end"]
    assert driver.variables(key) == {"a": 1}
    assert driver.states[key].taken_flows == ["f1"]


def test_service_tasks_in_sequence_each_wait_for_their_job() -> None:
    driver = Driver.deploy(model(straight(service("a"), service("b"))))
    key = driver.start()
    assert driver.open_job_types() == ["a"]
    job = driver.job("a")
    assert (job.bpmn_process_id, job.element_id, job.process_instance_key) == ("p", "a", key)
    assert job.retries == 3
    driver.complete("a", {"x": 1})
    assert driver.open_job_types() == ["b"]
    assert driver.job("b").variables == {"x": 1}
    driver.complete("b")
    assert driver.status(key) == "COMPLETED"
    assert driver.history(key) == ["start", "a", "b", "end"]


def test_send_and_business_rule_tasks_are_jobs_with_headers_and_retries() -> None:
    task = (
        '<bpmn:sendTask id="send"><bpmn:extensionElements>'
        '<zeebe:taskDefinition type="=kind" retries="=tries"/>'
        '<zeebe:taskHeaders><zeebe:header key="k" value="v"/></zeebe:taskHeaders>'
        "</bpmn:extensionElements></bpmn:sendTask>"
    )
    driver = Driver.deploy(model(straight(task)))
    driver.start(variables={"kind": "mail", "tries": 5})
    job = driver.job("mail")
    assert (job.retries, job.custom_headers) == (5, {"k": "v"})


def test_script_task_sets_its_result_variable_from_feel() -> None:
    script = (
        '<bpmn:scriptTask id="s"><bpmn:extensionElements>'
        '<zeebe:script expression="=a + 1" resultVariable="b"/>'
        "</bpmn:extensionElements></bpmn:scriptTask>"
    )
    driver = Driver.deploy(model(straight(script)))
    key = driver.start(variables={"a": 1})
    assert driver.variables(key) == {"a": 1, "b": 2}


def test_manual_and_undefined_tasks_pass_straight_through() -> None:
    driver = Driver.deploy(model(straight('<bpmn:manualTask id="m"/>', '<bpmn:task id="t"/>')))
    key = driver.start()
    assert driver.history(key) == ["start", "m", "t", "end"]


def test_job_variables_go_to_the_process_scope_without_output_mappings() -> None:
    driver = Driver.deploy(model(straight(service("a"))))
    key = driver.start(variables={"x": 1})
    driver.complete("a", {"x": 2, "y": 3})
    assert driver.variables(key) == {"x": 2, "y": 3}


def test_input_mappings_create_local_variables_the_job_sees() -> None:
    driver = Driver.deploy(model(straight(service("a", extra=io({"local": "=x * 2"})))))
    key = driver.start(variables={"x": 2})
    assert driver.job("a").variables == {"x": 2, "local": 4}
    driver.complete("a", {"local": 9})
    # a job variable named like a local variable updates the local one, which then goes away
    assert driver.variables(key) == {"x": 2}


def test_output_mappings_replace_the_propagation_of_job_variables() -> None:
    driver = Driver.deploy(model(straight(service("a", extra=io(outputs={"total": "=y + 1"})))))
    key = driver.start()
    driver.complete("a", {"y": 1, "noise": True})
    assert driver.variables(key) == {"total": 2}


def test_output_mapping_to_a_path_updates_a_nested_value() -> None:
    driver = Driver.deploy(model(straight(service("a", extra=io(outputs={"order.state": "=s"})))))
    key = driver.start(variables={"order": {"id": 1}})
    driver.complete("a", {"s": "paid"})
    assert driver.variables(key) == {"order": {"id": 1, "state": "paid"}}


def test_failing_the_last_retry_raises_a_job_incident_resolved_by_new_retries() -> None:
    driver = Driver.deploy(model(straight(service("a"))))
    key = driver.start()
    driver.fail("a", 2, "boom")
    assert not driver.open_incidents()
    driver.fail("a", 0, "boom")
    (incident,) = driver.open_incidents(key)
    assert (incident.error_type, incident.message, incident.element_id) == (
        "JOB_NO_RETRIES",
        "boom",
        "a",
    )
    job_key = incident.job_key
    assert job_key is not None
    driver.update_retries(job_key, 1)
    driver.resolve(incident.key)
    driver.complete("a")
    assert driver.status(key) == "COMPLETED"


def test_a_job_type_expression_that_gives_null_raises_an_extract_value_incident() -> None:
    task = service("a", job_type="=kind")
    driver = Driver.deploy(model(straight(task)))
    key = driver.start()
    (incident,) = driver.open_incidents(key)
    assert incident.error_type == "EXTRACT_VALUE_ERROR"
    assert incident.message.startswith(
        "Expected result of the expression 'kind' to be 'STRING', but was 'NULL'."
    )
    driver.apply(key, SetVariables(key, {"kind": "k"}))
    driver.resolve(incident.key)
    driver.complete("k")
    assert driver.status(key) == "COMPLETED"


def test_terminate_end_event_ends_the_other_branches() -> None:
    body = (
        '<bpmn:startEvent id="start"/><bpmn:parallelGateway id="fork"/>'
        + service("a")
        + '<bpmn:endEvent id="stop"><bpmn:terminateEventDefinition/></bpmn:endEvent>'
        + '<bpmn:endEvent id="end"/>'
        + '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="fork"/>'
        + '<bpmn:sequenceFlow id="f2" sourceRef="fork" targetRef="a"/>'
        + '<bpmn:sequenceFlow id="f3" sourceRef="fork" targetRef="stop"/>'
        + '<bpmn:sequenceFlow id="f4" sourceRef="a" targetRef="end"/>'
    )
    driver = Driver.deploy(model(body))
    key = driver.start()
    assert driver.status(key) == "COMPLETED"
    assert driver.history(key, "ELEMENT_TERMINATED") == ["a"]
    assert not driver.jobs


def test_cancelling_an_instance_cancels_its_jobs() -> None:
    driver = Driver.deploy(model(straight(service("a"))))
    key = driver.start()
    driver.cancel(key)
    assert driver.status(key) == "TERMINATED"
    assert not driver.jobs
    assert driver.history(key, "ELEMENT_TERMINATED") == ["a"]
