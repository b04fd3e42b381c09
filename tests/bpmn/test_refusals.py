"""What the engine cannot run is refused at deployment, every problem at once, each naming the
element id, its BPMN type and the reason."""

from __future__ import annotations

import pytest

from sdk.bpmn import BpmnValidationError, Problem, parse

from .models import flows, has_problem, message, model, problems, service, straight


def _refused(xml: str, element_id: str | None, element_type: str, text: str) -> None:
    found = problems(xml)
    assert has_problem(found, element_id, element_type, text), [str(p) for p in found]


class TestUnsupportedElements:
    @pytest.mark.parametrize(
        ("xml_element", "element_type", "reason"),
        [
            ('<bpmn:complexGateway id="x"/>', "complexGateway", "complex gateways"),
            ('<bpmn:transaction id="x"/>', "transaction", "transactions"),
            ('<bpmn:adHocSubProcess id="x"/>', "adHocSubProcess", "ad-hoc sub-processes"),
            ('<bpmn:subChoreography id="x"/>', "subChoreography", "choreographies"),
        ],
    )
    def test_refused_kinds(self, xml_element: str, element_type: str, reason: str) -> None:
        _refused(model(straight() + xml_element), "x", element_type, f"{reason} are not supported")

    def test_an_unknown_bpmn_element_is_refused_by_name(self) -> None:
        _refused(
            model(straight() + '<bpmn:fancyThing id="x"/>'),
            "x",
            "fancyThing",
            "Elements of type 'fancyThing' are currently not supported",
        )

    def test_dmn_decisions_are_refused(self) -> None:
        task = (
            '<bpmn:businessRuleTask id="decide"><bpmn:extensionElements>'
            '<zeebe:calledDecision decisionId="d" resultVariable="r"/>'
            "</bpmn:extensionElements></bpmn:businessRuleTask>"
        )
        _refused(
            model(straight(task)), "decide", "businessRuleTask", "DMN decisions are not supported"
        )

    @pytest.mark.parametrize(
        ("definition", "reason"),
        [
            ("<bpmn:compensateEventDefinition/>", "compensation events"),
            (
                "<bpmn:conditionalEventDefinition><bpmn:condition>=x</bpmn:condition>"
                "</bpmn:conditionalEventDefinition>",
                "conditional events",
            ),
            ("<bpmn:cancelEventDefinition/>", "cancel events"),
        ],
    )
    def test_refused_event_definitions(self, definition: str, reason: str) -> None:
        body = straight(
            f'<bpmn:intermediateCatchEvent id="e">{definition}</bpmn:intermediateCatchEvent>'
        )
        _refused(model(body), "e", "intermediateCatchEvent", f"{reason} are not supported")

    def test_multiple_event_definitions_are_refused(self) -> None:
        body = straight(
            '<bpmn:intermediateCatchEvent id="e"><bpmn:messageEventDefinition messageRef="m1"/>'
            "<bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration>"
            "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
        )
        _refused(
            model(body, message()), "e", "intermediateCatchEvent", "multiple and parallel-multiple"
        )

    def test_compensation_handlers_and_boundaries_are_refused(self) -> None:
        body = straight(service("t")) + (
            '<bpmn:boundaryEvent id="comp" attachedToRef="t"><bpmn:compensateEventDefinition/>'
            '</bpmn:boundaryEvent><bpmn:serviceTask id="undo" isForCompensation="true">'
            '<bpmn:extensionElements><zeebe:taskDefinition type="undo"/></bpmn:extensionElements>'
            "</bpmn:serviceTask>"
        )
        found = problems(model(body))
        assert has_problem(found, "comp", "boundaryEvent", "compensation events are not supported")
        assert has_problem(found, "undo", "serviceTask", "isForCompensation")

    def test_publish_message_and_listeners_are_refused(self) -> None:
        send = (
            '<bpmn:sendTask id="s" messageRef="m1"><bpmn:extensionElements>'
            '<zeebe:publishMessage correlationKey="=k"/></bpmn:extensionElements></bpmn:sendTask>'
        )
        listened = service(
            "t",
            extra='<zeebe:executionListeners><zeebe:executionListener eventType="start"'
            ' type="x"/></zeebe:executionListeners>',
        )
        found = problems(model(straight(send, listened), message()))
        assert has_problem(found, "s", "sendTask", "zeebe:publishMessage is not supported")
        assert has_problem(found, "t", "serviceTask", "execution listeners")


