"""Multi-instance: a body over the input collection, inner instances each with its item and
``loopCounter``, the output collection filled by index, and the completion condition.

As Zeebe: the output collection is a local variable of the body (initialised with one ``null``
per item) that goes to the body's flow scope when the body completes; each inner instance gets
local ``inputElement``, a local ``null`` for an output element that names a plain variable
(other than the input element and ``loopCounter``), so a job's or a message's variable of that
name stays on the inner instance, and a local ``loopCounter`` (1-based). The completion
condition sees the inner instance's variables, overridden by ``numberOfInstances`` (inner
instances created so far: the collection's size in parallel, the running count in sequence),
``numberOfActiveInstances`` (other than the completing one), ``numberOfCompletedInstances``
(counting the completing one) and ``numberOfTerminatedInstances``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ...bpmn import Expr, FlowNode
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
    else:
        # Zeebe writes the inner activations as commands after the body's ACTIVATED: each
        # inner instance is ACTIVATING and ACTIVATED in turn, what they start comes after.
        for _ in items[:1] if loop.sequential else items:
            run.later(lambda: _spawn_if_active(run, body, node))


def _spawn_if_active(run: Run, body: ElementInstance, node: FlowNode) -> None:
    if run.state.elements.get(body.key) is body and body.state is ElementState.ACTIVATED:
        spawn(run, body, node)


def spawn(run: Run, body: ElementInstance, node: FlowNode) -> None:
    loop = node.multi_instance
    assert loop is not None and body.loop is not None
    index = body.loop_counter
    body.loop_counter += 1
    local: dict[str, object] = {}
    if loop.input_element:
        local[loop.input_element] = body.loop[index]
    output = _variable_name(loop.output_element)
    if output is not None and output not in (loop.input_element, "loopCounter"):
        local[output] = None
    local["loopCounter"] = index + 1
    run.enter_instance(node, body.key, local=local)


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _variable_name(value: object) -> str | None:
    """The variable an output element names, when it is a plain variable reference."""
    if isinstance(value, Expr):
        text = value.text.strip()
        return text if _NAME.fullmatch(text) else None
    return None


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
            "numberOfInstances": body.loop_counter,
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
