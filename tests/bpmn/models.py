"""Small hand-written BPMN models for the tests: a process body wrapped in a definitions
element, and the helpers that read them."""

from __future__ import annotations

from itertools import pairwise

from sdk.bpmn import Problem, Process, read

from _support.bpmn_models import flow
from _support.bpmn_models import service as service  # the bpmn suite takes it from here

NAMESPACES = (
    'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
    ' xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"'
    ' xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"'
    ' xmlns:di="http://www.omg.org/spec/DD/20100524/DI"'
    ' xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"'
)

JOB = '<bpmn:extensionElements><zeebe:taskDefinition type="{type}"/></bpmn:extensionElements>'


def model(body: str, roots: str = "", *, executable: bool = True, process_id: str = "p") -> str:
    """A file with one process holding ``body``, and ``roots`` (messages, errors...) after it."""
    flag = "true" if executable else "false"
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions {NAMESPACES} id="defs">'
        f'<bpmn:process id="{process_id}" isExecutable="{flag}">{body}</bpmn:process>'
        f"{roots}</bpmn:definitions>"
    )


def flows(*ids: str, prefix: str = "f") -> str:
    """Sequence flows chaining ``ids`` in order (``f1`` from the first to the second...)."""
    return "".join(flow(f"{prefix}{i}", a, b) for i, (a, b) in enumerate(pairwise(ids), start=1))


def straight(*middle: str) -> str:
    """start → the elements (XML given) → end, wired by id (each element's id attribute)."""
    import re

    ids = [re.search(r'id="([^"]+)"', m).group(1) for m in middle]  # type: ignore[union-attr]
    return (
        '<bpmn:startEvent id="start"/>'
        + "".join(middle)
        + '<bpmn:endEvent id="end"/>'
        + flows("start", *ids, "end")
    )


def message(name: str = "order paid", key: str | None = "=orderId", msg_id: str = "m1") -> str:
    """A message root element, with a subscription when ``key`` is given."""
    sub = (
        f'<bpmn:extensionElements><zeebe:subscription correlationKey="{key}"/>'
        "</bpmn:extensionElements>"
        if key is not None
        else ""
    )
    return f'<bpmn:message id="{msg_id}" name="{name}">{sub}</bpmn:message>'


def problems(xml: str) -> tuple[Problem, ...]:
    """Every problem of ``xml``."""
    return read(xml).problems


def process_of(xml: str) -> Process:
    """The one process of a model that must have no problem."""
    result = read(xml)
    assert result.problems == (), [str(p) for p in result.problems]
    return result.definitions.processes[0]


def has_problem(
    found: tuple[Problem, ...], element_id: str | None, element_type: str, text: str
) -> bool:
    """Whether a problem names this element and type and says ``text`` (a fragment)."""
    return any(
        p.element_id == element_id and p.element_type == element_type and text in p.message
        for p in found
    )
