"""A process drawn from its own BPMN diagram (the ``bpmndi`` shapes and edges) as inline SVG.

Pure: definitions and marks in, markup out, so the instance page can embed it and tests can
read it back. Every element is a group with ``data-element-id``, a tooltip and the classes of
its marks; the look lives in ``DIAGRAM_CSS`` because the dashboard's policy refuses inline
styles. A process without a diagram gets ``element_list`` instead.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

from markupsafe import Markup

from sdk.bpmn import (
    Bounds,
    Definitions,
    Edge,
    ElementType,
    EventKind,
    FlowNode,
    Plane,
    Point,
    Process,
    SequenceFlow,
    Shape,
)

from ._diagram_icons import (
    COLLAPSED,
    EVENT_RADIUS,
    GATEWAY_MARKERS,
    MULTI_INSTANCE_PARALLEL,
    MULTI_INSTANCE_SEQUENTIAL,
    TASK_ICONS,
    event_marker,
)
from ._diagram_text import label_lines, text_block

DIAGRAM_CSS = (Path(__file__).parent / "static" / "diagram.css").read_text(encoding="utf-8")
"""The diagram's stylesheet (also served as ``static/diagram.css``): the dashboard's policy
refuses inline styles, so the page links it or adds it to its own."""
MARGIN = 20.0
"""Room around the drawing, so outer strokes and labels are not cut off."""
POOL_BAND = 30.0
"""Width of a pool's name band, as Camunda Modeler draws it."""
GATEWAY_HALF = 25.0
WIDE = 720.0
"""A drawing wider than this is marked ``bpmn-wide``: inside a ``bpmn-scroll`` box it keeps
a readable size on a phone and scrolls, instead of shrinking to the screen."""
_THROWS = (ElementType.END_EVENT, ElementType.INTERMEDIATE_THROW_EVENT)
_EVENTS = (
    ElementType.START_EVENT,
    ElementType.INTERMEDIATE_CATCH_EVENT,
    ElementType.INTERMEDIATE_THROW_EVENT,
    ElementType.BOUNDARY_EVENT,
    ElementType.END_EVENT,
)
_GATEWAYS = tuple(GATEWAY_MARKERS)
_MARK_CLASSES = ("completed", "terminated", "active", "incident")


def _empty() -> Mapping[str, int]:
    return MappingProxyType({})


def _counted(ids: Iterable[str]) -> Mapping[str, int]:
    return MappingProxyType(Counter(i for i in ids))  # never a mapping's values as counts


@dataclass(frozen=True)
class Marks:
    """What an instance has done, by element id, with how often (an element in a loop or a
    multi-instance body runs several times).

    Attributes:
        completed: Elements that completed, with their completion count.
        active: Elements active now, with their active instance count.
        incident: Elements with open incidents, with the incident count.
        terminated: Elements that were terminated, with the count.
        taken: The ids of the sequence flows the instance took.
    """

    completed: Mapping[str, int] = field(default_factory=_empty)
    active: Mapping[str, int] = field(default_factory=_empty)
    incident: Mapping[str, int] = field(default_factory=_empty)
    terminated: Mapping[str, int] = field(default_factory=_empty)
    taken: frozenset[str] = frozenset()

    @classmethod
    def from_ids(
        cls,
        *,
        completed: Iterable[str] = (),
        active: Iterable[str] = (),
        incident: Iterable[str] = (),
        terminated: Iterable[str] = (),
        taken: Iterable[str] = (),
    ) -> Marks:
        """Marks from one id per element instance (or incident): repeats become counts."""
        return cls(
            completed=_counted(completed),
            active=_counted(active),
            incident=_counted(incident),
            terminated=_counted(terminated),
            taken=frozenset(taken),
        )

    def classes(self, element_id: str) -> list[str]:
        """The mark classes of an element, weakest first (the stylesheet lets later win)."""
        return [name for name in _MARK_CLASSES if getattr(self, name).get(element_id, 0) > 0]


