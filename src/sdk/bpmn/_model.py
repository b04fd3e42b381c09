"""The immutable model of a deployed BPMN file, shaped for the engine that interprets it.

Every value a modeler may write as FEEL is either a static ``str`` or an ``Expr``, so the engine
never has to look for the leading ``=`` again. Element lookups, scopes, boundary events, event
sub-processes and link targets are indexed once here, because the engine asks for them on
every step of every instance.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import TypeAlias

from ._diagram import Diagram
from ._timer import CronSchedule, IsoDuration, RepeatingInterval


@dataclass(frozen=True)
class Expr:
    """A FEEL expression, written ``=text`` in the XML.

    Attributes:
        text: The expression without its leading ``=``.
    """

    text: str

    def __str__(self) -> str:
        return f"={self.text}"


Value: TypeAlias = "str | Expr"
"""A static value, or a FEEL expression to evaluate when the element is reached."""


def value_of(raw: str) -> Value:
    """``Expr`` for text starting with ``=`` (as Zeebe decides), else the static text."""
    stripped = raw.strip()
    return Expr(stripped[1:].strip()) if stripped.startswith("=") else raw


def _empty() -> Mapping[str, str]:
    return MappingProxyType({})


class ElementType(str, enum.Enum):
    """A flow element's kind; the values are Camunda's element-instance ``type`` values."""

    START_EVENT = "START_EVENT"
    INTERMEDIATE_CATCH_EVENT = "INTERMEDIATE_CATCH_EVENT"
    INTERMEDIATE_THROW_EVENT = "INTERMEDIATE_THROW_EVENT"
    BOUNDARY_EVENT = "BOUNDARY_EVENT"
    END_EVENT = "END_EVENT"
    SERVICE_TASK = "SERVICE_TASK"
    SEND_TASK = "SEND_TASK"
    BUSINESS_RULE_TASK = "BUSINESS_RULE_TASK"
    SCRIPT_TASK = "SCRIPT_TASK"
    RECEIVE_TASK = "RECEIVE_TASK"
    USER_TASK = "USER_TASK"
    MANUAL_TASK = "MANUAL_TASK"
    TASK = "TASK"
    EXCLUSIVE_GATEWAY = "EXCLUSIVE_GATEWAY"
    PARALLEL_GATEWAY = "PARALLEL_GATEWAY"
    INCLUSIVE_GATEWAY = "INCLUSIVE_GATEWAY"
    EVENT_BASED_GATEWAY = "EVENT_BASED_GATEWAY"
    SUB_PROCESS = "SUB_PROCESS"
    EVENT_SUB_PROCESS = "EVENT_SUB_PROCESS"
    CALL_ACTIVITY = "CALL_ACTIVITY"


ACTIVITY_TYPES = frozenset(
    {
        ElementType.SERVICE_TASK,
        ElementType.SEND_TASK,
        ElementType.BUSINESS_RULE_TASK,
        ElementType.SCRIPT_TASK,
        ElementType.RECEIVE_TASK,
        ElementType.USER_TASK,
        ElementType.MANUAL_TASK,
        ElementType.TASK,
        ElementType.SUB_PROCESS,
        ElementType.CALL_ACTIVITY,
    }
)
"""The element types that are activities: they take boundary events and multi-instance."""


class EventKind(str, enum.Enum):
    """What an event waits for or throws (Zeebe's ``BpmnEventType``)."""

    NONE = "NONE"
    MESSAGE = "MESSAGE"
    TIMER = "TIMER"
    ERROR = "ERROR"
    ESCALATION = "ESCALATION"
    SIGNAL = "SIGNAL"
    LINK = "LINK"
    TERMINATE = "TERMINATE"


class TimerKind(str, enum.Enum):
    """Which of the three timer forms a timer uses."""

    DATE = "DATE"
    CYCLE = "CYCLE"
    DURATION = "DURATION"


@dataclass(frozen=True)
class Message:
    """A ``bpmn:message``.

    Attributes:
        id: Its id.
        name: The name a published message must carry (may be an expression).
        correlation_key: ``zeebe:subscription``'s correlation key (an expression to catch).
    """

    id: str
    name: Value | None
    correlation_key: Value | None = None


@dataclass(frozen=True)
class Error:
    """A ``bpmn:error``.

    Attributes:
        id: Its id.
        name: Its display name.
        code: The ``errorCode`` a thrown error is matched by (an expression on error end
            events only); ``None`` on a catch event: catches every error.
    """

    id: str
    name: str | None
    code: Value | None


@dataclass(frozen=True)
class Escalation:
    """A ``bpmn:escalation``.

    Attributes:
        id: Its id.
        name: Its display name.
        code: The ``escalationCode``; ``None`` on a catch event: catches every escalation.
    """

    id: str
    name: str | None
    code: Value | None


@dataclass(frozen=True)
class Signal:
    """A ``bpmn:signal``.

    Attributes:
        id: Its id.
        name: The name a broadcast signal must carry.
    """

    id: str
    name: Value | None


@dataclass(frozen=True)
class Timer:
    """A timer event definition.

    Attributes:
        kind: Date, cycle or duration.
        value: The value as written (``Expr`` for ``=...``).
        static: The parsed static value: ``datetime`` for a date, ``IsoDuration`` for a
            duration, ``RepeatingInterval`` or ``CronSchedule`` for a cycle; ``None`` when
            ``value`` is an expression.
    """

    kind: TimerKind
    value: Value
    static: datetime | IsoDuration | RepeatingInterval | CronSchedule | None = None


@dataclass(frozen=True)
class EventDefinition:
    """What an event catches or throws. ``None`` on a flow node is the none event.

    Attributes:
        kind: The event kind.
        message: The message (message events); ``None`` only on a job-based message throw.
        error: The error (error events); ``None`` on a catch: catches every error.
        escalation: The escalation; ``None`` on a catch: catches every escalation.
        signal: The signal (signal events).
        timer: The timer (timer events).
        link_name: The link's name (link events).
    """

    kind: EventKind
    message: Message | None = None
    error: Error | None = None
    escalation: Escalation | None = None
    signal: Signal | None = None
    timer: Timer | None = None
    link_name: str | None = None


@dataclass(frozen=True)
class JobDefinition:
    """The job an element creates (``zeebe:taskDefinition`` and ``zeebe:taskHeaders``).

    Attributes:
        type: The job type (may be an expression).
        retries: The job's retries (may be an expression; Zeebe's default ``"3"``).
        headers: The custom headers, in document order.
    """

    type: Value
    retries: Value = "3"
    headers: Mapping[str, str] = field(default_factory=_empty)


@dataclass(frozen=True)
class VariableMapping:
    """One ``zeebe:input`` or ``zeebe:output``.

    Attributes:
        source: The value or expression to read.
        target: The variable (or dotted path) to write.
    """

    source: Value
    target: str


@dataclass(frozen=True)
class IoMapping:
    """An element's ``zeebe:ioMapping``, applied as Zeebe applies it (inputs into the element's
    local scope on activation, outputs out of it on completion)."""

    inputs: tuple[VariableMapping, ...] = ()
    outputs: tuple[VariableMapping, ...] = ()


@dataclass(frozen=True)
class UserTask:
    """A user task's assignment, schedule and form.

    Attributes:
        camunda_user_task: ``zeebe:userTask`` is present: the task waits for the user-task API.
            Otherwise it is a job of type ``io.camunda.zeebe:userTask`` (see ``FlowNode.job``).
        assignee: ``zeebe:assignmentDefinition`` assignee.
        candidate_groups: Candidate groups (a comma-separated static list or an expression).
        candidate_users: Candidate users (same form).
        due_date: ``zeebe:taskSchedule`` due date.
        follow_up_date: ``zeebe:taskSchedule`` follow-up date.
        form_key: ``zeebe:formDefinition`` form key (or the embedded form's key).
        form_id: ``zeebe:formDefinition`` form id (a linked Camunda form).
        external_reference: ``zeebe:formDefinition`` external reference.
        priority: ``zeebe:priorityDefinition`` priority.
    """

    camunda_user_task: bool
    assignee: Value | None = None
    candidate_groups: Value | None = None
    candidate_users: Value | None = None
    due_date: Value | None = None
    follow_up_date: Value | None = None
    form_key: Value | None = None
    form_id: str | None = None
    external_reference: Value | None = None
    priority: Value | None = None


@dataclass(frozen=True)
class Script:
    """A script task's ``zeebe:script``: evaluate ``expression`` into ``result_variable``."""

    expression: Value
    result_variable: str


@dataclass(frozen=True)
class CalledElement:
    """A call activity's ``zeebe:calledElement``.

    Attributes:
        process_id: The BPMN process id to start (may be an expression).
        propagate_all_child_variables: Copy all the child's variables back on completion.
        propagate_all_parent_variables: Pass all the caller's variables to the child.
    """

    process_id: Value
    propagate_all_child_variables: bool = True
    propagate_all_parent_variables: bool = True


@dataclass(frozen=True)
class MultiInstance:
    """Multi-instance characteristics (``zeebe:loopCharacteristics``).

    Attributes:
        sequential: One instance after another (``isSequential``), else all at once.
        input_collection: The collection to iterate (an expression).
        input_element: The variable each instance gets its item in.
        output_collection: The variable that collects each instance's output element.
        output_element: What each instance contributes (an expression).
        completion_condition: Completes the body early when true.
    """

    sequential: bool
    input_collection: Value | None
    input_element: str | None = None
    output_collection: str | None = None
    output_element: Value | None = None
    completion_condition: Value | None = None


@dataclass(frozen=True)
class SequenceFlow:
    """A sequence flow.

    Attributes:
        id: Its id.
        source: The id of the node it leaves.
        target: The id of the node it enters.
        name: Its label.
        condition: Its condition (on flows leaving exclusive and inclusive gateways).
        scope: The id of the process or sub-process it lies in.
    """

    id: str
    source: str
    target: str
    name: str | None = None
    condition: Value | None = None
    scope: str = ""


@dataclass(frozen=True)
class FlowNode:
    """One flow node (event, task, gateway, sub-process, call activity).

    Only the fields that apply to its ``type`` are set; the rest keep their defaults.

    Attributes:
        id: Its id.
        type: What kind of element it is.
        bpmn_type: The XML element name (``serviceTask``), as problems name it.
        name: Its label.
        scope: The id of the process or sub-process that contains it.
        incoming: The ids of its incoming sequence flows.
        outgoing: The ids of its outgoing sequence flows, in document order.
        default_flow: A gateway's (or activity's) default flow id.
        event: What the event catches or throws; ``None`` for a none event and non-events.
        interrupting: A boundary event's ``cancelActivity``, an event sub-process start's
            ``isInterrupting`` (both default true).
        attached_to: A boundary event's activity id.
        job: The job it creates: service, send, business-rule and script tasks with a
            ``zeebe:taskDefinition``, job-based user tasks, message throw events.
        user_task: A user task's data.
        script: A script task's ``zeebe:script``.
        called_element: A call activity's called process.
        message: A receive task's message.
        io: Input and output mappings.
        multi_instance: Multi-instance characteristics, when it has them.
        properties: ``zeebe:properties`` (name to value).
    """

    id: str
    type: ElementType
    bpmn_type: str
    scope: str
    name: str | None = None
    incoming: tuple[str, ...] = ()
    outgoing: tuple[str, ...] = ()
    default_flow: str | None = None
    event: EventDefinition | None = None
    interrupting: bool = True
    attached_to: str | None = None
    job: JobDefinition | None = None
    user_task: UserTask | None = None
    script: Script | None = None
    called_element: CalledElement | None = None
    message: Message | None = None
    io: IoMapping = IoMapping()
    multi_instance: MultiInstance | None = None
    properties: Mapping[str, str] = field(default_factory=_empty)

    @property
    def event_kind(self) -> EventKind:
        """The event kind (``NONE`` when there is no event definition)."""
        return self.event.kind if self.event is not None else EventKind.NONE

    @property
    def is_activity(self) -> bool:
        """Tasks, sub-processes and call activities: what boundary events attach to."""
        return self.type in ACTIVITY_TYPES

    @property
    def is_scope(self) -> bool:
        """Sub-processes (embedded and event) contain flow nodes of their own."""
        return self.type in (ElementType.SUB_PROCESS, ElementType.EVENT_SUB_PROCESS)


@dataclass(frozen=True)
class Process:
    """One ``bpmn:process``, every element of every nesting level indexed by id.

    Attributes:
        id: The BPMN process id (``bpmnProcessId``).
        name: Its name.
        executable: ``isExecutable="true"``: only these are deployed.
        version_tag: ``zeebe:versionTag``, when set.
        elements: Every flow node, nested ones included, by id (document order).
        flows: Every sequence flow, by id.
        children: The direct flow nodes of each scope (the process and each sub-process), by
            scope id.
    """

    id: str
    name: str | None
    executable: bool
    version_tag: str | None = None
    elements: Mapping[str, FlowNode] = field(default_factory=lambda: MappingProxyType({}))
    flows: Mapping[str, SequenceFlow] = field(default_factory=lambda: MappingProxyType({}))
    children: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    _boundaries: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: MappingProxyType({}), repr=False, compare=False
    )

    def element(self, element_id: str) -> FlowNode:
        """The flow node ``element_id`` (``KeyError`` when there is none)."""
        return self.elements[element_id]

    def flow(self, flow_id: str) -> SequenceFlow:
        """The sequence flow ``flow_id`` (``KeyError`` when there is none)."""
        return self.flows[flow_id]

    def outgoing(self, element_id: str) -> tuple[SequenceFlow, ...]:
        """The sequence flows leaving ``element_id``, in document order."""
        return tuple(self.flows[f] for f in self.elements[element_id].outgoing)

    def scope_of(self, element_id: str) -> FlowNode | None:
        """The sub-process that directly contains ``element_id``; ``None``: the process."""
        scope = self.elements[element_id].scope
        return None if scope == self.id else self.elements[scope]

    def nodes_in(self, scope_id: str | None = None) -> tuple[FlowNode, ...]:
        """The direct flow nodes of a scope (the process when ``scope_id`` is ``None``)."""
        return tuple(self.elements[i] for i in self.children.get(scope_id or self.id, ()))

    def boundary_events(self, activity_id: str) -> tuple[FlowNode, ...]:
        """The boundary events attached to ``activity_id``, in document order."""
        return tuple(self.elements[i] for i in self._boundaries.get(activity_id, ()))

    def event_sub_processes(self, scope_id: str | None = None) -> tuple[FlowNode, ...]:
        """The event sub-processes directly in a scope (the process when ``None``)."""
        return tuple(n for n in self.nodes_in(scope_id) if n.type is ElementType.EVENT_SUB_PROCESS)

    def start_events(
        self, scope_id: str | None = None, kind: EventKind | None = None
    ) -> tuple[FlowNode, ...]:
        """The start events directly in a scope, of one ``kind`` when given.

        For an event sub-process this is its one triggering start event.
        """
        return tuple(
            n
            for n in self.nodes_in(scope_id)
            if n.type is ElementType.START_EVENT and (kind is None or n.event_kind is kind)
        )

    def none_start_event(self, scope_id: str | None = None) -> FlowNode | None:
        """The none start event of a scope: where ``create instance`` (or entering an
        embedded sub-process) begins."""
        found = self.start_events(scope_id, EventKind.NONE)
        return found[0] if found else None

    def link_catch(self, scope_id: str | None, name: str) -> FlowNode | None:
        """The link catch event named ``name`` in a scope: where a link throw continues."""
        for node in self.nodes_in(scope_id):
            if (
                node.type is ElementType.INTERMEDIATE_CATCH_EVENT
                and node.event is not None
                and node.event.kind is EventKind.LINK
                and node.event.link_name == name
            ):
                return node
        return None


