"""Tokens through gateways: which flows a splitting gateway takes, and when a join fires."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ...bpmn import ElementType, FlowNode, Process, SequenceFlow
from ._expressions import expect
from ._incidents import CONDITION_ERROR, NO_OUTGOING_FLOW_CHOSEN, Failure


def _holds(flow: SequenceFlow, variables: Mapping[str, Any], now: int) -> bool:
    if flow.condition is None:
        return True
    return bool(expect(flow.condition, "BOOLEAN", variables, now, CONDITION_ERROR))


def choose(
    process: Process, node: FlowNode, variables: Mapping[str, Any], now: int
) -> list[SequenceFlow]:
    """The flows an exclusive (first true condition, in order) or inclusive (every true one)
    gateway takes, else its default; neither raises Zeebe's CONDITION_ERROR."""
    flows = process.outgoing(node.id)
    if node.type is ElementType.EXCLUSIVE_GATEWAY and len(flows) == 1 and not flows[0].condition:
        return list(flows)
    chosen: list[SequenceFlow] = []
    for flow in flows:
        if flow.id == node.default_flow:
            continue
        if _holds(flow, variables, now):
            chosen.append(flow)
            if node.type is ElementType.EXCLUSIVE_GATEWAY:
                break
    if not chosen and node.default_flow is not None:
        chosen.append(process.flow(node.default_flow))
    if not chosen:
        raise Failure(CONDITION_ERROR, NO_OUTGOING_FLOW_CHOSEN)
    return chosen


def is_join(node: FlowNode) -> bool:
    """A parallel or inclusive gateway with several incoming flows waits for tokens."""
    return (
        node.type in (ElementType.PARALLEL_GATEWAY, ElementType.INCLUSIVE_GATEWAY)
        and len(node.incoming) > 1
    )


def parallel_ready(node: FlowNode, taken: list[str]) -> bool:
    """A parallel join fires once every incoming flow brought a token."""
    return all(flow in taken for flow in node.incoming)


def inclusive_ready(
    process: Process, node: FlowNode, taken: list[str], live: Iterable[str]
) -> bool:
    """An inclusive join fires when no flow it still lacks can be reached from an element
    that is still live (or a token in transit) in its scope."""
    missing = [f for f in node.incoming if f not in taken]
    if not missing:
        return True
    sources = {process.flow(f).source for f in missing}
    return not any(_reaches(process, start, sources, node.id) for start in live)


def _reaches(process: Process, start: str, targets: set[str], stop: str) -> bool:
    seen: set[str] = set()
    todo = [start]
    while todo:
        current = todo.pop()
        if current in targets:
            return True
        if current in seen or current == stop or current not in process.elements:
            continue
        seen.add(current)
        todo.extend(process.flow(f).target for f in process.elements[current].outgoing)
        todo.extend(b.id for b in process.boundary_events(current))
    return False


def consume(node: FlowNode, taken: list[str]) -> int:
    """Remove one token per incoming flow from ``taken``; how many were consumed."""
    consumed = 0
    for flow in node.incoming:
        if flow in taken:
            taken.remove(flow)
            consumed += 1
    return consumed
