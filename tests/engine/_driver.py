"""An in-memory store for engine tests: it keeps each instance's state, applies the effects
(open jobs, timers by due time, subscriptions, buffered messages, child instances) and lets a
test read as a user's scenario: start, complete the job of type X, advance time, assert."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sdk.bpmn import Definitions, parse
from sdk.broker.engine import (
    BroadcastSignal,
    CancelInstance,
    ChildCanceled,
    ChildRequested,
    Command,
    CompleteChild,
    CompleteJob,
    CompleteUserTask,
    CorrelateMessage,
    CreateInstance,
    Definition,
    Effect,
    ElementChanged,
    Engine,
    FailJob,
    IncidentCreated,
    IncidentResolved,
    InstanceCompleted,
    InstanceState,
    InstanceTerminated,
    JobCanceled,
    JobCreated,
    JobRetriesChanged,
    ResolveIncident,
    SignalThrown,
    SubscriptionClosed,
    SubscriptionOpened,
    ThrowError,
    TimerCanceled,
    TimerScheduled,
    TriggerTimer,
    UpdateJobRetries,
    UserTaskCanceled,
    UserTaskCreated,
    visible_variables,
)


@dataclass
class Ended:
    """How an instance ended."""

    state: str
    variables: dict[str, Any]


@dataclass
class Driver:
    """Deploy one BPMN text, then drive its instances."""

    definitions: Definitions
    now: int = 1_700_000_000_000
    counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    engines: dict[str, Engine] = field(default_factory=dict)
    states: dict[int, InstanceState] = field(default_factory=dict)
    ended: dict[int, Ended] = field(default_factory=dict)
    effects: list[tuple[int, Effect]] = field(default_factory=list)
    jobs: dict[int, tuple[int, JobCreated]] = field(default_factory=dict)
    retries: dict[int, int] = field(default_factory=dict)
    timers: dict[int, tuple[int, TimerScheduled]] = field(default_factory=dict)
    subscriptions: dict[int, tuple[int, SubscriptionOpened]] = field(default_factory=dict)
    incidents: dict[int, tuple[int, IncidentCreated]] = field(default_factory=dict)
    user_tasks: dict[int, tuple[int, UserTaskCreated]] = field(default_factory=dict)
    buffered: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    children: dict[int, tuple[int, int]] = field(default_factory=dict)

    @classmethod
    def deploy(cls, xml: str) -> Driver:
        definitions = parse(xml)
        driver = cls(definitions)
        for version, process in enumerate(definitions.executable_processes, start=1):
            driver.engines[process.id] = Engine(Definition(process, 100 + version, 1))
        return driver

    def keys(self) -> int:
        return next(self.counter)

    # -- commands ---------------------------------------------------------------------------

    def start(
        self,
        process_id: str | None = None,
        variables: Mapping[str, Any] | None = None,
        *,
        start_at: tuple[str, ...] = (),
        parent: tuple[int, int] | None = None,
    ) -> int:
        engine = self.engines[process_id or next(iter(self.engines))]
        command = CreateInstance(
            dict(variables or {}),
            start_at,
            parent[0] if parent else None,
            parent[1] if parent else None,
        )
        step = engine.apply(None, command, now=self.now, keys=self.keys)
        key = step.state.key
        if parent:
            self.children[parent[1]] = (parent[0], key)
        self.states[key] = step.state
        self._effects(key, step.effects)
        return key

    def apply(self, instance: int, command: Command) -> None:
        state = self.states[instance]
        step = self.engines[state.bpmn_process_id].apply(
            state, command, now=self.now, keys=self.keys
        )
        self.states[instance] = step.state
        self._effects(instance, step.effects)

    def job(self, job_type: str) -> JobCreated:
        """The oldest workable job of a type."""
        for key, (_, job) in sorted(self.jobs.items()):
            if job.type == job_type and self.retries.get(key, job.retries) > 0:
                return job
        raise AssertionError(f"no open job of type {job_type!r}: {self.open_job_types()}")

    def job_variables(self, job_type: str) -> dict[str, Any]:
        """The variables a worker activating the job now would get."""
        job = self.job(job_type)
        return visible_variables(self.states[self.jobs[job.key][0]], job.element_instance_key)

    def open_job_types(self) -> list[str]:
        return [job.type for _, job in sorted(self.jobs.values(), key=lambda v: v[1].key)]

    def complete(self, job_type: str, variables: Mapping[str, Any] | None = None) -> None:
        job = self.job(job_type)
        instance = self.jobs[job.key][0]
        self.apply(instance, CompleteJob(job.key, dict(variables or {})))

    def fail(self, job_type: str, retries: int, message: str = "") -> None:
        job = self.job(job_type)
        self.apply(self.jobs[job.key][0], FailJob(job.key, retries, message))

    def throw(
        self,
        job_type: str,
        code: str,
        message: str = "",
        variables: Mapping[str, Any] | None = None,
    ) -> None:
        job = self.job(job_type)
        self.apply(self.jobs[job.key][0], ThrowError(job.key, code, message, dict(variables or {})))

    def update_retries(self, job_key: int, retries: int) -> None:
        self.apply(self.jobs[job_key][0], UpdateJobRetries(job_key, retries))

    def resolve(self, incident_key: int) -> None:
        self.apply(self.incidents[incident_key][0], ResolveIncident(incident_key))

    def cancel(self, instance: int) -> None:
        self.apply(instance, CancelInstance())

    def complete_user_task(
        self, element_id: str, variables: Mapping[str, Any] | None = None
    ) -> None:
        for key, (instance, task) in sorted(self.user_tasks.items()):
            if task.element_id == element_id:
                self.apply(instance, CompleteUserTask(key, dict(variables or {})))
                return
        raise AssertionError(f"no user task {element_id!r}")

    def advance(self, ms: int) -> None:
        """Move the clock, firing every timer that falls due, in due order."""
        until = self.now + ms
        while True:
            due = sorted((t.due, k) for k, (_, t) in self.timers.items() if t.due <= until)
            if not due:
                break
            at, key = due[0]
            self.now = max(self.now, at)
            instance = self.timers.pop(key)[0]
            self.apply(instance, TriggerTimer(key))
        self.now = until

    def publish(
        self, name: str, correlation_key: str, variables: Mapping[str, Any] | None = None
    ) -> None:
        """Correlate to the oldest matching subscription, else buffer the message."""
        for key, (instance, sub) in sorted(self.subscriptions.items()):
            if (
                sub.kind == "MESSAGE"
                and sub.name == name
                and sub.correlation_key == correlation_key
            ):
                self.apply(instance, CorrelateMessage(key, dict(variables or {})))
                return
        self.buffered.append((name, correlation_key, dict(variables or {})))

    def signal(self, name: str, variables: Mapping[str, Any] | None = None) -> None:
        targets = sorted(
            {i for i, s in self.subscriptions.values() if s.kind == "SIGNAL" and s.name == name}
        )
        for instance in targets:
            if instance in self.states:
                self.apply(instance, BroadcastSignal(name, dict(variables or {})))

    # -- effects ----------------------------------------------------------------------------

    def _effects(self, instance: int, effects: list[Effect]) -> None:  # noqa: C901
        followups: list[tuple[str, Any]] = []
        for effect in effects:
            self.effects.append((instance, effect))
            if isinstance(effect, JobCreated):
                self.jobs[effect.key] = (instance, effect)
            elif isinstance(effect, JobCanceled):
                self.jobs.pop(effect.key, None)
            elif isinstance(effect, JobRetriesChanged):
                self.retries[effect.key] = effect.retries
            elif isinstance(effect, TimerScheduled):
                self.timers[effect.key] = (instance, effect)
            elif isinstance(effect, TimerCanceled):
                self.timers.pop(effect.key, None)
            elif isinstance(effect, SubscriptionOpened):
                self.subscriptions[effect.key] = (instance, effect)
                if effect.kind == "MESSAGE":
                    followups.append(("buffered", effect.key))
            elif isinstance(effect, SubscriptionClosed):
                self.subscriptions.pop(effect.key, None)
            elif isinstance(effect, IncidentCreated):
                self.incidents[effect.key] = (instance, effect)
            elif isinstance(effect, IncidentResolved):
                self.incidents.pop(effect.key, None)
            elif isinstance(effect, UserTaskCreated):
                self.user_tasks[effect.element_instance_key] = (instance, effect)
            elif isinstance(effect, UserTaskCanceled):
                self.user_tasks.pop(effect.element_instance_key, None)
            elif isinstance(effect, SignalThrown):
                followups.append(("signal", effect))
            elif isinstance(effect, ChildRequested):
                followups.append(("child", effect))
            elif isinstance(effect, ChildCanceled):
                followups.append(("cancel-child", effect.element_instance_key))
            elif isinstance(effect, InstanceCompleted | InstanceTerminated):
                state = "COMPLETED" if isinstance(effect, InstanceCompleted) else "TERMINATED"
                self.ended[instance] = Ended(state, effect.variables)
                if isinstance(effect, InstanceCompleted):
                    followups.append(("returned", (instance, effect)))
        for key in [k for k, (i, _) in self.jobs.items() if i == instance]:
            if self.jobs[key][1].element_instance_key not in self.states[instance].elements:
                self.jobs.pop(key)
        self.user_tasks = {
            k: v
            for k, v in self.user_tasks.items()
            if v[0] != instance or k in self.states[instance].elements
        }
        for kind, value in followups:
            self._follow(instance, kind, value)

    def _follow(self, instance: int, kind: str, value: Any) -> None:  # noqa: C901
        if kind == "signal":
            self.signal(value.name, value.variables)
        elif kind == "child":
            self.start(
                value.bpmn_process_id,
                value.variables,
                parent=(instance, value.element_instance_key),
            )
        elif kind == "cancel-child":
            child = self.children.get(value)
            if child is not None and self.states[child[1]].state == "ACTIVE":
                self.cancel(child[1])
        elif kind == "returned":
            _, effect = value
            if effect.parent_element_instance_key is not None:
                parent = self.children[effect.parent_element_instance_key][0]
                if self.states[parent].state == "ACTIVE":
                    self.apply(
                        parent, CompleteChild(effect.parent_element_instance_key, effect.variables)
                    )
        elif kind == "buffered" and value in self.subscriptions:
            _, sub = self.subscriptions[value]
            for index, (name, correlation_key, variables) in enumerate(self.buffered):
                if name == sub.name and correlation_key == sub.correlation_key:
                    del self.buffered[index]
                    self.apply(instance, CorrelateMessage(value, variables))
                    return

    # -- reading ----------------------------------------------------------------------------

    def status(self, instance: int) -> str:
        return self.states[instance].state

    def variables(self, instance: int) -> dict[str, Any]:
        """The process-level variables (as they were at the end, for an ended instance)."""
        if instance in self.ended:
            return self.ended[instance].variables
        return dict(self.states[instance].variables.get(instance, {}))

    def history(self, instance: int, state: str = "ELEMENT_COMPLETED") -> list[str]:
        """The element ids that reached ``state``, in order (the process itself left out)."""
        return [
            e.element_id
            for i, e in self.effects
            if i == instance
            and isinstance(e, ElementChanged)
            and e.state == state
            and e.type != "PROCESS"
            and e.type != "MULTI_INSTANCE_BODY"
        ]

    def active(self, instance: int) -> list[str]:
        """The element ids of the instance's active elements (scopes included)."""
        return [
            e.element_id
            for e in self.states[instance].elements.values()
            if e.type not in ("PROCESS", "MULTI_INSTANCE_BODY")
        ]

    def open_incidents(self, instance: int | None = None) -> list[IncidentCreated]:
        return [e for i, e in self.incidents.values() if instance is None or i == instance]
