"""The instance page's process drawing, read back as XML: every shape sits on its diagram
bounds, every flow follows its waypoints, marks land on exactly the marked elements, user text
is escaped, and a model without a diagram gets the ordered list instead."""

from __future__ import annotations

import re
import time
from html import escape
from pathlib import Path
from xml.etree import ElementTree

import pytest

from sdk.bpmn import Bounds, BpmnParseError, Definitions, ElementType, read
from sdk.broker.ui._diagram import DIAGRAM_CSS, Marks, element_list, render_process

from _support.shared import CORPUS, MISSING

SVG = "{http://www.w3.org/2000/svg}"
FILES = sorted(p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*.bpmn")) if CORPUS else []
corpus = pytest.mark.skipif(CORPUS is None, reason=MISSING)

NAMESPACES = (
    'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
    ' xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"'
    ' xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"'
    ' xmlns:di="http://www.omg.org/spec/DD/20100524/DI"'
    ' xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"'
)
JOB = '<bpmn:extensionElements><zeebe:taskDefinition type="w"/></bpmn:extensionElements>'
HOSTILE = "<script>alert(\"x\")</script> & 'quoted'"
HOSTILE_XML = escape(HOSTILE, quote=True)

# Every kind of shape the renderer draws differently, with a hostile name on the first task.
BODY = f"""
<bpmn:startEvent id="start"/>
<bpmn:serviceTask id="task" name="{HOSTILE_XML}">{JOB}
  <bpmn:multiInstanceLoopCharacteristics isSequential="true">
    <bpmn:extensionElements><zeebe:loopCharacteristics inputCollection="=items"/>
    </bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics></bpmn:serviceTask>
<bpmn:boundaryEvent id="late" attachedToRef="task" cancelActivity="false">
  <bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration>
  </bpmn:timerEventDefinition></bpmn:boundaryEvent>
<bpmn:exclusiveGateway id="gate" default="f_default"/>
<bpmn:subProcess id="sub"><bpmn:startEvent id="sub_start"/><bpmn:userTask id="approve"/>
  <bpmn:endEvent id="sub_end"/>
  <bpmn:sequenceFlow id="s1" sourceRef="sub_start" targetRef="approve"/>
  <bpmn:sequenceFlow id="s2" sourceRef="approve" targetRef="sub_end"/></bpmn:subProcess>
<bpmn:endEvent id="end"><bpmn:terminateEventDefinition/></bpmn:endEvent>
<bpmn:endEvent id="late_end"/>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="task"/>
<bpmn:sequenceFlow id="f2" sourceRef="task" targetRef="gate"/>
<bpmn:sequenceFlow id="f_yes" name="yes" sourceRef="gate" targetRef="sub">
  <bpmn:conditionExpression>=ok</bpmn:conditionExpression></bpmn:sequenceFlow>
<bpmn:sequenceFlow id="f_default" sourceRef="gate" targetRef="end"/>
<bpmn:sequenceFlow id="f3" sourceRef="sub" targetRef="end"/>
<bpmn:sequenceFlow id="f_late" sourceRef="late" targetRef="late_end"/>
"""
SHAPES = {
    "start": (0, 22, 36, 36),
    "task": (80, 0, 100, 80),
    "late": (142, 62, 36, 36),
    "late_end": (142, 140, 36, 36),
    "gate": (230, 15, 50, 50),
    "sub": (330, -40, 350, 160),
    "sub_start": (350, 22, 36, 36),
    "approve": (430, 0, 100, 80),
    "sub_end": (580, 22, 36, 36),
    "end": (740, 22, 36, 36),
}
EDGES = {
    "f1": [(36, 40), (80, 40)],
    "f2": [(180, 40), (230, 40)],
    "f_yes": [(280, 40), (330, 40)],
    "f_default": [(255, 65), (255, 200), (758, 200), (758, 58)],
    "f3": [(680, 40), (740, 40)],
    "f_late": [(160, 98), (160, 140)],
    "s1": [(386, 40), (430, 40)],
    "s2": [(530, 40), (580, 40)],
}


EXPANDED = ' isExpanded="true"'


def _di() -> str:
    shapes = "".join(
        f'<bpmndi:BPMNShape id="{i}_di" bpmnElement="{i}"{EXPANDED if i == "sub" else ""}>'
        f'<dc:Bounds x="{x}" y="{y}" width="{w}" height="{h}"/></bpmndi:BPMNShape>'
        for i, (x, y, w, h) in SHAPES.items()
    )
    edges = "".join(
        f'<bpmndi:BPMNEdge id="{i}_di" bpmnElement="{i}">'
        + "".join(f'<di:waypoint x="{x}" y="{y}"/>' for x, y in points)
        + "</bpmndi:BPMNEdge>"
        for i, points in EDGES.items()
    )
    return (
        '<bpmndi:BPMNDiagram id="d"><bpmndi:BPMNPlane id="pl" bpmnElement="p">'
        f"{shapes}{edges}</bpmndi:BPMNPlane></bpmndi:BPMNDiagram>"
    )


def _file(diagram: bool = True) -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions {NAMESPACES} id="defs">'
        f'<bpmn:process id="p" name="Order" isExecutable="true">{BODY}</bpmn:process>'
        f"{_di() if diagram else ''}</bpmn:definitions>"
    )


