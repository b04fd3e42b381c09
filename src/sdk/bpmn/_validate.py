"""Zeebe's structural rules over a built model: start events, end events, boundary events,
gateways and their flows, event sub-processes, messages, links.

Each rule records a ``Problem`` naming the element; nothing stops at the first one, so a user
sees every reason at once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable

from ._errors import Problem
from ._model import (
    Definitions,
    ElementType,
    EventKind,
    Expr,
    FlowNode,
    Message,
    Process,
    TimerKind,
)

_NON_INTERRUPTING = frozenset(
    {EventKind.MESSAGE, EventKind.TIMER, EventKind.SIGNAL, EventKind.ESCALATION}
)
_PROCESS_STARTS = frozenset({EventKind.NONE, EventKind.MESSAGE, EventKind.TIMER, EventKind.SIGNAL})
_EVENT_SUB_PROCESS_STARTS = frozenset(
    {EventKind.MESSAGE, EventKind.TIMER, EventKind.ERROR, EventKind.SIGNAL, EventKind.ESCALATION}
)
_END_KINDS = frozenset(
    {
        EventKind.NONE,
        EventKind.ERROR,
        EventKind.MESSAGE,
        EventKind.TERMINATE,
        EventKind.SIGNAL,
        EventKind.ESCALATION,
    }
)
_CATCH_KINDS = frozenset({EventKind.MESSAGE, EventKind.TIMER, EventKind.SIGNAL, EventKind.LINK})
_THROW_KINDS = frozenset(
    {EventKind.NONE, EventKind.MESSAGE, EventKind.ESCALATION, EventKind.SIGNAL, EventKind.LINK}
)
_BOUNDARY_KINDS = frozenset(
    {EventKind.TIMER, EventKind.MESSAGE, EventKind.ERROR, EventKind.SIGNAL, EventKind.ESCALATION}
)
_GATEWAY_TARGETS = frozenset({EventKind.MESSAGE, EventKind.TIMER, EventKind.SIGNAL})


class Validator:
    """Checks one executable process of ``definitions``."""

    def __init__(self, definitions: Definitions, process: Process) -> None:
        self.problems: list[Problem] = []
        self._definitions = definitions
        self._process = process
        self._rules: dict[ElementType, Callable[[FlowNode], None]] = {
            ElementType.START_EVENT: self._start_event,
            ElementType.END_EVENT: self._end_event,
            ElementType.INTERMEDIATE_CATCH_EVENT: self._catch_event,
            ElementType.INTERMEDIATE_THROW_EVENT: self._throw_event,
            ElementType.BOUNDARY_EVENT: self._boundary_event,
            ElementType.EXCLUSIVE_GATEWAY: self._conditional_gateway,
            ElementType.INCLUSIVE_GATEWAY: self._conditional_gateway,
            ElementType.EVENT_BASED_GATEWAY: self._event_based_gateway,
            ElementType.SUB_PROCESS: self._sub_process,
            ElementType.EVENT_SUB_PROCESS: self._event_sub_process,
            ElementType.RECEIVE_TASK: self._receive_task,
        }

    def run(self) -> list[Problem]:
        process = self._process
        self._process_starts()
        for flow in process.flows.values():
            self._flow(flow.id)
        for node in process.elements.values():
            rule = self._rules.get(node.type)
            if rule is not None:
                rule(node)
            self._conditions_only_at_gateways(node)
            if node.is_activity:
                self._no_duplicate_catches(
                    node, process.boundary_events(node.id), "boundary events"
                )
        for scope_id in process.children:
            self._links(scope_id)
            starts = [
                n
                for esp in process.event_sub_processes(scope_id)
                for n in process.start_events(esp.id)
            ]
            self._no_duplicate_catches(self._scope_owner(scope_id), starts, "event sub-processes")
        return self.problems

    # -- helpers ---------------------------------------------------------------------------

    def _add(self, node: FlowNode, message: str) -> None:
        self.problems.append(Problem(node.id, node.bpmn_type, message))

    def _add_to(self, element_id: str | None, element_type: str, message: str) -> None:
        self.problems.append(Problem(element_id, element_type, message))

    def _scope_owner(self, scope_id: str) -> FlowNode:
        if scope_id in self._process.elements:
            return self._process.elements[scope_id]
        return FlowNode(id=scope_id, type=ElementType.SUB_PROCESS, bpmn_type="process", scope="")

    def _message_to_catch(self, node: FlowNode, message: Message | None) -> None:
        """A message that a subscription waits for: a name and a correlation-key expression."""
        if message is None:
            self._add(node, "Must reference a message")
            return
        if message.name is None or (isinstance(message.name, str) and not message.name.strip()):
            self._add_to(message.id, "message", "Name must be present and not empty")
        if message.correlation_key is None:
            self._add_to(
                message.id,
                "message",
                "Must have exactly one zeebe:subscription extension element"
                " with a correlationKey (the catch event or receive task needs one)",
            )
        elif not isinstance(message.correlation_key, Expr):
            key = message.correlation_key
            self._add_to(
                message.id,
                "message",
                f"correlationKey: expected an expression but found the static value '{key}'."
                f" An expression must start with '=' (e.g. '={key}').",
            )

    def _interrupting_rules(self, node: FlowNode) -> None:
        kind = node.event_kind
        if not node.interrupting and kind not in _NON_INTERRUPTING:
            self._add(node, "Non-Interrupting event of this type is not allowed")
        timer = node.event.timer if node.event is not None else None
        if node.interrupting and timer is not None and timer.kind is TimerKind.CYCLE:
            self._add(node, "Interrupting timer event with time cycle is not allowed.")

    # -- processes and scopes --------------------------------------------------------------

    def _process_starts(self) -> None:
        process = self._process
        starts = process.start_events()
        owner = (process.id, "process")
        if not starts:
            self._add_to(*owner, "Must have at least one start event")
        if len([s for s in starts if s.event_kind is EventKind.NONE]) > 1:
            self._add_to(*owner, "Multiple none start events are not allowed")
        names = Counter(
            s.event.message.name
            for s in starts
            if s.event is not None
            and s.event.message is not None
            and isinstance(s.event.message.name, str)
        )
        for name, count in names.items():
            if count > 1:
                self._add_to(
                    *owner,
                    f"Multiple message event definitions with the same name '{name}'"
                    " are not allowed.",
                )

    def _start_event(self, node: FlowNode) -> None:
        scope = self._process.scope_of(node.id)
        if scope is None:
            self._process_start(node)
        elif scope.type is ElementType.SUB_PROCESS and node.event is not None:
            self._add(node, "Start events in subprocesses must be of type none")
        elif scope.type is ElementType.EVENT_SUB_PROCESS:
            if node.event_kind not in _EVENT_SUB_PROCESS_STARTS:
                self._add(
                    node,
                    "Start events in event subprocesses must be one of: message, timer, error,"
                    " signal or escalation",
                )
            self._interrupting_rules(node)
            if node.event_kind is EventKind.MESSAGE and node.event is not None:
                self._message_to_catch(node, node.event.message)

    def _process_start(self, node: FlowNode) -> None:
        kind, event = node.event_kind, node.event
        if kind not in _PROCESS_STARTS:
            self._add(
                node, "Start events of a process must be one of: none, message, timer or signal"
            )
        if event is not None and event.timer is not None and event.timer.kind is TimerKind.DURATION:
            self._add(
                node, "A timer start event must have a time date or a time cycle, not a duration"
            )
        if kind is EventKind.MESSAGE and event is not None:
            message = event.message
            if message is None:
                self._add(node, "Must reference a message")
            elif message.name is None or (
                isinstance(message.name, str) and not message.name.strip()
            ):
                self._add_to(message.id, "message", "Name must be present and not empty")
        self._signal_named(node)

    def _sub_process(self, node: FlowNode) -> None:
        starts = self._process.start_events(node.id)
        if len(starts) != 1:
            self._add(node, "Must have exactly one start event")

    def _event_sub_process(self, node: FlowNode) -> None:
        if len(self._process.start_events(node.id)) != 1:
            self._add(node, "Must have exactly one start event")
        if node.incoming or node.outgoing:
            self._add(
                node, "An event sub-process must not have incoming or outgoing sequence flows"
            )

    # -- events ----------------------------------------------------------------------------

    def _signal_named(self, node: FlowNode) -> None:
        if node.event_kind is not EventKind.SIGNAL or node.event is None:
            return
        signal = node.event.signal
        if signal is None:
            self._add(node, "Must reference a signal")
        elif signal.name is None or (isinstance(signal.name, str) and not signal.name.strip()):
            self._add_to(signal.id, "signal", "Name must be present and not empty")

    def _end_event(self, node: FlowNode) -> None:
        if node.outgoing:
            self._add(node, "End events must not have outgoing sequence flows to other elements.")
        if node.event_kind not in _END_KINDS:
            self._add(
                node,
                "End events must be one of: none, error, message, terminate, signal or escalation",
            )
        self._thrown(node)

    def _thrown(self, node: FlowNode) -> None:
        """What a throwing event needs: an error with a code, an escalation, a signal."""
        event = node.event
        if event is None:
            return
        if event.kind is EventKind.ERROR:
            if event.error is None:
                self._add(node, "Must reference an error")
            elif event.error.code is None or (
                isinstance(event.error.code, str) and not event.error.code
            ):
                self._add_to(event.error.id, "error", "ErrorCode must be present and not empty")
        elif event.kind is EventKind.ESCALATION and event.escalation is None:
            self._add(node, "Must reference an escalation")
        self._signal_named(node)

    def _catch_event(self, node: FlowNode) -> None:
        event = node.event
        if event is None:
            self._add(node, "Must have exactly one event definition")
            return
        if event.kind not in _CATCH_KINDS:
            self._add(node, "Event definition must be one of: message, timer, signal or link")
        if event.timer is not None and event.timer.kind is TimerKind.CYCLE:
            self._add(
                node,
                "Intermediate timer catch event must have either a time duration or a time date.",
            )
        if event.kind is EventKind.MESSAGE:
            self._message_to_catch(node, event.message)
        if event.kind is EventKind.LINK and not event.link_name:
            self._add(node, "Link name must be present and not empty.")
        self._signal_named(node)

    def _throw_event(self, node: FlowNode) -> None:
        if node.event_kind not in _THROW_KINDS:
            self._add(
                node,
                "Intermediate throw events must be one of: none, message, escalation, signal"
                " or link",
            )
        if (
            node.event is not None
            and node.event.kind is EventKind.LINK
            and not node.event.link_name
        ):
            self._add(node, "Link name must be present and not empty.")
        self._thrown(node)

    def _boundary_event(self, node: FlowNode) -> None:
        target = self._process.elements.get(node.attached_to or "")
        if target is None or not target.is_activity:
            self._add(node, "Must be attached to an activity")
        elif target.scope != node.scope:
            self._add(node, "Must be in the same scope as the activity it is attached to")
        if node.incoming:
            self._add(node, "Cannot have incoming sequence flows")
        if node.event is None:
            self._add(node, "Must have exactly one event definition")
            return
        if node.event_kind not in _BOUNDARY_KINDS:
            self._add(
                node, "Boundary events must be one of: timer, message, error, signal, escalation"
            )
        self._interrupting_rules(node)
        if (
            node.event_kind is EventKind.ESCALATION
            and target is not None
            and target.type
            not in (
                ElementType.SUB_PROCESS,
                ElementType.CALL_ACTIVITY,
            )
        ):
            self._add(
                node,
                "An escalation boundary event should only be attached to a subprocess, or a call"
                " activity.",
            )
        self._caught_code(node)
        if node.event_kind is EventKind.MESSAGE:
            self._message_to_catch(node, node.event.message)
        self._signal_named(node)

    def _caught_code(self, node: FlowNode) -> None:
        event = node.event
        if event is not None and event.error is not None and isinstance(event.error.code, Expr):
            self._add(
                node, "The errorCode of the error catch event is not allowed to be an expression"
            )
        if (
            event is not None
            and event.escalation is not None
            and isinstance(event.escalation.code, Expr)
        ):
            self._add(
                node,
                "The escalationCode of the escalation catch event is not allowed to be an"
                " expression",
            )

    def _receive_task(self, node: FlowNode) -> None:
        if node.message is not None:
            self._message_to_catch(node, node.message)
            names = [
                b.event.message.name
                for b in self._process.boundary_events(node.id)
                if b.event is not None and b.event.message is not None
            ]
            if node.message.name in names:
                self._add(node, "Cannot reference the same message name as a boundary event")

    def _no_duplicate_catches(
        self, owner: FlowNode, catches: Iterable[FlowNode], where: str
    ) -> None:
        """One scope (an activity's boundary, a scope's event sub-processes) catches each
        message, signal, error code and escalation code once."""
        keys: Counter[tuple[str, str]] = Counter()
        for node in catches:
            event = node.event
            if event is None:
                continue
            if event.message is not None and isinstance(event.message.name, str):
                keys[("message", event.message.name)] += 1
            elif event.signal is not None and isinstance(event.signal.name, str):
                keys[("signal", event.signal.name)] += 1
            elif event.kind is EventKind.ERROR:
                keys[
                    ("error", str(event.error.code) if event.error and event.error.code else "")
                ] += 1
            elif event.kind is EventKind.ESCALATION:
                code = event.escalation.code if event.escalation else None
                keys[("escalation", str(code) if code else "")] += 1
        for (kind, name), count in keys.items():
            if count > 1:
                what = f"the same {kind} code '{name}'" if name else f"no {kind} code (catch-all)"
                if kind in ("message", "signal"):
                    what = f"the same {kind} name '{name}'"
                self._add(owner, f"Multiple {where} with {what} are not allowed")

    def _links(self, scope_id: str) -> None:
        nodes = self._process.nodes_in(scope_id)
        catches = Counter(
            n.event.link_name
            for n in nodes
            if n.type is ElementType.INTERMEDIATE_CATCH_EVENT
            and n.event is not None
            and n.event.link_name
        )
        for name, count in catches.items():
            if count > 1:
                self._add(
                    self._scope_owner(scope_id),
                    "Multiple intermediate catch link event definitions with the same name"
                    f" '{name}' are not allowed.",
                )
        for node in nodes:
            event = node.event
            throws = node.type is ElementType.INTERMEDIATE_THROW_EVENT
            if throws and event is not None and event.link_name and event.link_name not in catches:
                self._add(
                    node,
                    f"Can't find an catch link event for the throw link event with the name"
                    f" '{event.link_name}'.",
                )

    # -- gateways and flows ----------------------------------------------------------------

    def _flow(self, flow_id: str) -> None:
        flow = self._process.flows[flow_id]
        elements = self._process.elements
        for end, ref in (("sourceRef", flow.source), ("targetRef", flow.target)):
            if not ref:
                self._add_to(
                    flow.id, "sequenceFlow", f"SequenceFlow is missing required attribute {end}"
                )
            elif ref not in elements:
                self._add_to(
                    flow.id,
                    "sequenceFlow",
                    f"SequenceFlow has {end} '{ref}' which cannot be resolved",
                )
            elif elements[ref].scope != flow.scope:
                self._add_to(
                    flow.id,
                    "sequenceFlow",
                    f"{end} '{ref}' is in another scope than the sequence flow",
                )
        source = elements.get(flow.source)
        if source is not None and source.default_flow == flow.id and flow.condition is not None:
            self._add_to(flow.id, "sequenceFlow", "A default flow must not have a condition")

    def _conditions_only_at_gateways(self, node: FlowNode) -> None:
        if node.type in (ElementType.EXCLUSIVE_GATEWAY, ElementType.INCLUSIVE_GATEWAY):
            return
        if any(self._process.flows[f].condition is not None for f in node.outgoing):
            self._add(
                node,
                "Conditional sequence flows are only supported at exclusive or inclusive gateway",
            )

    def _conditional_gateway(self, node: FlowNode) -> None:
        if node.default_flow is not None and node.default_flow not in node.outgoing:
            self._add(node, "Default flow must start at gateway")
        if len(node.outgoing) <= 1:
            return
        for flow in self._process.outgoing(node.id):
            if flow.condition is None and flow.id != node.default_flow:
                message = (
                    "Must have a condition or be default flow"
                    if node.type is ElementType.EXCLUSIVE_GATEWAY
                    else "Must have a condition"
                )
                self._add_to(flow.id, "sequenceFlow", message)

    def _event_based_gateway(self, node: FlowNode) -> None:
        flows = self._process.outgoing(node.id)
        if len(flows) < 2:
            self._add(node, "Event-based gateway must have at least 2 outgoing sequence flows.")
        targets = [self._process.elements[f.target] for f in flows]
        if any(
            t.type is not ElementType.INTERMEDIATE_CATCH_EVENT
            or t.event_kind not in _GATEWAY_TARGETS
            for t in targets
        ):
            self._add(
                node,
                "Event-based gateway must not have an outgoing sequence flow to other elements than"
                " message/timer/signal intermediate catch events.",
            )
        if any(len(t.incoming) > 1 for t in targets):
            self._add(
                node,
                "Target elements of an event gateway must not have any additional incoming sequence"
                " flows other than that from the event gateway.",
            )
        self._no_duplicate_catches(node, targets, "events after the gateway")


_PASS_THROUGH = frozenset(
    {ElementType.TASK, ElementType.MANUAL_TASK, ElementType.INTERMEDIATE_THROW_EVENT}
)
_GATEWAYS = frozenset(
    {ElementType.EXCLUSIVE_GATEWAY, ElementType.INCLUSIVE_GATEWAY, ElementType.PARALLEL_GATEWAY}
)


def _straight_through(node: FlowNode) -> bool:
    """Completes the moment it is entered: no job, no wait (a script task runs inline)."""
    if node.type is ElementType.SCRIPT_TASK:
        return node.script is not None
    if node.type is ElementType.INTERMEDIATE_THROW_EVENT:
        return node.job is None and node.event_kind is not EventKind.LINK
    return node.type in _PASS_THROUGH or node.type in _GATEWAYS


def straight_through_loop(process: Process) -> list[str] | None:
    """A cycle of elements that never wait, with at least one task in it: the engine would
    go round it forever in one step, so Zeebe refuses it at deployment."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node_id: str) -> list[str] | None:
        state[node_id] = 1
        path.append(node_id)
        for flow in process.outgoing(node_id):
            target = process.elements.get(flow.target)
            if target is None or not _straight_through(target):
                continue
            if state.get(target.id) == 1:
                loop = [*path[path.index(target.id) :], target.id]
                if any(process.elements[i].type not in _GATEWAYS for i in loop):
                    return loop
            elif target.id not in state and (found := visit(target.id)) is not None:
                return found
        path.pop()
        state[node_id] = 2
        return None

    for node in process.elements.values():
        if node.id not in state and _straight_through(node):
            found = visit(node.id)
            if found is not None:
                return found
    return None


def validate_definitions(definitions: Definitions) -> list[Problem]:
    """The structural problems of every executable process of ``definitions``."""
    problems: list[Problem] = []
    for process in definitions.executable_processes:
        problems.extend(Validator(definitions, process).run())
        loop = straight_through_loop(process)
        if loop is not None:
            problems.append(
                Problem(
                    loop[0],
                    process.elements[loop[0]].bpmn_type,
                    "Processes are not allowed to contain a straight-through processing loop: "
                    + " > ".join(loop),
                )
            )
    return problems
