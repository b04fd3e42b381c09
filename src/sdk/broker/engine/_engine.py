"""The engine's front door: one command on one instance's state gives the new state and the
effects. Pure: the clock reading and the key allocator are given by the store."""

from __future__ import annotations

import copy
from collections.abc import Callable

from . import _events, _multi
from ._commands import (
    BroadcastSignal,
    CallFailed,
    CancelInstance,
    CatchFromChild,
    Command,
    CompleteChild,
    CompleteJob,
    CompleteUserTask,
    CorrelateMessage,
    CreateInstance,
    FailJob,
    ResolveIncident,
    ResumeThrow,
    SetVariables,
    ThrowError,
    TriggerTimer,
    UpdateJobRetries,
)
from ._effects import IncidentResolved, JobRetriesChanged, Step
from ._incidents import (
    CALLED_ELEMENT_ERROR,
    JOB_NO_RETRIES,
    UNHANDLED_ERROR_EVENT,
    Failure,
    unhandled_error_message,
)
from ._run import Definition, Run
from ._state import MULTI_INSTANCE_BODY, PROCESS, ElementInstance, ElementState, InstanceState
from ._variables import propagate, set_local


class Rejected(Exception):
    """The command does not apply to this state (unknown job, instance already ended...):
    nothing changed; the API answers it as Zeebe rejects the command."""


class Engine:
    """Runs instances of one deployed process definition.

    Args:
        definition: The model and its definition key and version.
    """

    def __init__(self, definition: Definition) -> None:
        self.definition = definition

    def apply(
        self,
        state: InstanceState | None,
        command: Command,
        *,
        now: int,
        keys: Callable[[], int],
        owned: bool = False,
    ) -> Step:
        """Apply one command.

        Args:
            state: The instance's state (left unchanged); ``None`` for ``CreateInstance``.
            command: What happened.
            now: The broker's clock, epoch milliseconds.
            keys: Allocates a new unique key on each call.
            owned: The caller gives ``state`` up (it read it for this command alone): it is
                changed in place, even when the command is rejected, instead of copied.

        Returns:
            The new state and the effects to persist with it, in order.

        Raises:
            Rejected: The command does not apply to this state.
        """
        if isinstance(command, CreateInstance):
            if state is not None:
                raise Rejected("the instance exists already")
            return self._create(command, now, keys)
        if state is None:
            raise Rejected("no such instance")
        if state.state != "ACTIVE":
            raise Rejected(f"the instance is {state.state.lower()}")
        run = Run(self.definition, state if owned else copy.deepcopy(state), now, keys)
        _dispatch(run, command)
        run.drain()
        return Step(run.state, run.effects)

    def _create(self, command: CreateInstance, now: int, keys: Callable[[], int]) -> Step:
        definition = self.definition
        for element_id in command.start_at:
            if element_id not in definition.process.elements:
                raise Rejected(f"no element '{element_id}' to start at")
            if definition.process.elements[element_id].scope != definition.process.id:
                raise Rejected(f"element '{element_id}' is not directly in the process")
        state = InstanceState(
            keys(),
            definition.key,
            definition.process.id,
            definition.version,
            parent_element_instance_key=command.parent_element_instance_key,
            parent_process_instance_key=command.parent_process_instance_key,
        )
        run = Run(definition, state, now, keys)
        run.start(dict(command.variables), command.start_at)
        run.drain()
        return Step(run.state, run.effects)


def _element(run: Run, key: int) -> ElementInstance:
    element = run.state.elements.get(key)
    if element is None:
        raise Rejected(f"no element instance with key {key}")
    return element


def _waiting(run: Run, key: int) -> ElementInstance:
    element = _element(run, key)
    if element.state is not ElementState.ACTIVATED:
        raise Rejected(f"element instance {key} is not waiting")
    return element