class ListedElement(NamedTuple):
    """One row of the fallback list: a flow node of a model drawn without a diagram."""

    id: str
    name: str
    type: ElementType


def _num(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _attr(value: str) -> str:
    return escape(value, quote=True)


def _rect(bounds: Bounds, cls: str, radius: float = 0) -> str:
    rounded = f' rx="{_num(radius)}"' if radius else ""
    return (
        f'<rect class="{cls}" x="{_num(bounds.x)}" y="{_num(bounds.y)}" '
        f'width="{_num(bounds.width)}" height="{_num(bounds.height)}"{rounded}/>'
    )


def _place(fragment: str, x: float, y: float, scale: float = 1.0) -> str:
    scaled = f" scale({_num(scale)})" if abs(scale - 1) > 0.01 else ""
    return f'<g transform="translate({_num(x)} {_num(y)}){scaled}">{fragment}</g>'


class _Canvas:
    """Collects the drawing and the extent it covers (for the ``viewBox``)."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.left = self.top = float("inf")
        self.right = self.bottom = float("-inf")

    def cover(self, x: float, y: float, width: float = 0, height: float = 0) -> None:
        self.left, self.top = min(self.left, x), min(self.top, y)
        self.right, self.bottom = max(self.right, x + width), max(self.bottom, y + height)

    def cover_bounds(self, bounds: Bounds | None) -> None:
        if bounds is not None:
            self.cover(bounds.x, bounds.y, bounds.width, bounds.height)


class _Renderer:
    def __init__(self, definitions: Definitions, plane: Plane, marks: Marks) -> None:
        self.plane = plane
        self.marks = marks
        self.nodes: dict[str, FlowNode] = {}
        self.flows: dict[str, SequenceFlow] = {}
        for process in definitions.processes:
            self.nodes.update(process.elements)
            self.flows.update(process.flows)
        self.participants = {p.id: p.name for p in definitions.participants}
        self.canvas = _Canvas()
        self.drawn: list[Shape] = []

    # -- the order of drawing: frames, open containers, flows, nodes, boundary events --------

    def draw(self) -> None:
        shapes = self.plane.shapes
        frames = [s for s in shapes.values() if s.element_id not in self.nodes]
        self.drawn = [
            s
            for s in shapes.values()
            if s.element_id in self.nodes or _is_frame(s, self.participants)
        ]
        containers = [s for s in shapes.values() if self._is_open(s)]
        containers.sort(key=lambda s: self._depth(s.element_id))
        flat = [s for s in shapes.values() if s.element_id in self.nodes and not self._is_open(s)]
        for shape in frames:
            self._frame(shape)
        for shape in containers:
            self._node(shape, self.nodes[shape.element_id])
        for edge in self.plane.edges.values():
            self._edge(edge)
        boundary = ElementType.BOUNDARY_EVENT
        for shape in sorted(flat, key=lambda s: self.nodes[s.element_id].type is boundary):
            self._node(shape, self.nodes[shape.element_id])

    def _is_open(self, shape: Shape) -> bool:
        node = self.nodes.get(shape.element_id)
        if node is None or not node.is_scope:
            return False
        if shape.is_expanded is not None:
            return shape.is_expanded
        return any(
            child.scope == node.id for child in self.nodes.values() if child.id in self.plane.shapes
        )

    def _depth(self, element_id: str) -> int:
        depth, node = 0, self.nodes.get(element_id)
        while node is not None:
            depth, node = depth + 1, self.nodes.get(node.scope)
        return depth

    # -- pools and lanes ---------------------------------------------------------------------

    def _frame(self, shape: Shape) -> None:
        if not _is_frame(shape, self.participants):
            return  # annotations, data objects, groups: not part of the flow, left out
        bounds, name = shape.bounds, self.participants.get(shape.element_id)
        kind = "bpmn-pool" if shape.element_id in self.participants else "bpmn-lane"
        parts = [_rect(bounds, "bpmn-shape")]
        if kind == "bpmn-pool":
            parts.append(
                f'<path class="bpmn-frame-line" d="M{_num(bounds.x + POOL_BAND)} '
                f'{_num(bounds.y)} V{_num(bounds.y + bounds.height)}"/>'
            )
        if name:
            cx, cy = bounds.x + POOL_BAND / 2, bounds.y + bounds.height / 2
            parts.append(
                f'<g transform="rotate(-90 {_num(cx)} {_num(cy)})">'
                + text_block(
                    name, cx, cy, bounds.height - 10, "bpmn-label", center=True, whole_words=True
                )
                + "</g>"
            )
        self.canvas.cover_bounds(bounds)
        self.canvas.parts.append(
            f'<g class="{kind}" data-element-id="{_attr(shape.element_id)}">'
            f"<title>{escape(name or shape.element_id)}</title>{''.join(parts)}</g>"
        )

    # -- flow nodes ----------------------------------------------------------------------------

    def _node(self, shape: Shape, node: FlowNode) -> None:
        bounds = shape.bounds
        if node.type in _EVENTS:
            kind, body = "bpmn-event", self._event(bounds, node)
        elif node.type in _GATEWAYS:
            kind, body = "bpmn-gateway", self._gateway(bounds, node)
        else:
            kind, body = "bpmn-activity", self._activity(bounds, node, self._is_open(shape))
        label = ""
        if kind != "bpmn-activity" and node.name:
            label = label_lines(node.name, shape.label, bounds, "bpmn-label bpmn-outside")
            self.canvas.cover_bounds(shape.label)
        self.canvas.cover_bounds(bounds)
        classes = " ".join(["bpmn-node", kind, *self.marks.classes(node.id)])
        self.canvas.parts.append(
            f'<g class="{classes}" data-element-id="{_attr(node.id)}">'
            f"<title>{escape(self._tooltip(node))}</title>"
            f"{body}{label}{self._badges(bounds, node.id)}</g>"
        )

    def _tooltip(self, node: FlowNode) -> str:
        text = f"{node.name} ({node.id})" if node.name else node.id
        counts = [
            f"{name} {count} times" if count > 1 else name
            for name in _MARK_CLASSES
            if (count := getattr(self.marks, name).get(node.id, 0)) > 0
        ]
        return f"{text}: {', '.join(counts)}" if counts else text

    def _badges(self, bounds: Bounds, element_id: str) -> str:
        badges = []
        active = self.marks.active.get(element_id, 0)
        if active > 1:
            badges.append(
                _badge(str(active), "bpmn-badge-active", bounds.x - 6, bounds.y + bounds.height - 8)
            )
        incidents = self.marks.incident.get(element_id, 0)
        if incidents:
            badges.append(
                _badge(
                    str(incidents),
                    "bpmn-badge-incident",
                    bounds.x + bounds.width - 10,
                    bounds.y - 8,
                )
            )
        return "".join(badges)

    def _event(self, bounds: Bounds, node: FlowNode) -> str:
        radius = min(bounds.width, bounds.height) / 2
        cx, cy = bounds.x + bounds.width / 2, bounds.y + bounds.height / 2
        style = {
            ElementType.START_EVENT: "bpmn-start",
            ElementType.END_EVENT: "bpmn-end",
        }.get(node.type, "bpmn-intermediate")
        dashed = (
            " bpmn-dashed"
            if not node.interrupting
            and node.type in (ElementType.START_EVENT, ElementType.BOUNDARY_EVENT)
            else ""
        )
        circle = (
            f'<circle class="bpmn-shape {style}{dashed}" cx="{_num(cx)}" cy="{_num(cy)}" '
            f'r="{_num(radius)}"/>'
        )
        if style == "bpmn-intermediate":
            circle += (
                f'<circle class="bpmn-inner{dashed}" cx="{_num(cx)}" cy="{_num(cy)}" '
                f'r="{_num(max(radius - 3, 1))}"/>'
            )
        marker = event_marker(node.event_kind, node.type in _THROWS)
        if marker:
            circle += _place(marker, cx, cy, radius / EVENT_RADIUS)
        return circle

    def _gateway(self, bounds: Bounds, node: FlowNode) -> str:
        cx, cy = bounds.x + bounds.width / 2, bounds.y + bounds.height / 2
        points = [
            (cx, bounds.y),
            (bounds.x + bounds.width, cy),
            (cx, bounds.y + bounds.height),
            (bounds.x, cy),
        ]
        text = " ".join(f"{_num(x)},{_num(y)}" for x, y in points)
        scale = min(bounds.width, bounds.height) / 2 / GATEWAY_HALF
        return f'<polygon class="bpmn-shape" points="{text}"/>' + _place(
            GATEWAY_MARKERS[node.type], cx, cy, scale
        )

    def _activity(self, bounds: Bounds, node: FlowNode, is_open: bool) -> str:
        classes = "bpmn-shape"
        if node.type is ElementType.EVENT_SUB_PROCESS:
            classes += " bpmn-dashed"
        elif node.type is ElementType.CALL_ACTIVITY:
            classes += " bpmn-call"
        parts = [_rect(bounds, classes, radius=10)]
        if is_open:
            parts.append(
                text_block(
                    node.name or "", bounds.x + 8, bounds.y + 16, bounds.width - 16, "bpmn-label"
                )
            )
        else:
            parts.append(
                text_block(
                    node.name or "",
                    bounds.x + bounds.width / 2,
                    bounds.y + bounds.height / 2,
                    bounds.width - 10,
                    "bpmn-label",
                    center=True,
                    max_height=bounds.height - 8,
                )
            )
        icon = TASK_ICONS.get(node.type)
        if icon:
            parts.append(_place(icon, bounds.x + 6, bounds.y + 5))
        parts.append(self._bottom_markers(bounds, node, is_open))
        return "".join(parts)

    def _bottom_markers(self, bounds: Bounds, node: FlowNode, is_open: bool) -> str:
        markers = []
        if node.multi_instance is not None:
            markers.append(
                MULTI_INSTANCE_SEQUENTIAL
                if node.multi_instance.sequential
                else MULTI_INSTANCE_PARALLEL
            )
        if node.is_scope and not is_open:
            markers.append(COLLAPSED)
        width = 14 * len(markers) + 4 * (len(markers) - 1)
        x = bounds.x + (bounds.width - width) / 2
        placed = []
        for marker in markers:
            placed.append(_place(marker, x, bounds.y + bounds.height - 18))
            x += 18
        return "".join(placed)

    # -- sequence flows ------------------------------------------------------------------------

    def _edge(self, edge: Edge) -> None:
        if len(edge.waypoints) < 2:
            return
        d = "M" + " L".join(f"{_num(p.x)} {_num(p.y)}" for p in edge.waypoints)
        for p in edge.waypoints:
            self.canvas.cover(p.x, p.y)
        flow = self.flows.get(edge.element_id)
        if flow is None:
            self._other_edge(edge, d)
            return
        taken = flow.id in self.marks.taken
        start = self._flow_start(flow)
        path = (
            f'<path class="bpmn-shape" d="{d}"'
            f' marker-end="url(#bpmn-arrow{"-taken" if taken else ""})"{start}/>'
        )
        label = ""
        if flow.name:
            label = label_lines(flow.name, edge.label, _midpoint(edge), "bpmn-label bpmn-outside")
            self.canvas.cover_bounds(edge.label)
        title = f"{flow.name} ({flow.id})" if flow.name else flow.id
        self.canvas.parts.append(
            f'<g class="bpmn-flow{" taken" if taken else ""}" data-element-id="{_attr(flow.id)}">'
            f'<title>{escape(title)}</title><path class="bpmn-hit" d="{d}"/>{path}{label}</g>'
        )

    def _other_edge(self, edge: Edge, d: str) -> None:
        """A message flow (or an association) between drawn shapes, drawn as a message flow;
        one that ends on something left out (an annotation) is left out too."""
        ends = (edge.waypoints[0], edge.waypoints[-1])
        if not all(any(self._ends_on(s, p) for s in self.drawn) for p in ends):
            return
        self.canvas.parts.append(
            f'<g class="bpmn-other" data-element-id="{_attr(edge.element_id)}">'
            f'<path class="bpmn-shape" d="{d}" marker-start="url(#bpmn-message-start)" '
            'marker-end="url(#bpmn-message-end)"/></g>'
        )

    def _ends_on(self, shape: Shape, point: Point) -> bool:
        """On a flow node, or on a pool's border (a pool holds everything drawn inside it)."""
        if shape.element_id in self.nodes:
            return _touches(shape.bounds, point)
        b, slack = shape.bounds, 3
        inner = Bounds(b.x + slack, b.y + slack, b.width - 2 * slack, b.height - 2 * slack)
        return _touches(b, point) and not _touches(inner, point, slack=0)

    def _flow_start(self, flow: SequenceFlow) -> str:
        source = self.nodes.get(flow.source)
        if source is None:
            return ""
        if source.default_flow == flow.id:
            return ' marker-start="url(#bpmn-default)"'
        if flow.condition is not None and source.type not in _GATEWAYS:
            return ' marker-start="url(#bpmn-conditional)"'
        return ""


def _is_frame(shape: Shape, participants: Mapping[str, str | None]) -> bool:
    """Pools and lanes: the only shapes besides flow nodes that carry an orientation."""
    return shape.is_horizontal is not None or shape.element_id in participants


def _touches(bounds: Bounds, point: Point, slack: float = 3) -> bool:
    return (
        bounds.x - slack <= point.x <= bounds.x + bounds.width + slack
        and bounds.y - slack <= point.y <= bounds.y + bounds.height + slack
    )


def _badge(text: str, cls: str, x: float, y: float) -> str:
    width = 8 + 7 * len(text)
    return (
        f'<g class="bpmn-badge {cls}"><rect x="{_num(x)}" y="{_num(y)}" width="{width}" '
        f'height="16" rx="8"/><text x="{_num(x + width / 2)}" y="{_num(y + 12)}">{text}</text></g>'
    )


def _midpoint(edge: Edge) -> Bounds:
    """Where a flow's name goes when the diagram gives no label bounds: its middle segment."""
    middle = len(edge.waypoints) // 2
    a, b = edge.waypoints[middle - 1], edge.waypoints[middle]
    return Bounds((a.x + b.x) / 2 + 4, (a.y + b.y) / 2 - 18, 0, 0)


_DEFS = (
    "<defs>"
    '<marker id="bpmn-arrow" class="bpmn-arrow" viewBox="0 0 11 10" refX="11" refY="5" '
    'markerWidth="11" markerHeight="10" markerUnits="userSpaceOnUse" orient="auto">'
    '<path d="M0 0 L11 5 L0 10 Z"/></marker>'
    '<marker id="bpmn-arrow-taken" class="bpmn-arrow bpmn-taken" viewBox="0 0 11 10" '
    'refX="11" refY="5" markerWidth="11" markerHeight="10" markerUnits="userSpaceOnUse" '
    'orient="auto"><path d="M0 0 L11 5 L0 10 Z"/></marker>'
    '<marker id="bpmn-default" class="bpmn-start-mark" viewBox="0 -10 20 20" refX="0" '
    'refY="0" markerWidth="20" markerHeight="20" markerUnits="userSpaceOnUse" orient="auto">'
    '<path d="M7 -6 L13 6"/></marker>'
    '<marker id="bpmn-conditional" class="bpmn-start-mark" viewBox="0 -10 20 20" refX="0" '
    'refY="0" markerWidth="20" markerHeight="20" markerUnits="userSpaceOnUse" orient="auto">'
    '<path d="M0 0 L8 -5 L16 0 L8 5 Z"/></marker>'
    '<marker id="bpmn-message-start" class="bpmn-start-mark" viewBox="-5 -5 10 10" refX="0" '
    'refY="0" markerWidth="10" markerHeight="10" markerUnits="userSpaceOnUse">'
    '<circle cx="0" cy="0" r="4"/></marker>'
    '<marker id="bpmn-message-end" class="bpmn-start-mark" viewBox="0 0 11 10" refX="11" '
    'refY="5" markerWidth="11" markerHeight="10" markerUnits="userSpaceOnUse" orient="auto">'
    '<path d="M0 0 L11 5 L0 10 Z"/></marker>'
    "</defs>"
)


def plane_of(definitions: Definitions, process: Process) -> Plane | None:
    """The plane that draws a process's top level (a collaboration's plane draws several)."""
    top = set(process.children.get(process.id, ()))
    pools = {p.id for p in definitions.participants if p.process_id == process.id}
    for wanted in (top | pools, set(process.elements)):
        for plane in definitions.diagram.planes:
            if plane.element_id == process.id or wanted & set(plane.shapes):
                return plane
    return None


def render_process(
    definitions: Definitions, process_id: str, *, marks: Marks | None = None
) -> Markup | None:
    """The process as an ``<svg>`` that scales to its container, or ``None`` when the file has
    no diagram for it (show ``element_list`` then).

    Args:
        definitions: The parsed file.
        process_id: The BPMN process id (``KeyError`` when the file has none).
        marks: What an instance did, drawn as classes and badges; ``None``: the bare model.
    """
    process = definitions.process(process_id)
    plane = plane_of(definitions, process)
    if plane is None:
        return None
    renderer = _Renderer(definitions, plane, marks or Marks())
    renderer.draw()
    canvas = renderer.canvas
    if canvas.left == float("inf"):
        return None
    x, y = canvas.left - MARGIN, canvas.top - MARGIN
    width, height = canvas.right - canvas.left + 2 * MARGIN, canvas.bottom - canvas.top + 2 * MARGIN
    name = process.name or process.id
    wide = " bpmn-wide" if width > WIDE else ""
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="bpmn-diagram{wide}" role="img" '
        f'viewBox="{_num(x)} {_num(y)} {_num(width)} {_num(height)}" '
        f'width="{_num(width)}" height="{_num(height)}" data-process-id="{_attr(process.id)}">'
        f"<title>{escape(name)}</title>{_DEFS}{''.join(canvas.parts)}</svg>"
    )


