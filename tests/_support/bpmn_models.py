"""Small inline BPMN models for deployment tests: one that deploys, refused ones, and one
with its diagram for the dashboard."""

from __future__ import annotations

from html import escape


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


def drawn_model(
    process_id: str = "order", *, name: str = "Order", task_name: str = "Charge"
) -> bytes:
    """A model with its diagram (``bpmndi``): start → ``charge`` (job type ``charge``, one
    retry) → gateway → ``ship`` (job type ``ship``) → end, laid out as Camunda Modeler
    would. ``name`` and ``task_name`` are XML-escaped here, so they may hold markup."""
    process_name, charge_name = escape(name, quote=True), escape(task_name, quote=True)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
    xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
    xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="defs"
    targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="{process_id}" name="{process_name}" isExecutable="true">
    <bpmn:startEvent id="start" name="Order placed" />
    <bpmn:serviceTask id="charge" name="{charge_name}">
      <bpmn:extensionElements>
        <zeebe:taskDefinition type="charge" retries="1" />
      </bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:exclusiveGateway id="paid" name="Paid?" default="to_ship" />
    <bpmn:serviceTask id="ship" name="Ship the parcel">
      <bpmn:extensionElements><zeebe:taskDefinition type="ship" /></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:endEvent id="done" name="Shipped" />
    <bpmn:endEvent id="refused" name="Refused" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="charge" />
    <bpmn:sequenceFlow id="f2" sourceRef="charge" targetRef="paid" />
    <bpmn:sequenceFlow id="to_ship" name="yes" sourceRef="paid" targetRef="ship" />
    <bpmn:sequenceFlow id="to_refused" name="no" sourceRef="paid" targetRef="refused">
      <bpmn:conditionExpression>=refused = true</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f3" sourceRef="ship" targetRef="done" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="diagram">
    <bpmndi:BPMNPlane id="plane" bpmnElement="{process_id}">
      <bpmndi:BPMNShape id="start_di" bpmnElement="start">
        <dc:Bounds x="152" y="102" width="36" height="36" />
        <bpmndi:BPMNLabel><dc:Bounds x="137" y="145" width="66" height="14" /></bpmndi:BPMNLabel>
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="charge_di" bpmnElement="charge">
        <dc:Bounds x="240" y="80" width="100" height="80" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="paid_di" bpmnElement="paid" isMarkerVisible="true">
        <dc:Bounds x="395" y="95" width="50" height="50" />
        <bpmndi:BPMNLabel><dc:Bounds x="405" y="71" width="30" height="14" /></bpmndi:BPMNLabel>
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="ship_di" bpmnElement="ship">
        <dc:Bounds x="500" y="80" width="100" height="80" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="done_di" bpmnElement="done">
        <dc:Bounds x="652" y="102" width="36" height="36" />
        <bpmndi:BPMNLabel><dc:Bounds x="648" y="145" width="44" height="14" /></bpmndi:BPMNLabel>
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="refused_di" bpmnElement="refused">
        <dc:Bounds x="502" y="212" width="36" height="36" />
        <bpmndi:BPMNLabel><dc:Bounds x="498" y="255" width="44" height="14" /></bpmndi:BPMNLabel>
      </bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="f1_di" bpmnElement="f1">
        <di:waypoint x="188" y="120" /><di:waypoint x="240" y="120" />
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="f2_di" bpmnElement="f2">
        <di:waypoint x="340" y="120" /><di:waypoint x="395" y="120" />
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="to_ship_di" bpmnElement="to_ship">
        <di:waypoint x="445" y="120" /><di:waypoint x="500" y="120" />
        <bpmndi:BPMNLabel><dc:Bounds x="464" y="102" width="18" height="14" /></bpmndi:BPMNLabel>
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="to_refused_di" bpmnElement="to_refused">
        <di:waypoint x="420" y="145" /><di:waypoint x="420" y="230" />
        <di:waypoint x="502" y="230" />
        <bpmndi:BPMNLabel><dc:Bounds x="428" y="185" width="13" height="14" /></bpmndi:BPMNLabel>
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="f3_di" bpmnElement="f3">
        <di:waypoint x="600" y="120" /><di:waypoint x="652" y="120" />
      </bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
""".encode()


NAMESPACES = (
    'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
    ' xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"'
)
NO_STOCK = '<bpmn:error id="err" errorCode="NO_STOCK"/>'
"""A root error element, for the models whose error events refer to ``err``."""


def definitions(process_id: str, body: str, roots: str = "") -> bytes:
    """One executable process holding ``body``, then ``roots`` (errors, messages...)."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions {NAMESPACES} id="defs">'
        f'<bpmn:process id="{process_id}" isExecutable="true">{body}</bpmn:process>'
        f"{roots}</bpmn:definitions>"
    ).encode()


def flow(flow_id: str, source: str, target: str, condition: str | None = None) -> str:
    """A sequence flow, with a FEEL condition (``= ...``) when given."""
    if condition is None:
        return f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}"/>'
    return (
        f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}">'
        f"<bpmn:conditionExpression>{condition}</bpmn:conditionExpression></bpmn:sequenceFlow>"
    )


def service(element_id: str, job_type: str = "work", extra: str = "") -> str:
    """A service task making jobs of ``job_type``, with more extension elements ``extra``."""
    return (
        f'<bpmn:serviceTask id="{element_id}"><bpmn:extensionElements>'
        f'<zeebe:taskDefinition type="{job_type}"/>{extra}</bpmn:extensionElements>'
        "</bpmn:serviceTask>"
    )


def fork_and_join(tasks: dict[str, str]) -> str:
    """start → ``a`` → ``b`` → a parallel fork of ``c`` and ``d`` → join → end, where
    ``tasks`` maps those four service task ids to their job types; flows ``f1``-``f8``."""
    return (
        '<bpmn:startEvent id="start"/>'
        + "".join(service(element, job_type) for element, job_type in tasks.items())
        + '<bpmn:parallelGateway id="fork"/><bpmn:parallelGateway id="join"/>'
        '<bpmn:endEvent id="end"/>'
        + flow("f1", "start", "a")
        + flow("f2", "a", "b")
        + flow("f3", "b", "fork")
        + flow("f4", "fork", "c")
        + flow("f5", "fork", "d")
        + flow("f6", "c", "join")
        + flow("f7", "d", "join")
        + flow("f8", "join", "end")
    )
