"""The diagram interchange is read per element: shapes with bounds and labels, edges with
waypoints; a file without one has an empty diagram."""

from __future__ import annotations

from sdk.bpmn import Bounds, Point, parse

from .models import model, service, straight

DI = (
    '<bpmndi:BPMNDiagram id="d"><bpmndi:BPMNPlane id="pl" bpmnElement="p">'
    '<bpmndi:BPMNShape id="s_di" bpmnElement="start">'
    '<dc:Bounds x="10" y="20" width="36" height="36"/>'
    '<bpmndi:BPMNLabel><dc:Bounds x="5" y="60" width="50" height="14"/></bpmndi:BPMNLabel>'
    "</bpmndi:BPMNShape>"
    '<bpmndi:BPMNShape id="t_di" bpmnElement="t" isExpanded="false">'
    '<dc:Bounds x="100" y="0" width="100" height="80"/></bpmndi:BPMNShape>'
    '<bpmndi:BPMNEdge id="f1_di" bpmnElement="f1"><di:waypoint x="46" y="38"/>'
    '<di:waypoint x="100" y="40"/></bpmndi:BPMNEdge>'
    "</bpmndi:BPMNPlane></bpmndi:BPMNDiagram>"
)


def test_shapes_and_edges() -> None:
    diagram = parse(model(straight(service("t")), DI)).diagram
    assert not diagram.is_empty
    start = diagram.shapes["start"]
    assert start.bounds == Bounds(10, 20, 36, 36)
    assert start.label == Bounds(5, 60, 50, 14)
    assert start.is_expanded is None
    assert diagram.shapes["t"].is_expanded is False
    assert diagram.edges["f1"].waypoints == (Point(46, 38), Point(100, 40))
    (plane,) = diagram.planes
    assert plane.element_id == "p" and set(plane.shapes) == {"start", "t"}


def test_no_diagram_information_is_an_empty_diagram() -> None:
    diagram = parse(model(straight())).diagram
    assert diagram.is_empty
    assert diagram.planes == ()