def element_list(process: Process) -> list[ListedElement]:
    """Every flow node in the order a reader follows the flow: from the start events along
    the sequence flows, boundary events after their activity, a sub-process's contents right
    after it, event sub-processes last; whatever no flow reaches follows in document order."""
    seen: dict[str, None] = {}

    def walk(scope: str) -> None:
        nodes = [process.elements[i] for i in process.children.get(scope, ())]
        starts = [n for n in nodes if n.type is ElementType.START_EVENT]
        starts.sort(key=lambda n: n.event_kind is not EventKind.NONE)
        follow([n.id for n in starts])
        follow([n.id for n in nodes if n.type is ElementType.EVENT_SUB_PROCESS])

    def follow(first: list[str]) -> None:
        queue = deque(first)
        while queue:
            node = process.elements[queue.popleft()]
            if node.id in seen:
                continue
            seen[node.id] = None
            if node.is_scope:
                walk(node.id)
            queue.extendleft(reversed([b.id for b in process.boundary_events(node.id)]))
            queue.extend(
                f.target for f in process.outgoing(node.id) if f.target in process.elements
            )

    walk(process.id)
    for element_id in process.elements:
        if element_id not in seen:
            seen[element_id] = None
            if process.elements[element_id].is_scope:
                walk(element_id)
    return [ListedElement(n.id, n.name or "", n.type) for n in (process.elements[i] for i in seen)]
