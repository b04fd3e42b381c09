"""What a command decided, as data the store persists in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeAlias

from ._state import InstanceState


@dataclass(frozen=True)
class ElementChanged:
    """An element instance moved to ``state`` (the history of the instance)."""

    key: int
    element_id: str
    type: str
    state: str
    flow_scope_key: int | None


@dataclass(frozen=True)
class FlowTaken:
    """A sequence flow was taken."""

    flow_id: str
    scope_key: int


@dataclass(frozen=True)
class VariableSet:
    """A variable was created or changed in a scope."""

    scope_key: int
    name: str
    value: Any
    created: bool


@dataclass(frozen=True)
class JobCreated:
    """A job to create, with everything a worker is handed."""

    key: int
    type: str
    retries: int
    custom_headers: dict[str, str]
    variables: dict[str, Any]
    element_instance_key: int
    element_id: str
    process_instance_key: int
    process_definition_key: int
    bpmn_process_id: str
    version: int


@dataclass(frozen=True)
class JobCanceled:
    """A job to cancel (its element was left): a worker's later report finds none."""

    key: int


@dataclass(frozen=True)
class JobRetriesChanged:
    """A failed job's retries (and the failure message); it is workable when above zero."""

    key: int
    retries: int
    message: str = ""


@dataclass(frozen=True)
class TimerScheduled:
    """A timer to fire at ``due`` (epoch ms); ``repetitions`` left, counting this one."""

    key: int
    element_instance_key: int
    element_id: str
    due: int
    repetitions: int


@dataclass(frozen=True)
class TimerCanceled:
    """A timer that will not fire."""

    key: int


@dataclass(frozen=True)
class SubscriptionOpened:
    """A message (with its correlation key) or signal subscription to open."""

    key: int
    kind: str
    name: str
    correlation_key: str | None
    element_instance_key: int
    element_id: str
    interrupting: bool


@dataclass(frozen=True)
class SubscriptionClosed:
    """A subscription that no longer catches anything."""

    key: int


@dataclass(frozen=True)
class IncidentCreated:
    """An incident, named by Zeebe's error type, on an element instance (and job)."""

    key: int
    error_type: str
    message: str
    element_instance_key: int
    element_id: str
    job_key: int | None


@dataclass(frozen=True)
class IncidentResolved:
    """An incident that is closed."""

    key: int


@dataclass(frozen=True)
class UserTaskCreated:
    """A Camunda user task waits for the user-task API (its attributes as evaluated)."""

    element_instance_key: int
    element_id: str
    attributes: dict[str, Any]


@dataclass(frozen=True)
class UserTaskCanceled:
    """A Camunda user task whose element was left."""

    element_instance_key: int


@dataclass(frozen=True)
class SignalThrown:
    """A signal to broadcast to every subscription of every instance."""

    name: str
    variables: dict[str, Any]


@dataclass(frozen=True)
class ChildRequested:
    """A call activity asks for an instance of ``bpmn_process_id`` (latest version)."""

    element_instance_key: int
    bpmn_process_id: str
    variables: dict[str, Any]


@dataclass(frozen=True)
class ChildCanceled:
    """The instance a terminated call activity started is to be cancelled."""

    element_instance_key: int


@dataclass(frozen=True)
class InstanceCompleted:
    """The instance completed, with its variables (for awaitCompletion and a caller)."""

    key: int
    variables: dict[str, Any]
    parent_element_instance_key: int | None


@dataclass(frozen=True)
class InstanceTerminated:
    """The instance was terminated (cancelled or a terminate end event of its caller)."""

    key: int
    variables: dict[str, Any]


Effect: TypeAlias = (
    ElementChanged
    | FlowTaken
    | VariableSet
    | JobCreated
    | JobCanceled
    | JobRetriesChanged
    | TimerScheduled
    | TimerCanceled
    | SubscriptionOpened
    | SubscriptionClosed
    | IncidentCreated
    | IncidentResolved
    | UserTaskCreated
    | UserTaskCanceled
    | SignalThrown
    | ChildRequested
    | ChildCanceled
    | InstanceCompleted
    | InstanceTerminated
)


@dataclass(frozen=True)
class Step:
    """A command's outcome: the instance's new state and the effects, in order."""

    state: InstanceState
    effects: list[Effect] = field(default_factory=list)
