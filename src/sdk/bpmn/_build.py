"""From the XML tree to the immutable model: walks processes and their scopes, refuses the
element kinds the engine does not run, and records every problem on the way.

Only executable processes are checked: Zeebe ignores what non-executable pools contain, since
nothing of theirs ever runs.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from types import MappingProxyType
from typing import Any
from xml.etree.ElementTree import Element

from ._activities import ActivityReader
from ._diagram import read_diagram
from ._events import EventReader, RootElements
from ._model import (
    Definitions,
    ElementType,
    EventKind,
    FlowNode,
    Participant,
    Process,
    SequenceFlow,
)
from ._reader import CheckExpression, Owner, Reader, bpmn_children, extensions, flag, text_of
from ._xml import BPMN_NS, bpmn

_ACTIVITIES = {
    "task": ElementType.TASK,
    "manualTask": ElementType.MANUAL_TASK,
    "serviceTask": ElementType.SERVICE_TASK,
    "sendTask": ElementType.SEND_TASK,
    "businessRuleTask": ElementType.BUSINESS_RULE_TASK,
    "scriptTask": ElementType.SCRIPT_TASK,
    "receiveTask": ElementType.RECEIVE_TASK,
    "userTask": ElementType.USER_TASK,
    "callActivity": ElementType.CALL_ACTIVITY,
    "subProcess": ElementType.SUB_PROCESS,
}
_EVENTS = {
    "startEvent": ElementType.START_EVENT,
    "endEvent": ElementType.END_EVENT,
    "intermediateCatchEvent": ElementType.INTERMEDIATE_CATCH_EVENT,
    "intermediateThrowEvent": ElementType.INTERMEDIATE_THROW_EVENT,
    "boundaryEvent": ElementType.BOUNDARY_EVENT,
}
_GATEWAYS = {
    "exclusiveGateway": ElementType.EXCLUSIVE_GATEWAY,
    "parallelGateway": ElementType.PARALLEL_GATEWAY,
    "inclusiveGateway": ElementType.INCLUSIVE_GATEWAY,
    "eventBasedGateway": ElementType.EVENT_BASED_GATEWAY,
}
REFUSED_ELEMENTS = {
    "complexGateway": "complex gateways are not supported",
    "transaction": "transactions are not supported",
    "adHocSubProcess": "ad-hoc sub-processes are not supported",
    "callChoreography": "choreographies are not supported",
    "subChoreography": "choreographies are not supported",
    "choreographyTask": "choreographies are not supported",
    "implicitThrowEvent": "implicit throw events are not supported",
}
"""Flow elements refused at deployment, with the reason."""

IGNORED_ELEMENTS = frozenset(
    {
        "documentation",
        "extensionElements",
        "laneSet",
        "textAnnotation",
        "association",
        "group",
        "dataObject",
        "dataObjectReference",
        "dataStoreReference",
        "ioSpecification",
        "property",
        "auditing",
        "monitoring",
        "incoming",
        "outgoing",
        "multiInstanceLoopCharacteristics",
        "standardLoopCharacteristics",
        "dataInputAssociation",
        "dataOutputAssociation",
    }
)
"""Children of a process or sub-process that do not run, and are skipped as Zeebe skips them."""

_WITHOUT_LISTENERS_SUPPORT = "execution listeners (zeebe:executionListeners) are not supported"


class _Scope:
    """What one process's walk collects."""

    def __init__(self) -> None:
        self.nodes: dict[str, FlowNode] = {}
        self.flows: dict[str, SequenceFlow] = {}
        self.children: dict[str, list[str]] = {}


