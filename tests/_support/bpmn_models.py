"""Small inline BPMN models for deployment tests: one that deploys, and refused ones."""

from __future__ import annotations


def model(process_id: str = "order", body: str = "", *, name: str = "Order") -> bytes:
    """A small executable model: start → service task → end (``body`` adds elements)."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="defs"
    targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="{process_id}" name="{name}" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work" />
    <bpmn:serviceTask id="work">
      <bpmn:extensionElements><zeebe:taskDefinition type="work" /></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end" />
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>{body}
  </bpmn:process>
</bpmn:definitions>
""".encode()


COMPLEX_GATEWAY = model("complex", '\n    <bpmn:complexGateway id="gate" />')
"""Refused: a complex gateway is not supported."""
FEEL_ERROR = model(
    "feel",
    '\n    <bpmn:scriptTask id="calc"><bpmn:extensionElements>'
    '<zeebe:script expression="=1 +* 2" resultVariable="x" />'
    "</bpmn:extensionElements></bpmn:scriptTask>",
)
"""Refused: a FEEL syntax error in a script task."""
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol2;</bpmn:definitions>
"""
"""Refused: entity expansion (hostile XML)."""
