"""The commands an instance reacts to: what a worker, a user, a clock or a message did."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeAlias


def _none() -> Mapping[str, Any]:
    return MappingProxyType({})


@dataclass(frozen=True)
class CreateInstance:
    """Start an instance at the none start event, or at ``start_at`` elements (Camunda's
    ``startInstructions``). A child of a call activity names its caller."""

    variables: Mapping[str, Any] = field(default_factory=_none)
    start_at: tuple[str, ...] = ()
    parent_process_instance_key: int | None = None
    parent_element_instance_key: int | None = None


@dataclass(frozen=True)
class CompleteJob:
    """A worker completed the job, with variables."""

    job_key: int
    variables: Mapping[str, Any] = field(default_factory=_none)


@dataclass(frozen=True)
class FailJob:
    """A worker failed the job; no retries left raises a JOB_NO_RETRIES incident."""

    job_key: int
    retries: int
    message: str = ""


@dataclass(frozen=True)
class UpdateJobRetries:
    """The job's retries were set (before its incident is resolved)."""

    job_key: int
    retries: int


@dataclass(frozen=True)
class ThrowError:
    """A worker threw a BPMN error from the job."""

    job_key: int
    code: str
    message: str = ""
    variables: Mapping[str, Any] = field(default_factory=_none)


@dataclass(frozen=True)
class TriggerTimer:
    """A timer is due."""

    timer_key: int


@dataclass(frozen=True)
class CorrelateMessage:
    """A published message was correlated to the subscription."""

    subscription_key: int
    variables: Mapping[str, Any] = field(default_factory=_none)


@dataclass(frozen=True)
class BroadcastSignal:
    """A signal was broadcast: every signal subscription of this instance with the name
    catches it."""

    name: str
    variables: Mapping[str, Any] = field(default_factory=_none)


@dataclass(frozen=True)
class CompleteUserTask:
    """A Camunda user task was completed through the user-task API."""

    element_instance_key: int
    variables: Mapping[str, Any] = field(default_factory=_none)


@dataclass(frozen=True)
class CompleteChild:
    """The instance a call activity started completed, with its variables."""

    element_instance_key: int
    variables: Mapping[str, Any] = field(default_factory=_none)


@dataclass(frozen=True)
class CallFailed:
    """The store could not start the call activity's child (its process is not deployed, or
    has no none start event): a CALLED_ELEMENT_ERROR incident on the call activity, as in
    Zeebe; resolving it asks for the child again."""

    element_instance_key: int
    message: str


@dataclass(frozen=True)
class CancelInstance:
    """Cancel the instance: terminate everything in it."""


@dataclass(frozen=True)
class ResolveIncident:
    """Resolve the incident: retry the step that failed."""

    incident_key: int


@dataclass(frozen=True)
class SetVariables:
    """Set variables on a scope: locally, or propagated as Zeebe's non-local set does."""

    scope_key: int
    variables: Mapping[str, Any] = field(default_factory=_none)
    local: bool = False


@dataclass(frozen=True)
class CatchFromChild:
    """A called instance's uncaught error or escalation (its ``ThrownToCaller`` effect):
    catch it from the call activity ``element_instance_key`` up this instance's scopes."""

    element_instance_key: int
    kind: str
    code: str
    message: str = ""
    variables: Mapping[str, Any] = field(default_factory=_none)
    origin_process_instance_key: int = 0
    origin_element_instance_key: int = 0
    available: tuple[str, ...] = ()


@dataclass(frozen=True)
class ResumeThrow:
    """No caller caught the error or escalation this instance's element threw interruptingly
    (a ``ThrowReturned`` effect): the element goes on (error: incident; escalation: the throw
    event completes)."""

    element_instance_key: int
    kind: str
    code: str
    message: str = ""
    available: tuple[str, ...] = ()


Command: TypeAlias = (
    CreateInstance
    | CompleteJob
    | FailJob
    | UpdateJobRetries
    | ThrowError
    | TriggerTimer
    | CorrelateMessage
    | BroadcastSignal
    | CompleteUserTask
    | CompleteChild
    | CallFailed
    | CancelInstance
    | ResolveIncident
    | SetVariables
    | CatchFromChild
    | ResumeThrow
)
