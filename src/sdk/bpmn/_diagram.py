"""The diagram interchange (``bpmndi``) of a model: where each shape and edge is drawn.

The dashboard draws a process from these; a file without ``bpmndi`` has an empty diagram.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from xml.etree.ElementTree import Element

from ._xml import BPMNDI_NS, DC_NS, DI_NS


@dataclass(frozen=True)
class Bounds:
    """A rectangle in diagram coordinates (pixels, origin top left)."""

    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Point:
    """A waypoint of an edge."""

    x: float
    y: float


@dataclass(frozen=True)
class Shape:
    """How one element (flow node, pool, lane, annotation) is drawn.

    Attributes:
        element_id: The id of the element the shape draws.
        bounds: Where it is drawn.
        is_expanded: For a sub-process: drawn open (``True``) or collapsed; ``None`` unsaid.
        is_horizontal: For a pool or lane: its orientation; ``None`` unsaid.
        label: Where its label is drawn, when the diagram says.
    """

    element_id: str
    bounds: Bounds
    is_expanded: bool | None = None
    is_horizontal: bool | None = None
    label: Bounds | None = None


@dataclass(frozen=True)
class Edge:
    """How one sequence flow (or message flow, association) is drawn.

    Attributes:
        element_id: The id of the flow the edge draws.
        waypoints: The polyline, from source to target.
        label: Where its label is drawn, when the diagram says.
    """

    element_id: str
    waypoints: tuple[Point, ...]
    label: Bounds | None = None


@dataclass(frozen=True)
class Plane:
    """One drawing surface: the process or collaboration, or a collapsed sub-process drawn on
    its own page (Camunda Modeler does this).

    Attributes:
        element_id: The process, collaboration or sub-process the plane draws.
        shapes: The shapes on it, by element id.
        edges: The edges on it, by element id.
    """

    element_id: str
    shapes: Mapping[str, Shape] = field(default_factory=lambda: MappingProxyType({}))
    edges: Mapping[str, Edge] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class Diagram:
    """Every plane of the file, and their shapes and edges together by element id.

    Attributes:
        planes: The planes in document order (the main one first).
        shapes: Every shape of every plane, by element id.
        edges: Every edge of every plane, by element id.
    """

    planes: tuple[Plane, ...] = ()
    shapes: Mapping[str, Shape] = field(default_factory=lambda: MappingProxyType({}))
    edges: Mapping[str, Edge] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def is_empty(self) -> bool:
        """No shape at all: draw the process some other way (an ordered list)."""
        return not self.shapes


def _float(element: Element, name: str) -> float:
    try:
        return float(element.get(name, "0"))
    except ValueError:
        return 0.0


def _bool(value: str | None) -> bool | None:
    return None if value is None else value.strip().lower() == "true"


def _bounds(parent: Element | None) -> Bounds | None:
    found = parent.find(f"{{{DC_NS}}}Bounds") if parent is not None else None
    if found is None:
        return None
    return Bounds(
        _float(found, "x"), _float(found, "y"), _float(found, "width"), _float(found, "height")
    )


def _label(element: Element) -> Bounds | None:
    return _bounds(element.find(f"{{{BPMNDI_NS}}}BPMNLabel"))


def _plane(plane: Element) -> Plane:
    shapes: dict[str, Shape] = {}
    edges: dict[str, Edge] = {}
    for shape in plane.iter(f"{{{BPMNDI_NS}}}BPMNShape"):
        element_id, bounds = shape.get("bpmnElement"), _bounds(shape)
        if element_id and bounds is not None:
            shapes[element_id] = Shape(
                element_id=element_id,
                bounds=bounds,
                is_expanded=_bool(shape.get("isExpanded")),
                is_horizontal=_bool(shape.get("isHorizontal")),
                label=_label(shape),
            )
    for edge in plane.iter(f"{{{BPMNDI_NS}}}BPMNEdge"):
        element_id = edge.get("bpmnElement")
        if element_id:
            points = tuple(
                Point(_float(p, "x"), _float(p, "y")) for p in edge.iter(f"{{{DI_NS}}}waypoint")
            )
            edges[element_id] = Edge(element_id=element_id, waypoints=points, label=_label(edge))
    return Plane(
        element_id=plane.get("bpmnElement", ""),
        shapes=MappingProxyType(shapes),
        edges=MappingProxyType(edges),
    )


def read_diagram(definitions: Element) -> Diagram:
    """The diagram of a ``definitions`` element (empty when it has no ``BPMNDiagram``)."""
    planes = tuple(
        _plane(plane)
        for diagram in definitions.findall(f"{{{BPMNDI_NS}}}BPMNDiagram")
        for plane in diagram.findall(f"{{{BPMNDI_NS}}}BPMNPlane")
    )
    shapes: dict[str, Shape] = {}
    edges: dict[str, Edge] = {}
    for plane in planes:
        shapes.update(plane.shapes)
        edges.update(plane.edges)
    return Diagram(planes=planes, shapes=MappingProxyType(shapes), edges=MappingProxyType(edges))