class TestStructure:
    def test_a_file_without_an_executable_process(self) -> None:
        _refused(
            model(straight(), executable=False),
            "defs",
            "definitions",
            "Must contain at least one executable process",
        )

    def test_a_process_needs_a_start_event(self) -> None:
        _refused(
            model('<bpmn:endEvent id="end"/>'), "p", "process", "Must have at least one start event"
        )

    def test_only_one_none_start_event(self) -> None:
        body = straight() + '<bpmn:startEvent id="start2"/>'
        _refused(model(body), "p", "process", "Multiple none start events are not allowed")

    def test_a_service_task_needs_a_job_type(self) -> None:
        found = problems(model(straight('<bpmn:serviceTask id="t"/>', service("t2", ""))))
        assert has_problem(found, "t", "serviceTask", "zeebe:taskDefinition")
        assert has_problem(found, "t2", "serviceTask", "attribute 'type' must be present")

    def test_ids_are_unique(self) -> None:
        _refused(model(straight(service("end"))), "end", "serviceTask", "ids must be unique")

    def test_sequence_flows_reference_existing_elements(self) -> None:
        body = straight() + '<bpmn:sequenceFlow id="dangling" sourceRef="end" targetRef="nowhere"/>'
        _refused(
            model(body), "dangling", "sequenceFlow", "targetRef 'nowhere' which cannot be resolved"
        )

    def test_conditions_only_on_gateway_flows(self) -> None:
        body = (
            '<bpmn:startEvent id="start"/><bpmn:endEvent id="end"/>'
            '<bpmn:sequenceFlow id="f" sourceRef="start" targetRef="end">'
            "<bpmn:conditionExpression>=x</bpmn:conditionExpression></bpmn:sequenceFlow>"
        )
        _refused(
            model(body), "start", "startEvent", "only supported at exclusive or inclusive gateway"
        )

    def _gateway(
        self, kind: str, conditions: tuple[str | None, str | None], default: str = ""
    ) -> str:
        def flow(flow_id: str, target: str, condition: str | None) -> str:
            if condition is None:
                return f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="g" targetRef="{target}"/>'
            return (
                f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="g" targetRef="{target}">'
                f"<bpmn:conditionExpression>{condition}</bpmn:conditionExpression></bpmn:sequenceFlow>"
            )

        default_attr = f' default="{default}"' if default else ""
        return model(
            f'<bpmn:startEvent id="start"/><bpmn:{kind} id="g"{default_attr}/>'
            '<bpmn:endEvent id="a"/><bpmn:endEvent id="b"/>'
            '<bpmn:sequenceFlow id="in" sourceRef="start" targetRef="g"/>'
            + flow("toA", "a", conditions[0])
            + flow("toB", "b", conditions[1])
        )

    def test_exclusive_gateway_flows_need_a_condition_or_the_default(self) -> None:
        _refused(
            self._gateway("exclusiveGateway", ("=x", None)),
            "toB",
            "sequenceFlow",
            "Must have a condition or be default flow",
        )
        assert problems(self._gateway("exclusiveGateway", ("=x", None), default="toB")) == ()

    def test_inclusive_gateway_flows_need_a_condition(self) -> None:
        _refused(
            self._gateway("inclusiveGateway", (None, "=y")),
            "toA",
            "sequenceFlow",
            "Must have a condition",
        )

    def test_a_default_flow_has_no_condition(self) -> None:
        _refused(
            self._gateway("exclusiveGateway", ("=x", "=y"), default="toB"),
            "toB",
            "sequenceFlow",
            "A default flow must not have a condition",
        )

    def test_conditions_are_expressions(self) -> None:
        _refused(
            self._gateway("exclusiveGateway", ("x &gt; 1", "=y")),
            "toA",
            "sequenceFlow",
            "An expression must start with '='",
        )

    def test_a_loop_that_never_waits_is_refused(self) -> None:
        body = (
            '<bpmn:startEvent id="start"/><bpmn:exclusiveGateway id="g"/><bpmn:task id="t"/>'
            + flows("start", "g", "t", "g")
        )
        _refused(
            model(body), "g", "exclusiveGateway", "straight-through processing loop: g > t > g"
        )

    def test_a_loop_through_a_job_is_fine(self) -> None:
        body = (
            '<bpmn:startEvent id="start"/><bpmn:exclusiveGateway id="g" default="f3"/>'
            + service("t")
            + '<bpmn:endEvent id="end"/>'
            + flows("start", "g", "t", "g")
            + '<bpmn:sequenceFlow id="out" sourceRef="g" targetRef="end">'
            "<bpmn:conditionExpression>=done</bpmn:conditionExpression></bpmn:sequenceFlow>"
        )
        assert problems(model(body.replace('default="f3"', 'default="f2"'))) == ()

    def test_event_based_gateway_targets(self) -> None:
        body = (
            '<bpmn:startEvent id="start"/><bpmn:eventBasedGateway id="g"/>'
            + service("t")
            + '<bpmn:endEvent id="end"/>'
            + flows("start", "g", "t", "end")
        )
        found = problems(model(body))
        assert has_problem(found, "g", "eventBasedGateway", "at least 2 outgoing sequence flows")
        assert has_problem(
            found, "g", "eventBasedGateway", "message/timer/signal intermediate catch"
        )


