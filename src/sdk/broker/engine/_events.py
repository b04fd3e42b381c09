"""Events: throwing and catching errors and escalations up the scopes, and what happens when
a timer, message or signal reaches the element waiting for it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...bpmn import ElementType, EventKind, FlowNode
from ._effects import SubscriptionClosed, TimerCanceled
from ._expressions import expect
from ._incidents import UNHANDLED_ERROR_EVENT, Failure, unhandled_error_message
from ._state import PROCESS, ElementInstance
from ._timers import UNBOUNDED

if TYPE_CHECKING:
    from ._run import Run

_SCOPES = (PROCESS, ElementType.SUB_PROCESS.value, ElementType.EVENT_SUB_PROCESS.value)


def _code(node: FlowNode, kind: EventKind) -> str | None:
    """A catch event's static code; ``None`` catches every code."""
    event = node.event
    if event is None:
        return None
    thing = event.error if kind is EventKind.ERROR else event.escalation
    code = thing.code if thing is not None else None
    return code if isinstance(code, str) else None


def find_catch(
    run: Run, start: ElementInstance, kind: EventKind, code: str
) -> tuple[ElementInstance, FlowNode] | list[str]:
    """The nearest catch event for an error or escalation thrown in ``start``: at each level
    the scope's event sub-processes, then the activity's boundary events; a matching code
    before a catch-all. Not found: the codes that were available."""
    available: list[str] = []
    current: ElementInstance | None = start
    while current is not None:
        candidates: list[FlowNode] = []
        if current.type in _SCOPES:
            scope_id = None if current.type == PROCESS else current.element_id
            for sub in run.process.event_sub_processes(scope_id):
                candidates.extend(
                    s for s in run.process.start_events(sub.id) if s.event_kind is kind
                )
        if current.type != PROCESS and not run.is_inner(current):
            node = run.process.element(current.element_id)
            if node.is_activity:
                candidates.extend(
                    b for b in run.process.boundary_events(node.id) if b.event_kind is kind
                )
        for wanted in (code, None):
            for candidate in candidates:
                if _code(candidate, kind) == wanted:
                    return current, candidate
        available.extend(c for c in (_code(n, kind) for n in candidates) if c is not None)
        key = current.flow_scope_key
        current = run.state.elements.get(key) if key is not None else None
    return available


def catch(run: Run, owner: ElementInstance, node: FlowNode, variables: Mapping[str, Any]) -> None:
    """Activate the catch event ``node`` of ``owner`` (a boundary event of the activity, or
    an event sub-process start of the scope), interrupting when the event says so."""
    if node.type is ElementType.BOUNDARY_EVENT:
        scope_key = owner.flow_scope_key
        assert scope_key is not None
        if node.interrupting:
            run.terminate(owner)
        run.enter_instance(node, scope_key, variables)
        return
    sub = run.process.element(node.scope)
    if node.interrupting:
        interrupt(run, owner)
    run.enter_instance(sub, owner.key, variables)


def interrupt(run: Run, scope: ElementInstance) -> None:
    """An interrupting event sub-process takes over ``scope``: everything else in it ends,
    and its other event sub-processes stop listening."""
    for child in run.state.children(scope.key):
        run.terminate(child)
    scope_id = None if scope.type == PROCESS else scope.element_id
    starts = {
        s.id
        for sub in run.process.event_sub_processes(scope_id)
        for s in run.process.start_events(sub.id)
    }
    for key, timer in list(run.state.timers.items()):
        if timer.element_instance_key == scope.key and timer.element_id in starts:
            del run.state.timers[key]
            run.emit(TimerCanceled(key))
    for key, sub in list(run.state.subscriptions.items()):
        if sub.element_instance_key == scope.key and sub.element_id in starts:
            del run.state.subscriptions[key]
            run.emit(SubscriptionClosed(key))
    scope.interrupted = True
    scope.active_flows = 0
    scope.joins.clear()