def _dispatch(run: Run, command: Command) -> None:  # noqa: C901 (one branch per command)
    state = run.state
    if isinstance(command, CompleteJob):
        job = state.jobs.get(command.job_key)
        if job is None:
            raise Rejected(f"no job with key {command.job_key}")
        element = _waiting(run, job.element_instance_key)
        del state.jobs[job.key]
        element.pending = dict(command.variables)
        run.complete(element)
    elif isinstance(command, FailJob | UpdateJobRetries):
        job = state.jobs.get(command.job_key)
        if job is None:
            raise Rejected(f"no job with key {command.job_key}")
        job.retries = command.retries
        message = command.message if isinstance(command, FailJob) else ""
        run.emit(JobRetriesChanged(job.key, job.retries, message))
        if isinstance(command, FailJob) and command.retries <= 0:
            element = _element(run, job.element_instance_key)
            text = command.message or "No more retries left."
            run.incident(element, JOB_NO_RETRIES, text, "job", job.key)
    elif isinstance(command, ThrowError):
        job = state.jobs.pop(command.job_key, None)
        if job is None:
            raise Rejected(f"no job with key {command.job_key}")
        element = _waiting(run, job.element_instance_key)
        try:
            if _events.throw_error(run, element, command.code, command.message, command.variables):
                state.jobs[job.key] = job
        except Failure as failure:
            state.jobs[job.key] = job
            run.incident(element, UNHANDLED_ERROR_EVENT, failure.message, "error", job.key)
    elif isinstance(command, TriggerTimer):
        if command.timer_key not in state.timers:
            raise Rejected(f"no timer with key {command.timer_key}")
        _events.timer_due(run, command.timer_key)
    elif isinstance(command, CorrelateMessage):
        if command.subscription_key not in state.subscriptions:
            raise Rejected(f"no subscription with key {command.subscription_key}")
        _events.correlate(run, command.subscription_key, command.variables)
    elif isinstance(command, BroadcastSignal):
        _events.broadcast(run, command.name, command.variables)
    elif isinstance(command, CompleteUserTask | CompleteChild):
        element = _waiting(run, command.element_instance_key)
        variables = dict(command.variables)
        node = run.node(element)
        if isinstance(command, CompleteChild) and node.called_element is not None:
            if not node.called_element.propagate_all_child_variables and not node.io.outputs:
                variables = {}
        element.pending = variables
        run.complete(element)
    elif isinstance(command, CallFailed):
        element = _waiting(run, command.element_instance_key)
        run.incident(element, CALLED_ELEMENT_ERROR, command.message, "call")
    elif isinstance(command, CancelInstance):
        run.cancel()
    elif isinstance(command, ResolveIncident):
        _resolve(run, command.incident_key)
    elif isinstance(command, CatchFromChild):
        _events.catch_from_child(run, _waiting(run, command.element_instance_key), command)
    elif isinstance(command, ResumeThrow):
        _resume(run, command)
    elif isinstance(command, SetVariables):
        _element(run, command.scope_key)
        if command.local:
            for name, value in command.variables.items():
                set_local(state, run.emit, command.scope_key, name, value)
        else:
            propagate(state, run.emit, command.scope_key, command.variables)


def _resume(run: Run, command: ResumeThrow) -> None:
    """No caller caught the throw interruptingly: an error becomes the incident, an
    escalation's throw event completes."""
    element = _element(run, command.element_instance_key)
    if command.kind == "ESCALATION":
        run.complete(element)
        return
    message = unhandled_error_message(command.code, command.message, list(command.available))
    job = next((j for j in run.state.jobs.values() if j.element_instance_key == element.key), None)
    if job is not None:
        run.incident(element, UNHANDLED_ERROR_EVENT, message, "error", job.key)
    else:
        run.incident(element, UNHANDLED_ERROR_EVENT, message, "activate")


def _resolve(run: Run, incident_key: int) -> None:
    incident = run.state.incidents.pop(incident_key, None)
    if incident is None:
        raise Rejected(f"no incident with key {incident_key}")
    run.emit(IncidentResolved(incident_key))
    element = run.state.elements.get(incident.element_instance_key)
    if element is None:
        return
    if incident.phase == "activate":
        if element.type == PROCESS:
            run.guard(element, "activate", lambda: run.open_event_sub_processes(element))
        elif element.type == MULTI_INSTANCE_BODY:
            node = run.node(element)
            run.guard(element, "activate", lambda: _multi.activate_body(run, element, node))
        else:
            node = run.node(element)
            run.guard(element, "activate", lambda: run.activate(element, node))
    elif incident.phase == "complete":
        run.complete(element)
    elif incident.phase == "call":
        node = run.node(element)
        run.guard(element, "call", lambda: run.request_child(element, node))
    elif incident.job_key is not None and incident.job_key in run.state.jobs:
        job = run.state.jobs[incident.job_key]
        run.emit(JobRetriesChanged(job.key, job.retries))