class TestEvents:
    def test_message_catch_needs_a_named_message_with_a_correlation_key(self) -> None:
        body = straight(
            '<bpmn:intermediateCatchEvent id="wait"><bpmn:messageEventDefinition messageRef="m1"/>'
            "</bpmn:intermediateCatchEvent>",
            '<bpmn:intermediateCatchEvent id="noRef"><bpmn:messageEventDefinition/>'
            "</bpmn:intermediateCatchEvent>",
        )
        found = problems(model(body, message(key=None)))
        assert has_problem(found, "m1", "message", "zeebe:subscription")
        assert has_problem(found, "noRef", "intermediateCatchEvent", "Must reference a message")

    def test_a_static_correlation_key_is_refused(self) -> None:
        body = straight('<bpmn:receiveTask id="r" messageRef="m1"/>')
        _refused(
            model(body, message(key="orderId")),
            "m1",
            "message",
            "An expression must start with '='",
        )

    def test_boundary_events(self) -> None:
        body = straight(service("t")) + (
            '<bpmn:boundaryEvent id="loose" attachedToRef="nothing">'
            "<bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration>"
            "</bpmn:timerEventDefinition></bpmn:boundaryEvent>"
            '<bpmn:boundaryEvent id="softError" attachedToRef="t" cancelActivity="false">'
            "<bpmn:errorEventDefinition/></bpmn:boundaryEvent>"
            '<bpmn:boundaryEvent id="cycle" attachedToRef="t"><bpmn:timerEventDefinition>'
            "<bpmn:timeCycle>R/PT1H</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:boundaryEvent>"
            '<bpmn:boundaryEvent id="esc" attachedToRef="t"><bpmn:escalationEventDefinition/>'
            "</bpmn:boundaryEvent>"
        )
        found = problems(model(body))
        assert has_problem(found, "loose", "boundaryEvent", "Must be attached to an activity")
        assert has_problem(
            found, "softError", "boundaryEvent", "Non-Interrupting event of this type"
        )
        assert has_problem(
            found, "cycle", "boundaryEvent", "Interrupting timer event with time cycle"
        )
        assert has_problem(found, "esc", "boundaryEvent", "only be attached to a subprocess")

    def test_error_end_event_needs_an_error_code(self) -> None:
        body = (
            '<bpmn:startEvent id="start"/><bpmn:endEvent id="noRef"><bpmn:errorEventDefinition/>'
            '</bpmn:endEvent><bpmn:endEvent id="noCode"><bpmn:errorEventDefinition errorRef="e"/>'
            "</bpmn:endEvent>" + flows("start", "noRef") + flows("start", "noCode", prefix="g")
        )
        found = problems(model(body, '<bpmn:error id="e" name="failure"/>'))
        assert has_problem(found, "noRef", "endEvent", "Must reference an error")
        assert has_problem(found, "e", "error", "ErrorCode must be present and not empty")

    def test_link_throw_needs_a_catch_in_its_scope(self) -> None:
        body = straight(
            '<bpmn:intermediateThrowEvent id="jump"><bpmn:linkEventDefinition name="away"/>'
            "</bpmn:intermediateThrowEvent>"
        )
        _refused(model(body), "jump", "intermediateThrowEvent", "the name 'away'")

    def test_sub_process_start_events(self) -> None:
        body = straight(
            '<bpmn:subProcess id="sub"><bpmn:startEvent id="s"><bpmn:timerEventDefinition>'
            "<bpmn:timeDuration>PT1M</bpmn:timeDuration></bpmn:timerEventDefinition>"
            "</bpmn:startEvent></bpmn:subProcess>",
            '<bpmn:subProcess id="empty"/>',
        )
        found = problems(model(body))
        assert has_problem(
            found, "s", "startEvent", "Start events in subprocesses must be of type none"
        )
        assert has_problem(found, "empty", "subProcess", "Must have exactly one start event")

    def test_event_sub_process_start_kinds(self) -> None:
        body = straight() + (
            '<bpmn:subProcess id="esp" triggeredByEvent="true"><bpmn:startEvent id="s"/>'
            "</bpmn:subProcess>"
        )
        _refused(
            model(body), "s", "startEvent", "Start events in event subprocesses must be one of"
        )

    @pytest.mark.parametrize(
        ("form", "value", "fragment"),
        [
            ("timeDuration", "1 hour", "Invalid timer duration expression"),
            ("timeDate", "2024-01-01T10:00:00", "Invalid timer date expression"),
            ("timeDuration", "", "the expression after"),
        ],
    )
    def test_timer_values_must_parse(self, form: str, value: str, fragment: str) -> None:
        body = straight(
            f'<bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition><bpmn:{form}>'
            f"{value}</bpmn:{form}></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
        )
        if value == "":
            body = body.replace(f"<bpmn:{form}></bpmn:{form}>", f"<bpmn:{form}>=</bpmn:{form}>")
        _refused(model(body), "wait", "intermediateCatchEvent", fragment)