def throw_error(
    run: Run, thrower: ElementInstance, code: str, message: str, variables: Mapping[str, Any]
) -> None:
    """Catch an error thrown in ``thrower``, or raise Zeebe's UNHANDLED_ERROR_EVENT."""
    found = find_catch(run, thrower, EventKind.ERROR, code)
    if isinstance(found, list):
        raise Failure(UNHANDLED_ERROR_EVENT, unhandled_error_message(code, message, found))
    catch(run, found[0], found[1], variables)


def throw(run: Run, element: ElementInstance, node: FlowNode) -> bool:
    """A throw or end event's effect; ``True`` when the element is gone (caught, interrupted)
    and must not complete."""
    event = node.event
    variables = run.variables(element.key)
    if event is None:
        return False
    if event.kind is EventKind.ERROR and event.error is not None and event.error.code is not None:
        code = expect(event.error.code, "STRING", variables, run.now)
        throw_error(run, element, code, "", {})
        return True
    if event.kind is EventKind.ESCALATION and event.escalation is not None:
        raw = event.escalation.code
        code = expect(raw, "STRING", variables, run.now) if raw is not None else ""
        scope = run.state.elements.get(element.flow_scope_key or -1)
        found = find_catch(run, scope, EventKind.ESCALATION, code) if scope else []
        if not isinstance(found, list):
            catch(run, found[0], found[1], {})
        return element.key not in run.state.elements
    if event.kind is EventKind.SIGNAL and event.signal is not None and event.signal.name:
        run.signal(expect(event.signal.name, "STRING", variables, run.now), {})
    return False


def trigger(
    run: Run, owner: ElementInstance, element_id: str, variables: Mapping[str, Any]
) -> None:
    """A timer, message or signal reached the catch event ``element_id`` that ``owner``
    subscribed for."""
    node = run.process.element(element_id)
    if owner.element_id == element_id and owner.type != PROCESS:
        run.close_owned(owner)
        owner.pending = dict(variables)
        run.complete(owner)
    elif owner.type == ElementType.EVENT_BASED_GATEWAY.value:
        run.close_owned(owner)
        scope_key = owner.flow_scope_key
        assert scope_key is not None
        flow = next(f for f in run.process.outgoing(owner.element_id) if f.target == element_id)
        run.armed[(scope_key, element_id)] = dict(variables)
        run.complete(owner, [flow.id])
    else:
        catch(run, owner, node, variables)


def timer_due(run: Run, timer_key: int) -> None:
    timer = run.state.timers.pop(timer_key)
    owner = run.state.elements[timer.element_instance_key]
    node = run.process.element(timer.element_id)
    repeats = timer.repetitions == UNBOUNDED or timer.repetitions > 1
    if repeats and not node.interrupting and timer.interval_ms > 0:
        left = timer.repetitions if timer.repetitions == UNBOUNDED else timer.repetitions - 1
        run.schedule_timer(owner, node.id, timer.due + timer.interval_ms, left, timer.interval_ms)
    trigger(run, owner, timer.element_id, {})


def correlate(run: Run, subscription_key: int, variables: Mapping[str, Any]) -> None:
    subscription = run.state.subscriptions[subscription_key]
    owner = run.state.elements[subscription.element_instance_key]
    if subscription.interrupting or owner.element_id == subscription.element_id:
        del run.state.subscriptions[subscription_key]
        run.emit(SubscriptionClosed(subscription_key))
    trigger(run, owner, subscription.element_id, variables)


def broadcast(run: Run, name: str, variables: Mapping[str, Any]) -> None:
    for key, subscription in list(run.state.subscriptions.items()):
        if subscription.kind != "SIGNAL" or subscription.name != name:
            continue
        if key not in run.state.subscriptions:
            continue
        owner = run.state.elements.get(subscription.element_instance_key)
        if owner is not None:
            correlate(run, key, variables)
