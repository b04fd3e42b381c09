"""Each supported element reads into the model with the data the engine needs."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from sdk.bpmn import (
    USER_TASK_JOB_TYPE,
    ElementType,
    EventKind,
    Expr,
    IsoDuration,
    RepeatingInterval,
    TimerKind,
    parse,
)

from .models import flows, message, model, process_of, service, straight


class TestTasks:
    def test_service_task_job_type_retries_and_headers(self) -> None:
        task = (
            '<bpmn:serviceTask id="charge" name="Charge"><bpmn:extensionElements>'
            '<zeebe:taskDefinition type="payment" retries="=retries"/>'
            '<zeebe:taskHeaders><zeebe:header key="a" value="1"/>'
            '<zeebe:header key="b" value="2"/></zeebe:taskHeaders>'
            "</bpmn:extensionElements></bpmn:serviceTask>"
        )
        node = process_of(model(straight(task))).element("charge")
        assert node.type is ElementType.SERVICE_TASK
        assert node.name == "Charge"
        assert node.job is not None
        assert node.job.type == "payment"
        assert node.job.retries == Expr("retries")
        assert dict(node.job.headers) == {"a": "1", "b": "2"}

    def test_job_type_may_be_an_expression_and_retries_default_to_three(self) -> None:
        node = process_of(model(straight(service("t", "=kind + &quot;-v1&quot;")))).element("t")
        assert node.job is not None
        assert node.job.type == Expr('kind + "-v1"')
        assert node.job.retries == "3"

    @pytest.mark.parametrize("kind", ["sendTask", "businessRuleTask", "scriptTask"])
    def test_tasks_that_are_jobs(self, kind: str) -> None:
        task = (
            f'<bpmn:{kind} id="t"><bpmn:extensionElements><zeebe:taskDefinition type="x"/>'
            f"</bpmn:extensionElements></bpmn:{kind}>"
        )
        node = process_of(model(straight(task))).element("t")
        assert node.job is not None and node.job.type == "x"

    def test_script_task_with_a_feel_script(self) -> None:
        task = (
            '<bpmn:scriptTask id="s"><bpmn:extensionElements>'
            '<zeebe:script expression="=a + b" resultVariable="sum"/>'
            "</bpmn:extensionElements></bpmn:scriptTask>"
        )
        node = process_of(model(straight(task))).element("s")
        assert node.type is ElementType.SCRIPT_TASK
        assert node.job is None
        assert node.script is not None
        assert (node.script.expression, node.script.result_variable) == (Expr("a + b"), "sum")

    def test_receive_task_resolves_its_message(self) -> None:
        task = '<bpmn:receiveTask id="r" messageRef="m1"/>'
        node = process_of(model(straight(task), message())).element("r")
        assert node.type is ElementType.RECEIVE_TASK
        assert node.message is not None
        assert node.message.name == "order paid"
        assert node.message.correlation_key == Expr("orderId")

    def test_camunda_user_task(self) -> None:
        task = (
            '<bpmn:userTask id="u"><bpmn:extensionElements><zeebe:userTask/>'
            '<zeebe:assignmentDefinition assignee="=owner" candidateGroups="ops,sales"/>'
            '<zeebe:taskSchedule dueDate="2024-05-01T10:00:00Z"/>'
            '<zeebe:formDefinition formId="order-form"/>'
            '<zeebe:priorityDefinition priority="80"/>'
            "</bpmn:extensionElements></bpmn:userTask>"
        )
        node = process_of(model(straight(task))).element("u")
        assert node.job is None
        assert node.user_task is not None
        assert node.user_task.camunda_user_task
        assert node.user_task.assignee == Expr("owner")
        assert node.user_task.candidate_groups == "ops,sales"
        assert node.user_task.due_date == "2024-05-01T10:00:00Z"
        assert node.user_task.form_id == "order-form"
        assert node.user_task.priority == "80"

    def test_job_based_user_task_is_a_job_of_zeebes_user_task_type(self) -> None:
        task = (
            '<bpmn:userTask id="u"><bpmn:extensionElements>'
            '<zeebe:formDefinition formKey="camunda-forms:bpmn:f1"/>'
            "</bpmn:extensionElements></bpmn:userTask>"
        )
        node = process_of(model(straight(task))).element("u")
        assert node.user_task is not None and not node.user_task.camunda_user_task
        assert node.user_task.form_key == "camunda-forms:bpmn:f1"
        assert node.job is not None
        assert (node.job.type, node.job.retries) == (USER_TASK_JOB_TYPE, "1")

    @pytest.mark.parametrize(
        ("kind", "element_type"),
        [("task", ElementType.TASK), ("manualTask", ElementType.MANUAL_TASK)],
    )
    def test_undefined_and_manual_tasks(self, kind: str, element_type: ElementType) -> None:
        node = process_of(model(straight(f'<bpmn:{kind} id="t"/>'))).element("t")
        assert node.type is element_type

    def test_io_mappings(self) -> None:
        mapping = (
            '<zeebe:ioMapping><zeebe:input source="=order.id" target="orderId"/>'
            '<zeebe:input source="static" target="mode"/>'
            '<zeebe:output source="=result" target="order.result"/></zeebe:ioMapping>'
        )
        node = process_of(model(straight(service("t", extra=mapping)))).element("t")
        assert [(m.source, m.target) for m in node.io.inputs] == [
            (Expr("order.id"), "orderId"),
            ("static", "mode"),
        ]
        assert [(m.source, m.target) for m in node.io.outputs] == [(Expr("result"), "order.result")]


class TestCallActivityAndMultiInstance:
    def test_call_activity(self) -> None:
        call = (
            '<bpmn:callActivity id="c"><bpmn:extensionElements>'
            '<zeebe:calledElement processId="child" propagateAllChildVariables="false"/>'
            "</bpmn:extensionElements></bpmn:callActivity>"
        )
        node = process_of(model(straight(call))).element("c")
        assert node.called_element is not None
        assert node.called_element.process_id == "child"
        assert not node.called_element.propagate_all_child_variables
        assert node.called_element.propagate_all_parent_variables

    @pytest.mark.parametrize("sequential", [True, False])
    def test_multi_instance(self, sequential: bool) -> None:
        loop = (
            f'<bpmn:multiInstanceLoopCharacteristics isSequential="{str(sequential).lower()}">'
            '<bpmn:extensionElements><zeebe:loopCharacteristics inputCollection="=items"'
            ' inputElement="item" outputCollection="results" outputElement="=out"/>'
            "</bpmn:extensionElements>"
            "<bpmn:completionCondition>=done</bpmn:completionCondition>"
            "</bpmn:multiInstanceLoopCharacteristics>"
        )
        task = (
            f'<bpmn:serviceTask id="t"><bpmn:extensionElements><zeebe:taskDefinition type="x"/>'
            f"</bpmn:extensionElements>{loop}</bpmn:serviceTask>"
        )
        node = process_of(model(straight(task))).element("t")
        mi = node.multi_instance
        assert mi is not None
        assert mi.sequential is sequential
        assert (mi.input_collection, mi.input_element) == (Expr("items"), "item")
        assert (mi.output_collection, mi.output_element) == ("results", Expr("out"))
        assert mi.completion_condition == Expr("done")


class TestGateways:
    def test_exclusive_gateway_conditions_and_default(self) -> None:
        body = (
            '<bpmn:startEvent id="start"/><bpmn:exclusiveGateway id="g" default="low"/>'
            + service("a")
            + service("b")
            + '<bpmn:sequenceFlow id="in" sourceRef="start" targetRef="g"/>'
            '<bpmn:sequenceFlow id="high" sourceRef="g" targetRef="a">'
            "<bpmn:conditionExpression>=amount &gt; 100</bpmn:conditionExpression>"
            "</bpmn:sequenceFlow>"
            '<bpmn:sequenceFlow id="low" sourceRef="g" targetRef="b"/>'
        )
        process = process_of(model(body))
        gateway = process.element("g")
        assert gateway.default_flow == "low"
        assert [f.id for f in process.outgoing("g")] == ["high", "low"]
        assert process.flow("high").condition == Expr("amount > 100")
        assert process.flow("low").condition is None

    @pytest.mark.parametrize("kind", ["parallelGateway", "inclusiveGateway"])
    def test_fork_and_join(self, kind: str) -> None:
        body = (
            f'<bpmn:startEvent id="start"/><bpmn:{kind} id="fork"/>'
            + service("a")
            + service("b")
            + f'<bpmn:{kind} id="join"/><bpmn:endEvent id="end"/>'
            + flows("start", "fork", "a", "join", "end")
            + flows("fork", "b", "join", prefix="g")
        )
        if kind == "inclusiveGateway":
            body = body.replace(
                '<bpmn:sequenceFlow id="f2" sourceRef="fork" targetRef="a"/>',
                '<bpmn:sequenceFlow id="f2" sourceRef="fork" targetRef="a">'
                "<bpmn:conditionExpression>=x</bpmn:conditionExpression></bpmn:sequenceFlow>",
            ).replace(
                '<bpmn:sequenceFlow id="g1" sourceRef="fork" targetRef="b"/>',
                '<bpmn:sequenceFlow id="g1" sourceRef="fork" targetRef="b">'
                "<bpmn:conditionExpression>=y</bpmn:conditionExpression></bpmn:sequenceFlow>",
            )
        process = process_of(model(body))
        assert len(process.element("join").incoming) == 2

    def test_event_based_gateway(self) -> None:
        body = (
            '<bpmn:startEvent id="start"/><bpmn:eventBasedGateway id="g"/>'
            '<bpmn:intermediateCatchEvent id="paid"><bpmn:messageEventDefinition messageRef="m1"/>'
            "</bpmn:intermediateCatchEvent>"
            '<bpmn:intermediateCatchEvent id="late"><bpmn:timerEventDefinition>'
            "<bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>"
            '</bpmn:intermediateCatchEvent><bpmn:endEvent id="end"/>'
            + flows("start", "g", "paid", "end")
            + flows("g", "late", prefix="t")
        )
        process = process_of(model(body, message()))
        assert process.element("g").type is ElementType.EVENT_BASED_GATEWAY


class TestEvents:
    def test_message_start_and_timer_starts(self) -> None:
        body = (
            '<bpmn:startEvent id="byMessage"><bpmn:messageEventDefinition messageRef="m1"/>'
            '</bpmn:startEvent><bpmn:startEvent id="daily"><bpmn:timerEventDefinition>'
            "<bpmn:timeCycle>R/P1D</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent>"
            '<bpmn:startEvent id="once"><bpmn:timerEventDefinition>'
            "<bpmn:timeDate>2024-01-01T10:00:00Z</bpmn:timeDate>"
            '</bpmn:timerEventDefinition></bpmn:startEvent><bpmn:endEvent id="end"/>'
            + flows("byMessage", "end")
            + flows("daily", "end", prefix="d")
            + flows("once", "end", prefix="o")
        )
        process = process_of(model(body, message(key=None)))
        assert [s.id for s in process.start_events(kind=EventKind.TIMER)] == ["daily", "once"]
        assert process.none_start_event() is None
        daily = process.element("daily").event
        assert daily is not None and daily.timer is not None
        assert daily.timer.kind is TimerKind.CYCLE
        assert daily.timer.static == RepeatingInterval(None, IsoDuration(days=1))
        once = process.element("once").event
        assert once is not None and once.timer is not None
        assert once.timer.static == datetime(2024, 1, 1, 10, tzinfo=timezone.utc)

    def test_signal_start(self) -> None:
        body = (
            '<bpmn:startEvent id="s"><bpmn:signalEventDefinition signalRef="sig"/>'
            '</bpmn:startEvent><bpmn:endEvent id="end"/>' + flows("s", "end")
        )
        process = process_of(model(body, '<bpmn:signal id="sig" name="go"/>'))
        event = process.element("s").event
        assert event is not None and event.signal is not None and event.signal.name == "go"

    @pytest.mark.parametrize(
        ("definition", "kind"),
        [
            ("", EventKind.NONE),
            ("<bpmn:terminateEventDefinition/>", EventKind.TERMINATE),
            ('<bpmn:errorEventDefinition errorRef="e1"/>', EventKind.ERROR),
            ('<bpmn:escalationEventDefinition escalationRef="x1"/>', EventKind.ESCALATION),
            ('<bpmn:signalEventDefinition signalRef="sig"/>', EventKind.SIGNAL),
        ],
    )
    def test_end_events(self, definition: str, kind: EventKind) -> None:
        roots = (
            '<bpmn:error id="e1" errorCode="FAILED"/>'
            '<bpmn:escalation id="x1" escalationCode="LATE"/><bpmn:signal id="sig" name="go"/>'
        )
        body = (
            f'<bpmn:startEvent id="start"/><bpmn:endEvent id="end">{definition}</bpmn:endEvent>'
            + flows("start", "end")
        )
        end = process_of(model(body, roots)).element("end")
        assert end.event_kind is kind
        if kind is EventKind.ERROR:
            assert end.event is not None and end.event.error is not None
            assert end.event.error.code == "FAILED"

    def test_message_end_event_is_a_job(self) -> None:
        body = (
            '<bpmn:startEvent id="start"/><bpmn:endEvent id="end">'
            '<bpmn:extensionElements><zeebe:taskDefinition type="notify"/>'
            "</bpmn:extensionElements>"
            '<bpmn:messageEventDefinition messageRef="m1"/></bpmn:endEvent>' + flows("start", "end")
        )
        end = process_of(model(body, message(key=None))).element("end")
        assert end.event_kind is EventKind.MESSAGE
        assert end.job is not None and end.job.type == "notify"

    def test_intermediate_timer_message_and_link(self) -> None:
        body = (
            '<bpmn:startEvent id="start"/>'
            '<bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition>'
            "<bpmn:timeDuration>PT10M</bpmn:timeDuration></bpmn:timerEventDefinition>"
            "</bpmn:intermediateCatchEvent>"
            '<bpmn:intermediateCatchEvent id="paid"><bpmn:messageEventDefinition messageRef="m1"/>'
            "</bpmn:intermediateCatchEvent>"
            '<bpmn:intermediateThrowEvent id="jump"><bpmn:linkEventDefinition name="next"/>'
            "</bpmn:intermediateThrowEvent>"
            '<bpmn:intermediateCatchEvent id="land"><bpmn:linkEventDefinition name="next"/>'
            '</bpmn:intermediateCatchEvent><bpmn:endEvent id="end"/>'
            + flows("start", "wait", "paid", "jump")
            + flows("land", "end", prefix="l")
        )
        process = process_of(model(body, message()))
        wait = process.element("wait").event
        assert wait is not None and wait.timer is not None
        assert wait.timer.static == IsoDuration(seconds=600)
        land = process.link_catch(None, "next")
        assert land is not None and land.id == "land"
        assert process.link_catch(None, "elsewhere") is None

    def test_escalation_and_signal_throw_events(self) -> None:
        body = straight(
            '<bpmn:intermediateThrowEvent id="up"><bpmn:escalationEventDefinition'
            ' escalationRef="x1"/></bpmn:intermediateThrowEvent>',
            '<bpmn:intermediateThrowEvent id="shout"><bpmn:signalEventDefinition signalRef="s"/>'
            "</bpmn:intermediateThrowEvent>",
            '<bpmn:intermediateThrowEvent id="none"/>',
        )
        roots = '<bpmn:escalation id="x1" escalationCode="UP"/><bpmn:signal id="s" name="go"/>'
        process = process_of(model(body, roots))
        assert process.element("up").event_kind is EventKind.ESCALATION
        assert process.element("shout").event_kind is EventKind.SIGNAL
        assert process.element("none").event_kind is EventKind.NONE


class TestScopes:
    BODY = (
        '<bpmn:startEvent id="start"/>'
        '<bpmn:subProcess id="sub"><bpmn:startEvent id="subStart"/>'
        + service("inner")
        + '<bpmn:endEvent id="subEnd"/>'
        + flows("subStart", "inner", "subEnd", prefix="s")
        + "</bpmn:subProcess>"
        + '<bpmn:boundaryEvent id="timeout" attachedToRef="sub" cancelActivity="false">'
        "<bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration>"
        "</bpmn:timerEventDefinition></bpmn:boundaryEvent>"
        '<bpmn:boundaryEvent id="failed" attachedToRef="sub">'
        "<bpmn:errorEventDefinition/></bpmn:boundaryEvent>"
        '<bpmn:subProcess id="onCancel" triggeredByEvent="true">'
        '<bpmn:startEvent id="cancelled" isInterrupting="true">'
        '<bpmn:messageEventDefinition messageRef="m1"/></bpmn:startEvent>'
        '<bpmn:endEvent id="cancelEnd"/>'
        + flows("cancelled", "cancelEnd", prefix="c")
        + "</bpmn:subProcess>"
        '<bpmn:endEvent id="end"/><bpmn:endEvent id="late"/><bpmn:endEvent id="broken"/>'
        + flows("start", "sub", "end")
        + flows("timeout", "late", prefix="t")
        + flows("failed", "broken", prefix="e")
    )

    def test_scope_of_each_element(self) -> None:
        process = process_of(model(self.BODY, message()))
        assert process.scope_of("sub") is None
        scope = process.scope_of("inner")
        assert scope is not None and scope.id == "sub"
        assert [n.id for n in process.nodes_in("sub")] == ["subStart", "inner", "subEnd"]
        sub_start = process.none_start_event("sub")
        assert sub_start is not None and sub_start.id == "subStart"

    def test_boundary_events_of_an_activity(self) -> None:
        process = process_of(model(self.BODY, message()))
        timeout, failed = process.boundary_events("sub")
        assert (timeout.id, timeout.interrupting, timeout.attached_to) == ("timeout", False, "sub")
        assert failed.interrupting
        assert failed.event is not None and failed.event.error is None  # catches every error
        assert process.boundary_events("inner") == ()

    def test_event_sub_processes_of_a_scope(self) -> None:
        process = process_of(model(self.BODY, message()))
        (esp,) = process.event_sub_processes()
        assert esp.type is ElementType.EVENT_SUB_PROCESS
        (start,) = process.start_events(esp.id)
        assert start.interrupting and start.event_kind is EventKind.MESSAGE
        assert process.event_sub_processes("sub") == ()


class TestDefinitions:
    def test_process_identity_and_version_tag(self) -> None:
        xml = model(straight()).replace(
            'isExecutable="true">',
            'isExecutable="true" name="Order"><bpmn:extensionElements>'
            '<zeebe:versionTag value="v2"/></bpmn:extensionElements>',
        )
        definitions = parse(xml)
        (process,) = definitions.executable_processes
        assert (process.id, process.name, process.version_tag) == ("p", "Order", "v2")
        assert definitions.process("p") is process

    def test_a_collaboration_keeps_non_executable_processes_without_checking_them(self) -> None:
        xml = (
            model(straight()).replace("</bpmn:definitions>", "")
            + '<bpmn:process id="customer" isExecutable="false"><bpmn:complexGateway id="cg"/>'
            '</bpmn:process><bpmn:collaboration id="c">'
            '<bpmn:participant id="pool1" processRef="p"/>'
            '<bpmn:participant id="pool2" name="Customer" processRef="customer"/>'
            '<bpmn:messageFlow id="mf" sourceRef="pool2" targetRef="pool1"/>'
            "</bpmn:collaboration></bpmn:definitions>"
        )
        definitions = parse(xml)
        assert [p.id for p in definitions.processes] == ["p", "customer"]
        assert [p.id for p in definitions.executable_processes] == ["p"]
        assert [(p.id, p.process_id) for p in definitions.participants] == [
            ("pool1", "p"),
            ("pool2", "customer"),
        ]

    @pytest.mark.parametrize(
        "prefix_free",
        [
            lambda x: x.replace("bpmn:", "bpmn2:").replace("xmlns:bpmn=", "xmlns:bpmn2="),
            lambda x: x.replace("bpmn:", "").replace("xmlns:bpmn=", "xmlns="),
        ],
        ids=["bpmn2-prefix", "default-namespace"],
    )
    def test_namespaces_are_matched_by_uri(self, prefix_free: object) -> None:
        xml = model(straight(service("t")))
        rewritten = prefix_free(xml)  # type: ignore[operator]
        process = parse(rewritten).process("p")
        assert process.element("t").type is ElementType.SERVICE_TASK

    def test_ignored_artifacts(self) -> None:
        body = straight(service("t")) + (
            '<bpmn:textAnnotation id="note"><bpmn:text>hi</bpmn:text></bpmn:textAnnotation>'
            '<bpmn:association id="as" sourceRef="t" targetRef="note"/>'
            '<bpmn:dataObjectReference id="dor" dataObjectRef="do"/><bpmn:dataObject id="do"/>'
            '<bpmn:group id="grp"/>'
        )
        xml = model(body).replace(
            '<bpmn:startEvent id="start"/>',
            '<bpmn:laneSet id="ls"><bpmn:lane id="l1"/></bpmn:laneSet>'
            '<bpmn:startEvent id="start"/>',
        )
        process = process_of(xml)
        assert set(process.elements) == {"start", "t", "end"}

    def test_the_model_is_immutable(self) -> None:
        process = process_of(model(straight(service("t"))))
        with pytest.raises(TypeError):
            process.elements["x"] = process.element("t")  # type: ignore[index]
        with pytest.raises(AttributeError):
            process.element("t").name = "other"  # type: ignore[misc]

    def test_check_expression_is_called_without_the_equals_sign(self) -> None:
        seen: list[str] = []

        def check(text: str) -> str | None:
            seen.append(text)
            return None

        parse(model(straight(service("t", "=kind"))), check_expression=check)
        assert seen == ["kind"]