@dataclass(frozen=True)
class Participant:
    """A pool of a collaboration.

    Attributes:
        id: Its id.
        name: Its label.
        process_id: The process it shows (``None`` for a black-box pool).
    """

    id: str
    name: str | None
    process_id: str | None


@dataclass(frozen=True)
class Definitions:
    """A whole BPMN file.

    Attributes:
        id: The ``definitions`` id.
        processes: Every process, executable or not, in document order.
        participants: The collaboration's pools (empty without a collaboration).
        messages: The messages, by id.
        errors: The errors, by id.
        escalations: The escalations, by id.
        signals: The signals, by id.
        diagram: The diagram interchange (empty when the file has none).
    """

    id: str | None
    processes: tuple[Process, ...] = ()
    participants: tuple[Participant, ...] = ()
    messages: Mapping[str, Message] = field(default_factory=lambda: MappingProxyType({}))
    errors: Mapping[str, Error] = field(default_factory=lambda: MappingProxyType({}))
    escalations: Mapping[str, Escalation] = field(default_factory=lambda: MappingProxyType({}))
    signals: Mapping[str, Signal] = field(default_factory=lambda: MappingProxyType({}))
    diagram: Diagram = field(default_factory=Diagram)

    @property
    def executable_processes(self) -> tuple[Process, ...]:
        """The processes a deployment creates definitions for (``isExecutable="true"``)."""
        return tuple(p for p in self.processes if p.executable)

    def process(self, process_id: str) -> Process:
        """The process ``process_id`` (``KeyError`` when there is none)."""
        for process in self.processes:
            if process.id == process_id:
                return process
        raise KeyError(process_id)
