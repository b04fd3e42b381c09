"""One command's run over one instance: the element lifecycle as Zeebe's processors drive it.

Follow-up steps go through a first-in-first-out queue, as Zeebe's follow-up commands do, so
parallel branches advance in the order Zeebe's history shows. A step that fails raises
``Failure``; the element then waits in an incident until it is resolved.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ...bpmn import ElementType, EventKind, FlowNode, Process
from . import _flow
from ._effects import (
    ChildCanceled,
    ChildRequested,
    Effect,
    ElementChanged,
    FlowTaken,
    IncidentCreated,
    IncidentResolved,
    InstanceCompleted,
    InstanceTerminated,
    JobCanceled,
    JobCreated,
    SignalThrown,
    SubscriptionClosed,
    SubscriptionOpened,
    TimerCanceled,
    TimerScheduled,
    UserTaskCanceled,
    UserTaskCreated,
)
from ._expressions import evaluate, expect
from ._incidents import EXTRACT_VALUE_ERROR, Failure
from ._state import (
    MULTI_INSTANCE_BODY,
    PROCESS,
    ElementInstance,
    ElementState,
    Incident,
    InstanceState,
    Job,
    Subscription,
    Timer,
)
from ._timers import cron_of, schedule
from ._variables import apply_mappings, propagate, set_local, visible

S = ElementState
T = ElementType


@dataclass(frozen=True)
class Definition:
    """A deployed process: the model and the keys Zeebe's records carry.

    Attributes:
        process: The parsed model.
        key: The process definition key.
        version: The definition's version.
    """

    process: Process
    key: int
    version: int


class Run:
    """The mutable context of one command: the state being changed and the effects so far."""

    def __init__(
        self, definition: Definition, state: InstanceState, now: int, keys: Callable[[], int]
    ) -> None:
        self.definition = definition
        self.process = definition.process
        self.state = state
        self.now = now
        self.keys = keys
        self.effects: list[Effect] = []
        self.queue: deque[Callable[[], None]] = deque()
        self.transit: list[tuple[int, str]] = []
        self.armed: dict[tuple[int, str], Mapping[str, Any]] = {}

    # -- plumbing ---------------------------------------------------------------------------

    def emit(self, effect: Effect) -> None:
        self.effects.append(effect)

    def later(self, step: Callable[[], None]) -> None:
        self.queue.append(step)

    def drain(self) -> None:
        while self.queue:
            self.queue.popleft()()

    def variables(self, scope_key: int) -> dict[str, Any]:
        return visible(self.state, scope_key)

    def node(self, element: ElementInstance) -> FlowNode:
        return self.process.element(element.element_id)

    def move(self, element: ElementInstance, state: ElementState) -> None:
        element.state = state
        self.emit(
            ElementChanged(
                element.key, element.element_id, element.type, state.value, element.flow_scope_key
            )
        )

    def guard(self, element: ElementInstance, phase: str, step: Callable[[], None]) -> None:
        """Run a step; a failure becomes an incident that retries the step when resolved."""
        try:
            step()
        except Failure as failure:
            self.incident(element, failure.error_type, failure.message, phase)

    def incident(
        self,
        element: ElementInstance,
        error_type: str,
        message: str,
        phase: str,
        job_key: int | None = None,
    ) -> None:
        key = self.keys()
        self.state.incidents[key] = Incident(
            key, element.key, element.element_id, error_type, message, phase, job_key
        )
        self.emit(
            IncidentCreated(key, error_type, message, element.key, element.element_id, job_key)
        )

    def is_inner(self, element: ElementInstance) -> bool:
        """An inner instance of a multi-instance body."""
        scope = self.state.elements.get(element.flow_scope_key or -1)
        return scope is not None and scope.type == MULTI_INSTANCE_BODY

    # -- the instance -----------------------------------------------------------------------

    def start(self, variables: Mapping[str, Any], start_at: tuple[str, ...]) -> None:
        root = ElementInstance(self.state.key, self.process.id, PROCESS, None)
        self.state.elements[root.key] = root
        self.move(root, S.ACTIVATING)
        for name, value in variables.items():
            set_local(self.state, self.emit, root.key, name, value)
        self.move(root, S.ACTIVATED)
        self.guard(root, "activate", lambda: self.open_event_sub_processes(root))
        if start_at:
            for element_id in start_at:
                self.enter(element_id, root.key)
        else:
            start = self.process.none_start_event()
            if start is not None:
                self.enter(start.id, root.key)
        self.later(lambda: self.maybe_complete_scope(root.key))

    def cancel(self) -> None:
        root = self.state.elements.get(self.state.key)
        if root is None:
            return
        self.terminate(root)
        self.state.state = "TERMINATED"
        self.emit(InstanceTerminated(self.state.key, dict(self.state.variables.get(root.key, {}))))

    # -- tokens -----------------------------------------------------------------------------

    def take(self, scope_key: int, flow_id: str) -> None:
        scope = self.state.elements[scope_key]
        scope.active_flows += 1
        self.state.taken_flows.append(flow_id)
        self.emit(FlowTaken(flow_id, scope_key))
        target = self.process.flow(flow_id).target
        self.transit.append((scope_key, target))
        self.later(lambda: self.arrive(scope_key, flow_id, target))

    def arrive(self, scope_key: int, flow_id: str, target: str) -> None:
        self.transit.remove((scope_key, target))
        scope = self.state.elements.get(scope_key)
        if scope is None or scope.state is not S.ACTIVATED or scope.interrupted:
            return
        node = self.process.element(target)
        if not _flow.is_join(node):
            scope.active_flows -= 1
            self.enter(target, scope_key)
            return
        taken = scope.joins.setdefault(target, [])
        taken.append(flow_id)
        self.check_join(scope, node)

    def check_join(self, scope: ElementInstance, node: FlowNode) -> None:
        taken = scope.joins.get(node.id, [])
        if not taken:
            return
        if node.type is T.PARALLEL_GATEWAY:
            ready = _flow.parallel_ready(node, taken)
        else:
            live = [c.element_id for c in self.state.children(scope.key)]
            live += [t for k, t in self.transit if k == scope.key]
            ready = _flow.inclusive_ready(self.process, node, taken, live)
        if ready:
            scope.active_flows -= _flow.consume(node, taken)
            self.enter(node.id, scope.key)

    def recheck_inclusive_joins(self, scope: ElementInstance) -> None:
        for gateway_id, taken in list(scope.joins.items()):
            node = self.process.element(gateway_id)
            if taken and node.type is T.INCLUSIVE_GATEWAY:
                self.check_join(scope, node)

    # -- activation -------------------------------------------------------------------------

    def enter(
        self, element_id: str, scope_key: int, trigger: Mapping[str, Any] | None = None
    ) -> ElementInstance:
        """Activate an element in a scope (a multi-instance activity gets its body first).
        ``trigger`` holds the variables of the event that activates a catch event."""
        node = self.process.element(element_id)
        trigger = self.armed.pop((scope_key, element_id), trigger)
        if node.multi_instance is not None:
            from ._multi import enter_body

            return enter_body(self, node, scope_key)
        return self.enter_instance(node, scope_key, trigger)

    def enter_instance(
        self,
        node: FlowNode,
        scope_key: int,
        trigger: Mapping[str, Any] | None = None,
        local: Mapping[str, Any] | None = None,
    ) -> ElementInstance:
        element = ElementInstance(self.keys(), node.id, node.type.value, scope_key)
        self.state.elements[element.key] = element
        self.move(element, S.ACTIVATING)
        for name, value in (local or {}).items():
            set_local(self.state, self.emit, element.key, name, value)
        if trigger is not None:
            element.pending = dict(trigger)
        self.guard(element, "activate", lambda: self.activate(element, node))
        return element

    def enter_child(
        self,
        node: FlowNode,
        scope_key: int,
        trigger: Mapping[str, Any] | None = None,
        local: Mapping[str, Any] | None = None,
    ) -> None:
        """A follow-up activation in a scope (Zeebe writes it as a command once the scope is
        ACTIVATED, so it comes after what was already queued); dropped when the scope was left
        meanwhile."""
        scope = self.state.elements.get(scope_key)
        if scope is not None and scope.state is S.ACTIVATED:
            self.enter_instance(node, scope_key, trigger, local)

    def activate(self, element: ElementInstance, node: FlowNode) -> None:  # noqa: C901
        """Zeebe's onActivate: input mappings, subscriptions, then what the element does."""
        if node.io.inputs:
            produced = apply_mappings(node.io.inputs, self.variables(element.key), self.now)
            for name, value in produced.items():
                set_local(self.state, self.emit, element.key, name, value)
        kind = node.type
        if node.is_activity and not self.is_inner(element):
            self.open_boundaries(element, node)
        if kind is T.SUB_PROCESS or kind is T.EVENT_SUB_PROCESS:
            self.move(element, S.ACTIVATED)
            self.open_event_sub_processes(element)
            start = self.process.none_start_event(node.id)
            if kind is T.EVENT_SUB_PROCESS:
                starts = self.process.start_events(node.id)
                start = starts[0] if starts else None
            if start is not None:
                trigger = element.pending if kind is T.EVENT_SUB_PROCESS else None
                element.pending = None
                self.later(lambda: self.enter_child(start, element.key, trigger or {}))
            return
        if node.job is not None and not (kind is T.SCRIPT_TASK and node.script is not None):
            job = self.create_job(element, node)
            self.move(element, S.ACTIVATED)
            self.emit(job)
            return
        if kind is T.SCRIPT_TASK and node.script is not None:
            result = evaluate(node.script.expression, self.variables(element.key), self.now)
            element.pending = {node.script.result_variable: result}
            self.move(element, S.ACTIVATED)
            self.complete(element)
            return
        if kind is T.USER_TASK and node.user_task is not None:
            attributes = self.user_task_attributes(element, node)
            self.move(element, S.ACTIVATED)
            self.emit(UserTaskCreated(element.key, node.id, attributes))
            return
        if kind is T.CALL_ACTIVITY and node.called_element is not None:
            self.call(element, node)
            return
        if kind is T.RECEIVE_TASK:
            self.move(element, S.ACTIVATED)
            if node.message is not None:
                self.subscribe_message(element, node, node.message, True)
            return
        if kind in (T.EXCLUSIVE_GATEWAY, T.INCLUSIVE_GATEWAY):
            chosen = _flow.choose(self.process, node, self.variables(element.key), self.now)
            self.move(element, S.ACTIVATED)
            self.complete(element, [f.id for f in chosen])
            return
        if kind is T.EVENT_BASED_GATEWAY:
            self.move(element, S.ACTIVATED)
            for flow in self.process.outgoing(node.id):
                self.open_catch(element, self.process.element(flow.target), True)
            return
        if kind is T.INTERMEDIATE_CATCH_EVENT and element.pending is None:
            if node.event_kind is not EventKind.LINK:
                self.move(element, S.ACTIVATED)
                self.open_catch(element, node, True)
                return
        if kind in (T.END_EVENT, T.INTERMEDIATE_THROW_EVENT):
            from ._events import throw

            if throw(self, element, node):
                return
        self.move(element, S.ACTIVATED)
        self.complete(element)

    # -- completion -------------------------------------------------------------------------

    def complete(self, element: ElementInstance, flows: list[str] | None = None) -> None:
        self.guard(element, "complete", lambda: self.finish(element, flows))

    def finish(self, element: ElementInstance, flows: list[str] | None) -> None:
        """Zeebe's onComplete: output mappings, leave the element, take its flows."""
        if element.state is not S.COMPLETING:
            self.move(element, S.COMPLETING)
        if element.type == PROCESS:
            self.close_owned(element)
            self.move(element, S.COMPLETED)
            del self.state.elements[element.key]
            self.state.state = "COMPLETED"
            self.emit(
                InstanceCompleted(
                    element.key,
                    dict(self.state.variables.get(element.key, {})),
                    self.state.parent_element_instance_key,
                )
            )
            return
        node = self.node(element)
        self.apply_outputs(element, node)
        if element.type == MULTI_INSTANCE_BODY:
            from ._multi import finish_body

            finish_body(self, element, node)
        elif self.is_inner(element):
            from ._multi import collect

            collect(self, element, node)
        self.close_owned(element)
        self.move(element, S.COMPLETED)
        del self.state.elements[element.key]
        self.state.variables.pop(element.key, None)
        self.after(element, node, flows)

    def apply_outputs(self, element: ElementInstance, node: FlowNode) -> None:
        pending, element.pending = element.pending, None
        if element.type == MULTI_INSTANCE_BODY:
            return
        scope_key = element.flow_scope_key
        assert scope_key is not None
        if self.is_inner(element):
            scope_key = element.key
        if node.io.outputs:
            for name, value in (pending or {}).items():
                set_local(self.state, self.emit, element.key, name, value)
            produced = apply_mappings(
                node.io.outputs, self.variables(element.key), self.now, output=True
            )
            propagate(self.state, self.emit, scope_key, produced)
        elif pending:
            propagate(self.state, self.emit, element.key, pending)
        elif node.type is T.BOUNDARY_EVENT and node.event_kind is not EventKind.ERROR:
            local = dict(self.state.variables.get(element.key, {}))
            if local:
                propagate(self.state, self.emit, scope_key, local)

    def after(self, element: ElementInstance, node: FlowNode, flows: list[str] | None) -> None:
        """Where the token goes once an element completed."""
        scope_key = element.flow_scope_key
        assert scope_key is not None
        scope = self.state.elements.get(scope_key)
        if scope is None:
            return
        if scope.type == MULTI_INSTANCE_BODY:
            from ._multi import inner_completed

            inner_completed(self, scope, self.node(scope))
            return
        if node.event_kind is EventKind.TERMINATE:
            for child in self.state.children(scope_key):
                self.terminate(child)
            scope.active_flows = 0
            scope.joins.clear()
            self.complete(scope)
            return
        if node.type is T.INTERMEDIATE_THROW_EVENT and node.event_kind is EventKind.LINK:
            assert node.event is not None and node.event.link_name is not None
            target = self.process.link_catch(node.scope, node.event.link_name)
            if target is not None:
                self.enter(target.id, scope_key)
                return
        for flow_id in node.outgoing if flows is None else flows:
            self.take(scope_key, flow_id)
        self.later(lambda: self.maybe_complete_scope(scope_key))

    def maybe_complete_scope(self, scope_key: int) -> None:
        scope = self.state.elements.get(scope_key)
        if scope is None or scope.state is not S.ACTIVATED or scope.type == MULTI_INSTANCE_BODY:
            return
        self.recheck_inclusive_joins(scope)
        if scope.active_flows or self.state.children(scope_key):
            return
        if any(k == scope_key for k, _ in self.transit):
            return
        self.complete(scope)

    # -- termination ------------------------------------------------------------------------

    def terminate(self, element: ElementInstance) -> None:
        """Terminate an element and everything in it (children first), cancelling what it
        owns. The caller decides what happens next."""
        if element.key not in self.state.elements:
            return
        self.move(element, S.TERMINATING)
        for child in self.state.children(element.key):
            self.terminate(child)
        self.close_owned(element)
        for key, incident in list(self.state.incidents.items()):
            if incident.element_instance_key == element.key:
                del self.state.incidents[key]
                self.emit(IncidentResolved(key))
        if element.type == T.USER_TASK.value and self.node(element).user_task is not None:
            if self.node(element).user_task.camunda_user_task:  # type: ignore[union-attr]
                self.emit(UserTaskCanceled(element.key))
        if element.type == T.CALL_ACTIVITY.value and element.state is not S.ACTIVATING:
            self.emit(ChildCanceled(element.key))
        self.move(element, S.TERMINATED)
        del self.state.elements[element.key]
        if element.type != PROCESS:
            self.state.variables.pop(element.key, None)

    def close_owned(self, element: ElementInstance) -> None:
        """Cancel the jobs, timers and subscriptions an element instance owns."""
        for key, job in list(self.state.jobs.items()):
            if job.element_instance_key == element.key:
                del self.state.jobs[key]
                self.emit(JobCanceled(key))
        for key, timer in list(self.state.timers.items()):
            if timer.element_instance_key == element.key:
                del self.state.timers[key]
                self.emit(TimerCanceled(key))
        for key, subscription in list(self.state.subscriptions.items()):
            if subscription.element_instance_key == element.key:
                del self.state.subscriptions[key]
                self.emit(SubscriptionClosed(key))

    # -- what elements create ---------------------------------------------------------------

    def create_job(self, element: ElementInstance, node: FlowNode) -> JobCreated:
        assert node.job is not None
        variables = self.variables(element.key)
        job_type = expect(node.job.type, "STRING", variables, self.now)
        retries = expect(node.job.retries, "NUMBER", variables, self.now)
        headers = dict(node.job.headers)
        if node.type is T.USER_TASK and node.user_task is not None:
            headers.update(self.user_task_headers(element, node))
        key = self.keys()
        self.state.jobs[key] = Job(key, element.key, node.id, job_type, int(retries), headers)
        return JobCreated(
            key,
            job_type,
            int(retries),
            headers,
            variables,
            element.key,
            node.id,
            self.state.key,
            self.definition.key,
            self.process.id,
            self.definition.version,
        )

    def user_task_attributes(self, element: ElementInstance, node: FlowNode) -> dict[str, Any]:
        task = node.user_task
        assert task is not None
        variables = self.variables(element.key)
        found: dict[str, Any] = {}
        for name in (
            "assignee",
            "candidate_groups",
            "candidate_users",
            "due_date",
            "follow_up_date",
            "form_key",
            "external_reference",
            "priority",
        ):
            value = getattr(task, name)
            if value is not None:
                found[name] = evaluate(value, variables, self.now)
        if task.form_id is not None:
            found["form_id"] = task.form_id
        if node.name:
            found["name"] = node.name  # the element's label, as Camunda names the task
        return found

    def user_task_headers(self, element: ElementInstance, node: FlowNode) -> dict[str, str]:
        import json

        names = {
            "assignee": "io.camunda.zeebe:assignee",
            "candidate_groups": "io.camunda.zeebe:candidateGroups",
            "candidate_users": "io.camunda.zeebe:candidateUsers",
            "due_date": "io.camunda.zeebe:dueDate",
            "follow_up_date": "io.camunda.zeebe:followUpDate",
            "form_key": "io.camunda.zeebe:formKey",
        }
        headers: dict[str, str] = {}
        for name, value in self.user_task_attributes(element, node).items():
            if name not in names or value is None:
                continue
            if name.startswith("candidate"):
                items = value if isinstance(value, list) else str(value).split(",")
                value = json.dumps([str(i).strip() for i in items])
            headers[names[name]] = str(value)
        return headers

    def call(self, element: ElementInstance, node: FlowNode) -> None:
        request = self.child_request(element, node)
        self.move(element, S.ACTIVATED)
        self.emit(request)

    def request_child(self, element: ElementInstance, node: FlowNode) -> None:
        """Ask for the child again (a resolved CALLED_ELEMENT_ERROR incident)."""
        self.emit(self.child_request(element, node))

    def child_request(self, element: ElementInstance, node: FlowNode) -> ChildRequested:
        """The called process id and the variables handed to the child; the store answers
        ``CallFailed`` when no such process can be started."""
        called = node.called_element
        assert called is not None
        variables = self.variables(element.key)
        process_id = expect(called.process_id, "STRING", variables, self.now)
        handed = (
            variables
            if called.propagate_all_parent_variables
            else dict(self.state.variables.get(element.key, {}))
        )
        return ChildRequested(element.key, process_id, handed)

    # -- catch events -----------------------------------------------------------------------

    def open_boundaries(self, element: ElementInstance, node: FlowNode) -> None:
        for boundary in self.process.boundary_events(node.id):
            if boundary.event_kind in (EventKind.TIMER, EventKind.MESSAGE, EventKind.SIGNAL):
                self.open_catch(element, boundary, boundary.interrupting)

    def open_event_sub_processes(self, scope: ElementInstance) -> None:
        scope_id = None if scope.type == PROCESS else scope.element_id
        for sub in self.process.event_sub_processes(scope_id):
            for start in self.process.start_events(sub.id):
                if start.event_kind in (EventKind.TIMER, EventKind.MESSAGE, EventKind.SIGNAL):
                    self.open_catch(scope, start, start.interrupting)

    def open_catch(self, owner: ElementInstance, catch: FlowNode, interrupting: bool) -> None:
        """Subscribe ``owner`` to what ``catch`` waits for (timer, message or signal)."""
        event = catch.event
        if event is None:
            return
        if event.kind is EventKind.TIMER and event.timer is not None:
            variables = self.variables(owner.key)
            due, repetitions, interval = schedule(event.timer, variables, self.now)
            cron = cron_of(event.timer, variables, self.now)
            self.schedule_timer(owner, catch.id, due, repetitions, interval, cron)
        elif event.kind is EventKind.MESSAGE and event.message is not None:
            self.subscribe_message(owner, catch, event.message, interrupting)
        elif event.kind is EventKind.SIGNAL and event.signal is not None:
            assert event.signal.name is not None
            name = expect(event.signal.name, "STRING", self.variables(owner.key), self.now)
            self.subscribe(owner, catch.id, "SIGNAL", name, None, interrupting)

    def schedule_timer(
        self,
        owner: ElementInstance,
        element_id: str,
        due: int,
        repetitions: int,
        interval: int,
        cron: str | None = None,
    ) -> None:
        key = self.keys()
        self.state.timers[key] = Timer(key, owner.key, element_id, due, repetitions, interval, cron)
        self.emit(TimerScheduled(key, owner.key, element_id, due, repetitions))

    def subscribe_message(
        self, owner: ElementInstance, catch: FlowNode, message: Any, interrupting: bool
    ) -> None:
        variables = self.variables(owner.key)
        name = expect(message.name, "STRING", variables, self.now)
        correlation = message.correlation_key
        key_value = evaluate(correlation, variables, self.now) if correlation is not None else None
        if isinstance(key_value, bool) or not isinstance(key_value, str | int | float):
            raise Failure(
                EXTRACT_VALUE_ERROR,
                f"Failed to extract the correlation key for '{getattr(correlation, 'text', '')}': "
                "The value must be either a string or a number, but was "
                f"'{'NULL' if key_value is None else type(key_value).__name__.upper()}'.",
            )
        text = (
            str(int(key_value))
            if isinstance(key_value, float) and key_value.is_integer()
            else str(key_value)
        )
        self.subscribe(owner, catch.id, "MESSAGE", name, text, interrupting)

    def subscribe(
        self,
        owner: ElementInstance,
        element_id: str,
        kind: str,
        name: str,
        correlation_key: str | None,
        interrupting: bool,
    ) -> None:
        key = self.keys()
        self.state.subscriptions[key] = Subscription(
            key, kind, owner.key, element_id, name, correlation_key, interrupting
        )
        self.emit(
            SubscriptionOpened(
                key, kind, name, correlation_key, owner.key, element_id, interrupting
            )
        )

    def signal(self, name: str, variables: dict[str, Any]) -> None:
        self.emit(SignalThrown(name, variables))
