"""The small pictures inside BPMN shapes, as SVG fragments in local coordinates.

Kept apart from the layout code because they are pure drawing data. Event markers are drawn
for a circle of radius ``EVENT_RADIUS`` centred on the origin and scaled to the real one; task
icons sit in a box of ``ICON_SIZE`` with its corner at the origin.
"""

from __future__ import annotations

import math

from sdk.bpmn import ElementType, EventKind

EVENT_RADIUS = 18.0
ICON_SIZE = 16.0


def _num(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _points(points: list[tuple[float, float]]) -> str:
    return " ".join(f"{_num(x)},{_num(y)}" for x, y in points)


def _gear() -> str:
    teeth = []
    for i in range(32):
        radius = 7.6 if i % 4 in (0, 1) else 5.4
        angle = (i - 0.5) * math.pi / 16
        teeth.append((8 + radius * math.cos(angle), 8 + radius * math.sin(angle)))
    return (
        f'<polygon class="bpmn-icon" points="{_points(teeth)}"/>'
        '<circle class="bpmn-icon" cx="8" cy="8" r="2.4"/>'
    )


_ENVELOPE = '<rect class="bpmn-icon{fill}" x="0" y="3" width="16" height="11"/>' + (
    '<polyline class="bpmn-icon{flap}" points="0,3 8,9.5 16,3"/>'
)

TASK_ICONS: dict[ElementType, str] = {
    ElementType.SERVICE_TASK: _gear(),
    ElementType.USER_TASK: (
        '<circle class="bpmn-icon" cx="8" cy="4.5" r="3.5"/>'
        '<path class="bpmn-icon" d="M1.5 15.5 C1.5 8.5 14.5 8.5 14.5 15.5 Z"/>'
    ),
    ElementType.SCRIPT_TASK: (
        '<path class="bpmn-icon" d="M4 1 H14 C11 5 16 10 12 15 H2 C6 10 1 5 4 1 Z"/>'
        '<path class="bpmn-icon-line" d="M5 5 H11 M6 8 H12 M5 11 H11"/>'
    ),
    ElementType.SEND_TASK: _ENVELOPE.format(fill=" bpmn-filled", flap=" bpmn-flap"),
    ElementType.RECEIVE_TASK: _ENVELOPE.format(fill="", flap=""),
    ElementType.BUSINESS_RULE_TASK: (
        '<rect class="bpmn-icon" x="0" y="2" width="16" height="12"/>'
        '<rect class="bpmn-icon bpmn-filled" x="0" y="2" width="16" height="3.5"/>'
        '<path class="bpmn-icon-line" d="M0 9.5 H16 M5 5.5 V14"/>'
    ),
    ElementType.MANUAL_TASK: (
        '<path class="bpmn-icon" d="M1 7 L5 3 H8 L7 5 H15 V7 H10 M10 7 H15.5 V9.3 H10 '
        'M10 9.3 H15 V11.6 H10 M10 11.6 H14 V14 H3 L1 12 Z"/>'
    ),
}
"""The icon in a task's top left corner, by task type (plain tasks have none)."""


def _envelope_marker(filled: bool) -> str:
    fill, flap = (" bpmn-filled", " bpmn-flap") if filled else ("", "")
    return (
        f'<rect class="bpmn-icon{fill}" x="-9" y="-6.5" width="18" height="13"/>'
        f'<polyline class="bpmn-icon{flap}" points="-9,-6.5 0,0.5 9,-6.5"/>'
    )


def _timer_marker() -> str:
    ticks = " ".join(
        f"M{_num(8.5 * math.cos(a))} {_num(8.5 * math.sin(a))} "
        f"L{_num(10.5 * math.cos(a))} {_num(10.5 * math.sin(a))}"
        for a in (i * math.pi / 6 for i in range(12))
    )
    return (
        '<circle class="bpmn-icon" cx="0" cy="0" r="11.5"/>'
        f'<path class="bpmn-icon-line" d="{ticks} M0 0 L0 -7.5 M0 0 L5 2"/>'
    )


_POLYGONS: dict[EventKind, list[tuple[float, float]]] = {
    EventKind.ERROR: [(-9, 9), (-3.5, -8), (3, 3), (9, -9), (3.5, 8), (-3, -3)],
    EventKind.ESCALATION: [(0, -10), (7.5, 9), (0, 1.5), (-7.5, 9)],
    EventKind.SIGNAL: [(0, -10.5), (9.5, 6.5), (-9.5, 6.5)],
    EventKind.LINK: [(-9, -3.5), (2, -3.5), (2, -9), (10, 0), (2, 9), (2, 3.5), (-9, 3.5)],
}


def event_marker(kind: EventKind, filled: bool) -> str:
    """The marker of an event kind (empty for the none event); ``filled`` for throw events."""
    fill = " bpmn-filled" if filled else ""
    if kind is EventKind.MESSAGE:
        return _envelope_marker(filled)
    if kind is EventKind.TIMER:
        return _timer_marker()
    if kind is EventKind.TERMINATE:
        return '<circle class="bpmn-icon bpmn-filled" cx="0" cy="0" r="11"/>'
    points = _POLYGONS.get(kind)
    if points is None:
        return ""
    return f'<polygon class="bpmn-icon{fill}" points="{_points(points)}"/>'


GATEWAY_MARKERS: dict[ElementType, str] = {
    ElementType.EXCLUSIVE_GATEWAY: (
        '<path class="bpmn-gateway-mark" d="M-7 -9 L7 9 M7 -9 L-7 9"/>'
    ),
    ElementType.PARALLEL_GATEWAY: '<path class="bpmn-gateway-mark" d="M0 -11 V11 M-11 0 H11"/>',
    ElementType.INCLUSIVE_GATEWAY: '<circle class="bpmn-gateway-ring" cx="0" cy="0" r="10"/>',
    ElementType.EVENT_BASED_GATEWAY: (
        '<circle class="bpmn-icon" cx="0" cy="0" r="11"/>'
        '<circle class="bpmn-icon" cx="0" cy="0" r="8.5"/>'
        '<polygon class="bpmn-icon" points="0,-6 5.7,-1.9 3.5,4.9 -3.5,4.9 -5.7,-1.9"/>'
    ),
}
"""A gateway's marker for a diamond of half-width 25 centred on the origin."""

MULTI_INSTANCE_PARALLEL = '<path class="bpmn-icon-line" d="M2 0 V12 M6 0 V12 M10 0 V12"/>'
MULTI_INSTANCE_SEQUENTIAL = '<path class="bpmn-icon-line" d="M0 2 H12 M0 6 H12 M0 10 H12"/>'
COLLAPSED = (
    '<rect class="bpmn-icon" x="0" y="0" width="14" height="14"/>'
    '<path class="bpmn-icon-line" d="M7 3 V11 M3 7 H11"/>'
)
"""The ``[+]`` of a collapsed sub-process, 14 units square."""
