"""Multi-instance: a body over the input collection, inner instances each with its item and
``loopCounter``, the output collection filled by index, and the completion condition."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...bpmn import FlowNode
from ._expressions import evaluate, expect
from ._incidents import CONDITION_ERROR
from ._state import MULTI_INSTANCE_BODY, ElementInstance, ElementState
from ._variables import propagate, set_local

if TYPE_CHECKING:
    from ._run import Run


def enter_body(run: Run, node: FlowNode, scope_key: int) -> ElementInstance:
    body = ElementInstance(run.keys(), node.id, MULTI_INSTANCE_BODY, scope_key)
    run.state.elements[body.key] = body
    run.move(body, ElementState.ACTIVATING)
    run.guard(body, "activate", lambda: activate_body(run, body, node))
    return body


def activate_body(run: Run, body: ElementInstance, node: FlowNode) -> None:
    loop = node.multi_instance
    assert loop is not None and loop.input_collection is not None
    items = expect(loop.input_collection, "ARRAY", run.variables(body.key), run.now)
    body.loop = list(items)
    if loop.output_collection:
        set_local(run.state, run.emit, body.key, loop.output_collection, [None] * len(items))
    run.move(body, ElementState.ACTIVATED)
    run.open_boundaries(body, node)
    if not items:
        run.complete(body)
    elif loop.sequential:
        spawn(run, body, node)
    else:
        for _ in items:
            spawn(run, body, node)


def spawn(run: Run, body: ElementInstance, node: FlowNode) -> None:
    loop = node.multi_instance
    assert loop is not None and body.loop is not None
    index = body.loop_counter
    body.loop_counter += 1
    local = {"loopCounter": index + 1}
    if loop.input_element:
        local = {loop.input_element: body.loop[index], **local}
    run.enter_instance(node, body.key, local=local)


def collect(run: Run, inner: ElementInstance, node: FlowNode) -> None:
    """Before an inner instance leaves: its output element, and the completion condition."""
    loop = node.multi_instance
    body = run.state.elements[inner.flow_scope_key or -1]
    assert loop is not None and body.loop is not None
    variables = run.variables(inner.key)
    if loop.output_collection and loop.output_element is not None:
        value = evaluate(loop.output_element, variables, run.now)
        current = list(run.state.variables.get(body.key, {}).get(loop.output_collection) or [])
        index = int(variables.get("loopCounter", 1)) - 1
        if 0 <= index < len(current):
            current[index] = value
        set_local(run.state, run.emit, body.key, loop.output_collection, current)
    if loop.completion_condition is not None:
        active = len(run.state.children(body.key)) - 1
        counters = {
            "numberOfInstances": len(body.loop),
            "numberOfActiveInstances": active,
            "numberOfCompletedInstances": body.completed + 1,
            "numberOfTerminatedInstances": 0,
        }
        context = {**run.variables(inner.key), **counters}
        if expect(loop.completion_condition, "BOOLEAN", context, run.now, CONDITION_ERROR):
            body.done = True


def inner_completed(run: Run, body: ElementInstance, node: FlowNode) -> None:
    body.completed += 1
    assert body.loop is not None
    loop = node.multi_instance
    assert loop is not None
    if body.done:
        for child in run.state.children(body.key):
            run.terminate(child)
        run.complete(body)
    elif loop.sequential and body.loop_counter < len(body.loop):
        spawn(run, body, node)
    elif body.completed >= len(body.loop) and not run.state.children(body.key):
        run.complete(body)


def finish_body(run: Run, body: ElementInstance, node: FlowNode) -> None:
    """The output collection goes to the body's flow scope as the body completes."""
    loop = node.multi_instance
    assert loop is not None and body.flow_scope_key is not None
    if loop.output_collection:
        value = run.state.variables.get(body.key, {}).get(loop.output_collection)
        propagate(run.state, run.emit, body.flow_scope_key, {loop.output_collection: value})
