"""BPMN text for the engine tests: a process body wrapped in definitions, and small builders."""

from __future__ import annotations

from itertools import pairwise

NAMESPACES = (
    'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
    ' xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"'
)


def model(body: str, roots: str = "", *, process_id: str = "p", more: str = "") -> str:
    """A file with one executable process holding ``body`` (and ``more`` processes)."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions {NAMESPACES} id="defs">'
        f'<bpmn:process id="{process_id}" isExecutable="true">{body}</bpmn:process>'
        f"{more}{roots}</bpmn:definitions>"
    )


def flow(flow_id: str, source: str, target: str, condition: str | None = None) -> str:
    if condition is None:
        return f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}"/>'
    return (
        f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}">'
        f"<bpmn:conditionExpression>{condition}</bpmn:conditionExpression></bpmn:sequenceFlow>"
    )


def chain(*ids: str, prefix: str = "f") -> str:
    """Sequence flows chaining ``ids`` in order."""
    return "".join(flow(f"{prefix}{i}", a, b) for i, (a, b) in enumerate(pairwise(ids), start=1))


def service(element_id: str, job_type: str | None = None, extra: str = "", attrs: str = "") -> str:
    """A service task with a job type (its id by default) and extension elements."""
    return (
        f'<bpmn:serviceTask id="{element_id}"{attrs}><bpmn:extensionElements>'
        f'<zeebe:taskDefinition type="{job_type or element_id}"/>{extra}'
        "</bpmn:extensionElements></bpmn:serviceTask>"
    )


def io(inputs: dict[str, str] | None = None, outputs: dict[str, str] | None = None) -> str:
    """A ``zeebe:ioMapping`` (target → source)."""
    parts = [f'<zeebe:input source="{s}" target="{t}"/>' for t, s in (inputs or {}).items()]
    parts += [f'<zeebe:output source="{s}" target="{t}"/>' for t, s in (outputs or {}).items()]
    return f"<zeebe:ioMapping>{''.join(parts)}</zeebe:ioMapping>"


def straight(*middle: str) -> str:
    """start → the elements → end, wired by each element's id."""
    import re

    ids = [re.search(r'id="([^"]+)"', m).group(1) for m in middle]  # type: ignore[union-attr]
    return (
        '<bpmn:startEvent id="start"/>'
        + "".join(middle)
        + '<bpmn:endEvent id="end"/>'
        + chain("start", *ids, "end")
    )