class Builder:
    """Builds ``Definitions`` from a parsed ``definitions`` element."""

    def __init__(self, check_expression: CheckExpression | None) -> None:
        self.reader = Reader(check_expression)

    def build(self, root: Element) -> Definitions:
        """The model of ``root``; problems accumulate in ``self.reader.problems``."""
        self._duplicate_ids(root)
        roots = RootElements(root, self.reader)
        processes: list[Process] = []
        participants: list[Participant] = []
        for local, child in bpmn_children(root):
            if local == "process":
                processes.append(self._process(child, roots))
            elif local == "collaboration":
                participants.extend(
                    Participant(p.get("id", ""), p.get("name"), p.get("processRef"))
                    for p in child.findall(bpmn("participant"))
                )
        if not any(p.executable for p in processes):
            self.reader.problem(
                (root.get("id"), "definitions"), "Must contain at least one executable process"
            )
        return Definitions(
            id=root.get("id"),
            processes=tuple(processes),
            participants=tuple(participants),
            messages=MappingProxyType(roots.messages),
            errors=MappingProxyType(roots.errors),
            escalations=MappingProxyType(roots.escalations),
            signals=MappingProxyType(roots.signals),
            diagram=read_diagram(root),
        )

    def _duplicate_ids(self, root: Element) -> None:
        seen: Counter[str] = Counter()
        types: dict[str, str] = {}
        for element in root.iter():
            if not isinstance(element.tag, str) or not element.tag.startswith(f"{{{BPMN_NS}}}"):
                continue
            element_id = element.get("id")
            if element_id is not None:
                seen[element_id] += 1
                types.setdefault(element_id, element.tag.rpartition("}")[2])
        for element_id, count in seen.items():
            if count > 1:
                self.reader.problem(
                    (element_id, types[element_id]),
                    f"the id '{element_id}' is used by {count} elements; ids must be unique",
                )

    def _process(self, element: Element, roots: RootElements) -> Process:
        process_id = element.get("id", "")
        executable = flag(element.get("isExecutable"), False)
        kept = self.reader
        if not executable:  # read, but not checked: it is never deployed
            self.reader = Reader(None)
        try:
            if not process_id:
                self.reader.problem((None, "process"), "a process must have an id")
            scope = _Scope()
            walker = _Walker(self.reader, roots, scope)
            walker.walk(element, process_id)
            version = extensions(element).get("versionTag", [])
            return _assemble(
                scope,
                process_id=process_id,
                name=element.get("name"),
                executable=executable,
                version_tag=version[0].get("value") if version else None,
            )
        finally:
            self.reader = kept


