"""An instance's state as plain data: what the store persists between two commands.

Only what is still alive is kept (active element instances, open jobs, timers and
subscriptions, open incidents); what happened is reported as effects, the history.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class ElementState(str, enum.Enum):
    """An element instance's lifecycle state (Zeebe's element instance intents)."""

    ACTIVATING = "ELEMENT_ACTIVATING"
    ACTIVATED = "ELEMENT_ACTIVATED"
    COMPLETING = "ELEMENT_COMPLETING"
    COMPLETED = "ELEMENT_COMPLETED"
    TERMINATING = "ELEMENT_TERMINATING"
    TERMINATED = "ELEMENT_TERMINATED"


PROCESS = "PROCESS"
"""The element type of the process instance itself (the root scope)."""

MULTI_INSTANCE_BODY = "MULTI_INSTANCE_BODY"
"""The element type of a multi-instance body, the scope of its inner instances."""


@dataclass
class ElementInstance:
    """One element instance.

    Attributes:
        key: Its key (the process instance's own key for the root).
        element_id: The element's id (the process id for the root).
        type: ``ElementType`` value, ``PROCESS`` or ``MULTI_INSTANCE_BODY``.
        flow_scope_key: The enclosing scope instance; ``None`` for the root.
        state: Where it is in its lifecycle.
        active_flows: For a scope: sequence flows taken and not yet consumed (in transit or
            waiting at a join); a scope completes only when there are none and no children.
        joins: For a scope: the incoming flows taken per joining gateway, not yet consumed.
        pending: Variables handed over by a job, a message or a script, applied on completion
            (kept so an output-mapping incident can retry with them).
        loop: Multi-instance body: the input collection.
        loop_counter: Multi-instance body: inner instances started; inner: its loop counter.
        completed: Multi-instance body: inner instances completed.
        interrupted: An interrupting event sub-process took over this scope: nothing else may
            start in it.
        done: Multi-instance body: its completion condition held.
    """

    key: int
    element_id: str
    type: str
    flow_scope_key: int | None
    state: ElementState = ElementState.ACTIVATING
    active_flows: int = 0
    joins: dict[str, list[str]] = field(default_factory=dict)
    pending: dict[str, Any] | None = None
    loop: list[Any] | None = None
    loop_counter: int = 0
    completed: int = 0
    interrupted: bool = False
    done: bool = False


@dataclass
class Job:
    """An open job: created on the element's activation, gone on its completion or cancel."""

    key: int
    element_instance_key: int
    element_id: str
    type: str
    retries: int
    custom_headers: dict[str, str]


@dataclass
class Timer:
    """A scheduled timer of a catch event (intermediate, boundary, event sub-process start or
    an event-based gateway's target), owned by ``element_instance_key``.

    Attributes:
        repetitions: Firings left counting the next one; ``-1``: until the owner is left.
        interval_ms: A repeating interval's period (the next firing is due this long after
            this one's due time).
        cron: A cron cycle's expression (the next firing is its next time after this one
            fired).
    """

    key: int
    element_instance_key: int
    element_id: str
    due: int
    repetitions: int
    interval_ms: int = 0
    cron: str | None = None


@dataclass
class Subscription:
    """An open message or signal subscription of a catch event.

    Attributes:
        kind: ``"MESSAGE"`` or ``"SIGNAL"``.
        correlation_key: The evaluated correlation key (messages only).
        interrupting: Catching it interrupts the owner (boundary, event sub-process).
    """

    key: int
    kind: str
    element_instance_key: int
    element_id: str
    name: str
    correlation_key: str | None = None
    interrupting: bool = True


@dataclass
class Incident:
    """An open incident: a step that failed and waits to be retried.

    Attributes:
        phase: What resolving retries: ``"activate"``, ``"complete"``, ``"job"`` (the job's
            retries were used up: resolving makes it workable again), ``"error"`` (an uncaught
            error: resolving does nothing but close it, as in Zeebe) or ``"call"`` (a call
            activity's process could not be started: resolving asks for the child again).
    """

    key: int
    element_instance_key: int
    element_id: str
    error_type: str
    message: str
    phase: str
    job_key: int | None = None


@dataclass
class InstanceState:
    """One process instance.

    Attributes:
        key: The process instance key (also the root element instance's key and scope).
        process_definition_key: The deployed definition's key.
        bpmn_process_id: The process id.
        version: The definition's version.
        elements: The live element instances by key, the root included.
        variables: Variable documents by scope key (element instance key).
        jobs: Open jobs by key.
        timers: Scheduled timers by key.
        subscriptions: Open message and signal subscriptions by key.
        incidents: Open incidents by key.
        taken_flows: Every sequence flow taken, in order (the instance's path).
        parent_element_instance_key: The calling call activity's instance, for a child.
        parent_process_instance_key: The calling instance, for a child.
        state: ``"ACTIVE"``, ``"COMPLETED"`` or ``"TERMINATED"``.
    """

    key: int
    process_definition_key: int
    bpmn_process_id: str
    version: int
    elements: dict[int, ElementInstance] = field(default_factory=dict)
    variables: dict[int, dict[str, Any]] = field(default_factory=dict)
    jobs: dict[int, Job] = field(default_factory=dict)
    timers: dict[int, Timer] = field(default_factory=dict)
    subscriptions: dict[int, Subscription] = field(default_factory=dict)
    incidents: dict[int, Incident] = field(default_factory=dict)
    taken_flows: list[str] = field(default_factory=list)
    parent_element_instance_key: int | None = None
    parent_process_instance_key: int | None = None
    state: str = "ACTIVE"

    def children(self, scope_key: int) -> list[ElementInstance]:
        """The live element instances directly in a scope, oldest first."""
        return [e for e in self.elements.values() if e.flow_scope_key == scope_key]