class TestExpressions:
    def test_every_expression_goes_through_the_checker(self) -> None:
        def check(text: str) -> str | None:
            return "unexpected ')'" if ")" in text else None

        body = straight(service("t", "=kind)"))
        with pytest.raises(BpmnValidationError) as caught:
            parse(model(body), check_expression=check)
        (problem,) = caught.value.problems
        assert problem == Problem(
            "t", "serviceTask", "job type: invalid FEEL expression '=kind)': unexpected ')'"
        )

    def test_a_feel_syntax_error_is_refused_by_default(self) -> None:
        body = straight(service("t", "=kind +"))
        with pytest.raises(BpmnValidationError) as caught:
            parse(model(body))
        (problem,) = caught.value.problems
        assert (problem.element_id, problem.element_type) == ("t", "serviceTask")
        assert problem.message.startswith("job type: invalid FEEL expression '=kind +': ")
        assert "line 1, column 7" in problem.message

    def test_a_valid_feel_expression_passes_the_default_check(self) -> None:
        definitions = parse(
            model(straight(service("t", "=if vip then &quot;fast&quot; else kind")))
        )
        assert definitions.executable_processes

    def test_all_problems_at_once_in_the_error_text(self) -> None:
        body = straight('<bpmn:serviceTask id="a"/>') + '<bpmn:complexGateway id="b"/>'
        with pytest.raises(BpmnValidationError) as caught:
            parse(model(body))
        text = str(caught.value)
        assert "serviceTask 'a'" in text and "complexGateway 'b'" in text
        assert text.startswith("the BPMN model has 2 problems")