class _Walker:
    """Walks the flow elements of a process, one scope at a time."""

    def __init__(self, reader: Reader, roots: RootElements, scope: _Scope) -> None:
        self._reader = reader
        self._scope = scope
        self._events = EventReader(reader, roots)
        self._activities = ActivityReader(reader, roots.messages)

    def walk(self, container: Element, scope_id: str) -> None:
        children = self._scope.children.setdefault(scope_id, [])
        for local, child in bpmn_children(container):
            if local == "sequenceFlow":
                self._flow(child, scope_id)
            elif local in _ACTIVITIES or local in _EVENTS or local in _GATEWAYS:
                node = self._node(child, local, scope_id)
                if node is not None:
                    self._scope.nodes.setdefault(node.id, node)
                    children.append(node.id)
                    if node.is_scope:
                        self.walk(child, node.id)
            elif local in REFUSED_ELEMENTS:
                self._reader.problem((child.get("id"), local), REFUSED_ELEMENTS[local])
            elif local not in IGNORED_ELEMENTS:
                self._reader.problem(
                    (child.get("id"), local),
                    f"Elements of type '{local}' are currently not supported",
                )

    def _flow(self, element: Element, scope_id: str) -> None:
        flow_id = element.get("id")
        owner: Owner = (flow_id, "sequenceFlow")
        if not flow_id:
            self._reader.problem(owner, "a sequence flow must have an id")
            return
        condition_element = element.find(bpmn("conditionExpression"))
        condition = None
        if condition_element is not None:
            condition = self._reader.expression(text_of(condition_element), owner, "condition")
        self._scope.flows.setdefault(
            flow_id,
            SequenceFlow(
                id=flow_id,
                source=(element.get("sourceRef") or "").strip(),
                target=(element.get("targetRef") or "").strip(),
                name=element.get("name"),
                condition=condition,
                scope=scope_id,
            ),
        )

    def _node(self, element: Element, local: str, scope_id: str) -> FlowNode | None:
        node_id = element.get("id")
        owner: Owner = (node_id, local)
        if not node_id:
            self._reader.problem(owner, "a flow node must have an id")
            return None
        ext = extensions(element)
        if "executionListeners" in ext:
            self._reader.problem(owner, _WITHOUT_LISTENERS_SUPPORT)
        parts: dict[str, Any] = {}
        element_type = _ACTIVITIES.get(local) or _EVENTS.get(local) or _GATEWAYS[local]
        if local in _ACTIVITIES:
            parts = self._activities.parts(element, local, owner, ext)
            if local == "subProcess" and flag(element.get("triggeredByEvent"), False):
                element_type = ElementType.EVENT_SUB_PROCESS
        elif local in _EVENTS:
            parts = self._event_parts(element, local, owner, ext)
        elif element.get("default"):
            parts["default_flow"] = element.get("default")
        properties = {
            p.get("name", ""): p.get("value", "")
            for holder in ext.get("properties", [])
            for p in holder
        }
        return FlowNode(
            id=node_id,
            type=element_type,
            bpmn_type=local,
            scope=scope_id,
            name=element.get("name"),
            properties=MappingProxyType(properties),
            **parts,
        )

    def _event_parts(self, element: Element, local: str, owner: Owner, ext: Any) -> dict[str, Any]:
        event = self._events.definition(element, owner)
        parts: dict[str, Any] = {"event": event, "io": self._activities.io_mapping(ext, owner)}
        if local == "boundaryEvent":
            parts["attached_to"] = (element.get("attachedToRef") or "").strip() or None
            parts["interrupting"] = flag(element.get("cancelActivity"), True)
        elif local == "startEvent":
            parts["interrupting"] = flag(element.get("isInterrupting"), True)
        throws = local in ("intermediateThrowEvent", "endEvent")
        if throws and event is not None and event.kind is EventKind.MESSAGE:
            parts["job"] = self._message_throw_job(ext, owner)
        return parts

    def _message_throw_job(self, ext: Any, owner: Owner) -> Any:
        if "publishMessage" in ext:
            self._reader.problem(
                owner,
                "zeebe:publishMessage is not supported: send the message from a job worker"
                " (zeebe:taskDefinition)",
            )
            return None
        job = self._activities.job(ext, owner)
        if job is None:
            self._reader.problem(
                owner,
                "Must have either one 'zeebe:publishMessage' or one 'zeebe:taskDefinition'"
                " extension element",
            )
        return job


def _assemble(scope: _Scope, **fields: Any) -> Process:
    """The process, each node given the flows that enter and leave it."""
    incoming: dict[str, list[str]] = {}
    outgoing: dict[str, list[str]] = {}
    for flow in scope.flows.values():
        if flow.source in scope.nodes and flow.target in scope.nodes:
            outgoing.setdefault(flow.source, []).append(flow.id)
            incoming.setdefault(flow.target, []).append(flow.id)
    nodes = {
        node_id: dataclasses.replace(
            node,
            incoming=tuple(incoming.get(node_id, ())),
            outgoing=tuple(outgoing.get(node_id, ())),
        )
        for node_id, node in scope.nodes.items()
    }
    boundaries: dict[str, list[str]] = {}
    for node in nodes.values():
        if node.attached_to is not None:
            boundaries.setdefault(node.attached_to, []).append(node.id)
    return Process(
        id=fields["process_id"],
        name=fields["name"],
        executable=fields["executable"],
        version_tag=fields["version_tag"],
        elements=MappingProxyType(nodes),
        flows=MappingProxyType(dict(scope.flows)),
        children=MappingProxyType({k: tuple(v) for k, v in scope.children.items()}),
        _boundaries=MappingProxyType({k: tuple(v) for k, v in boundaries.items()}),
    )