def _render(
    definitions: Definitions, process_id: str, marks: Marks | None = None
) -> ElementTree.Element:
    svg = render_process(definitions, process_id, marks=marks)
    assert svg is not None
    return ElementTree.fromstring(str(svg))


def _groups(root: ElementTree.Element) -> dict[str, list[ElementTree.Element]]:
    found: dict[str, list[ElementTree.Element]] = {}
    for group in root.iter(f"{SVG}g"):
        if "data-element-id" in group.attrib:
            found.setdefault(group.attrib["data-element-id"], []).append(group)
    return found


def _shape(group: ElementTree.Element) -> ElementTree.Element:
    return next(e for e in group if "bpmn-shape" in e.get("class", "").split())


def _box(element: ElementTree.Element) -> tuple[float, float, float, float]:
    """The box a drawn shape covers, read back from its own attributes."""
    tag = element.tag.removeprefix(SVG)

    def get(name: str) -> float:
        return float(element.attrib[name])

    if tag == "rect":
        return get("x"), get("y"), get("width"), get("height")
    if tag == "circle":
        r = get("r")
        return get("cx") - r, get("cy") - r, 2 * r, 2 * r
    assert tag == "polygon", tag
    pairs = [p.split(",") for p in element.attrib["points"].split()]
    xs, ys = [float(x) for x, _ in pairs], [float(y) for _, y in pairs]
    return min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)


def _numbers(path: ElementTree.Element) -> list[float]:
    """A path's coordinates, flat (x, y, x, y...)."""
    return [float(n) for n in re.findall(r"-?[\d.]+", path.attrib["d"])]


def _expected_box(bounds: Bounds, is_event: bool) -> tuple[float, float, float, float]:
    if not is_event:
        return bounds.x, bounds.y, bounds.width, bounds.height
    side = min(bounds.width, bounds.height)  # a circle in the middle of its bounds
    return (bounds.x + (bounds.width - side) / 2, bounds.y + (bounds.height - side) / 2, side, side)


def assert_drawn_on_the_diagram(definitions: Definitions, process_id: str) -> None:
    root = _render(definitions, process_id)
    groups = _groups(root)
    process, diagram = definitions.process(process_id), definitions.diagram
    for node in process.elements.values():
        shape = diagram.shapes.get(node.id)
        if shape is None:
            continue
        assert len(groups.get(node.id, [])) == 1, node.id
        box = _box(_shape(groups[node.id][0]))
        expected = _expected_box(shape.bounds, "EVENT" in node.type.value)
        assert box == pytest.approx(expected, abs=1), node.id
    for flow in process.flows.values():
        edge = diagram.edges.get(flow.id)
        if edge is None or len(edge.waypoints) < 2:
            continue
        (group,) = groups[flow.id]
        waypoints = [n for p in edge.waypoints for n in (p.x, p.y)]
        assert _numbers(_shape(group)) == pytest.approx(waypoints, abs=0.01), flow.id


class TestCorpus:
    @corpus
    @pytest.mark.parametrize("name", FILES)
    def test_each_model_with_a_diagram_is_drawn_on_its_bounds(self, name: str) -> None:
        assert CORPUS is not None
        try:
            definitions = read((CORPUS / name).read_bytes()).definitions
        except BpmnParseError:
            pytest.skip("not well-formed XML")
        if definitions.diagram.is_empty:
            for process in definitions.processes:
                assert render_process(definitions, process.id) is None
            return
        for process in definitions.processes:
            if any(n in definitions.diagram.shapes for n in process.elements):
                assert_drawn_on_the_diagram(definitions, process.id)

    @corpus
    def test_rendering_time_of_the_largest_model(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert CORPUS is not None
        models = []
        for path in CORPUS.rglob("*.bpmn"):
            try:
                models.append((path, read(path.read_bytes()).definitions))
            except BpmnParseError:
                continue
        largest, definitions, process = max(
            ((path, d, p) for path, d in models for p in d.processes if not d.diagram.is_empty),
            key=lambda found: len(found[2].elements),
        )
        marks = Marks.from_ids(completed=process.elements, taken=process.flows)
        rounds = 50
        started = time.perf_counter()
        for _ in range(rounds):
            render_process(definitions, process.id, marks=marks)
        per_render_ms = (time.perf_counter() - started) / rounds * 1000
        with capsys.disabled():
            print(
                f"\nrendering {largest.name} ({len(process.elements)} elements, "
                f"{len(process.flows)} flows): {per_render_ms:.2f} ms per render"
            )


class TestShapes:
    def test_every_kind_of_element_sits_on_its_bounds(self) -> None:
        definitions = read(_file()).definitions
        assert_drawn_on_the_diagram(definitions, "p")

    def test_the_svg_scales_from_a_view_box_around_everything(self) -> None:
        root = _render(read(_file()).definitions, "p")
        x, y, width, height = (float(n) for n in root.attrib["viewBox"].split())
        assert x < 0 and y < -40  # the margin around the left- and topmost shapes
        assert x + width > 776 and y + height > 200
        assert "bpmn-diagram" in root.attrib["class"]

    def test_markers_of_flows_and_activities(self) -> None:
        svg = str(render_process(read(_file()).definitions, "p"))
        groups = _groups(ElementTree.fromstring(svg))
        default_path = _shape(groups["f_default"][0])
        assert default_path.get("marker-start") == "url(#bpmn-default)"
        # a condition on a gateway's flow has no diamond, as Camunda Modeler draws it
        assert _shape(groups["f_yes"][0]).get("marker-start") is None
        assert "bpmn-dashed" in _shape(groups["late"][0]).attrib["class"]  # non-interrupting
        task = ElementTree.tostring(groups["task"][0], encoding="unicode")
        assert "M0 2 H12 M0 6 H12" in task  # the sequential multi-instance marker

    def test_nested_elements_are_drawn_over_their_sub_process(self) -> None:
        root = _render(read(_file()).definitions, "p")
        order = [g.get("data-element-id") for g in root.iter(f"{SVG}g") if g.get("data-element-id")]
        assert order.index("sub") < order.index("approve")
        assert order.index("sub") < order.index("s1")
        assert order.index("task") < order.index("late")  # boundary events sit on top


class TestMarks:
    def test_marks_classes_land_on_exactly_the_marked_elements(self) -> None:
        marks = Marks.from_ids(
            completed=["start", "task", "task"],
            active=["sub", "approve", "approve"],
            incident=["approve"],
            terminated=["late"],
            taken=["f1", "f2"],
        )
        groups = _groups(_render(read(_file()).definitions, "p", marks))
        expected = {
            "completed": {"start", "task"},
            "active": {"sub", "approve"},
            "incident": {"approve"},
            "terminated": {"late"},
            "taken": {"f1", "f2"},
        }
        for cls, ids in expected.items():
            marked = {i for i, (g, *_) in groups.items() if cls in g.attrib["class"].split()}
            assert marked == ids, cls

    def test_counts_show_as_badges_and_in_the_tooltip(self) -> None:
        marks = Marks.from_ids(active=["approve"] * 3, incident=["approve"], completed=["task"])
        groups = _groups(_render(read(_file()).definitions, "p", marks))
        approve = groups["approve"][0]
        badges = {
            next(iter(b.get("class", "").split()[1:]), ""): "".join(b.itertext())
            for b in approve.iter(f"{SVG}g")
            if "bpmn-badge" in b.get("class", "")
        }
        assert badges == {"bpmn-badge-active": "3", "bpmn-badge-incident": "1"}
        assert approve.findtext(f"{SVG}title") == "approve: active 3 times, incident"
        single = Marks.from_ids(active=["approve"])
        lone = _groups(_render(read(_file()).definitions, "p", single))["approve"][0]
        assert not [b for b in lone.iter(f"{SVG}g") if "bpmn-badge" in b.get("class", "")]

    def test_the_stylesheet_styles_every_mark(self) -> None:
        for cls in (".completed", ".active", ".incident", ".terminated", ".taken"):
            assert cls in DIAGRAM_CSS


class TestEscaping:
    def test_names_from_the_model_are_text_never_markup(self) -> None:
        svg = str(render_process(read(_file()).definitions, "p"))
        assert "<script" not in svg
        root = ElementTree.fromstring(svg)
        task = _groups(root)["task"][0]
        assert task.findtext(f"{SVG}title") == f"{HOSTILE} (task)"
        shown = "".join("".join(t.itertext()) for t in task.iter(f"{SVG}tspan"))
        assert shown.replace(" ", "") == HOSTILE.replace(" ", "")

    def test_ids_in_attributes_are_escaped(self) -> None:
        data = (
            _file()
            .replace('id="late_end"', 'id="x&quot;&gt;&lt;b"')
            .replace('targetRef="late_end"', 'targetRef="x&quot;&gt;&lt;b"')
            .replace('bpmnElement="late_end"', 'bpmnElement="x&quot;&gt;&lt;b"')
        )
        groups = _groups(_render(read(data).definitions, "p"))
        assert 'x"><b' in groups


class TestWithoutDiagram:
    def test_no_diagram_gives_none_and_the_list_names_every_flow_node(self) -> None:
        definitions = read(_file(diagram=False)).definitions
        assert render_process(definitions, "p") is None
        process = definitions.process("p")
        listed = element_list(process)
        assert sorted(e.id for e in listed) == sorted(process.elements)
        assert [e.id for e in listed] == [
            "start",
            "task",
            "late",
            "gate",
            "late_end",
            "sub",
            "sub_start",
            "approve",
            "sub_end",
            "end",
        ]
        assert listed[1].name == HOSTILE and listed[1].type is ElementType.SERVICE_TASK

    @corpus
    def test_the_list_names_every_flow_node_of_every_corpus_model(self) -> None:
        assert CORPUS is not None
        for path in sorted(CORPUS.rglob("*.bpmn")):
            try:
                definitions = read(path.read_bytes()).definitions
            except BpmnParseError:
                continue
            for process in definitions.processes:
                listed = [e.id for e in element_list(process)]
                assert sorted(listed) == sorted(process.elements), path.name


def test_the_stylesheet_is_the_served_file() -> None:
    served = Path(__file__).parents[2] / "src/sdk/broker/ui/static/diagram.css"
    assert served.read_text(encoding="utf-8") == DIAGRAM_CSS
