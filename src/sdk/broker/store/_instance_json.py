"""An instance's engine state (``engine.InstanceState``) as JSON text, and back.

The store keeps one such document per running instance beside its projections (element
instances, variables, incidents): it is what the next command on the instance starts from.
Dictionaries keyed by integers become lists of records (JSON object keys are strings), and
element states are stored by their value. ``loads(dumps(state)) == state`` for every state.
"""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

from ..engine import (
    ElementInstance,
    ElementState,
    Incident,
    InstanceState,
    Job,
    Subscription,
    Timer,
)

FORMAT = 1
"""The document's version: a future change of the state's shape reads older documents."""


def dumps(state: InstanceState) -> str:
    """The state as compact JSON text."""
    document: dict[str, Any] = {
        "format": FORMAT,
        "key": state.key,
        "processDefinitionKey": state.process_definition_key,
        "bpmnProcessId": state.bpmn_process_id,
        "version": state.version,
        "elements": [
            {**_record(element), "state": element.state.value}
            for element in state.elements.values()
        ],
        "variables": [[scope, values] for scope, values in state.variables.items()],
        "jobs": [_record(job) for job in state.jobs.values()],
        "timers": [_record(timer) for timer in state.timers.values()],
        "subscriptions": [_record(s) for s in state.subscriptions.values()],
        "incidents": [_record(incident) for incident in state.incidents.values()],
        "takenFlows": state.taken_flows,
        "parentElementInstanceKey": state.parent_element_instance_key,
        "parentProcessInstanceKey": state.parent_process_instance_key,
        "state": state.state,
    }
    return json.dumps(document, separators=(",", ":"))


_NAMES: dict[type, tuple[str, ...]] = {}


def _names(cls: type) -> tuple[str, ...]:
    names = _NAMES.get(cls)
    if names is None:
        names = _NAMES[cls] = tuple(f.name for f in fields(cls))
    return names


def _record(item: Any) -> dict[str, Any]:
    """A state record's fields, shallow: ``json.dumps`` copies nothing, so ``asdict``'s deep
    copy of every nested value would be work thrown away on each command."""
    return {name: getattr(item, name) for name in _names(type(item))}


def _known(cls: type, record: dict[str, Any]) -> dict[str, Any]:
    """The record's fields that ``cls`` has (a newer writer's extra fields are dropped)."""
    names = _names(cls)
    return {name: value for name, value in record.items() if name in names}


def loads(text: str | bytes) -> InstanceState:
    """The state stored by ``dumps``."""
    document = json.loads(text)
    if document.get("format") != FORMAT:
        raise ValueError(f"unknown instance state format {document.get('format')!r}")
    elements: dict[int, ElementInstance] = {}
    for record in document["elements"]:
        element = ElementInstance(**_known(ElementInstance, record))
        element.state = ElementState(record["state"])
        elements[element.key] = element
    jobs = [Job(**_known(Job, r)) for r in document["jobs"]]
    timers = [Timer(**_known(Timer, r)) for r in document["timers"]]
    subscriptions = [Subscription(**_known(Subscription, r)) for r in document["subscriptions"]]
    incidents = [Incident(**_known(Incident, r)) for r in document["incidents"]]
    return InstanceState(
        key=document["key"],
        process_definition_key=document["processDefinitionKey"],
        bpmn_process_id=document["bpmnProcessId"],
        version=document["version"],
        elements=elements,
        variables={int(scope): values for scope, values in document["variables"]},
        jobs={job.key: job for job in jobs},
        timers={timer.key: timer for timer in timers},
        subscriptions={s.key: s for s in subscriptions},
        incidents={incident.key: incident for incident in incidents},
        taken_flows=list(document["takenFlows"]),
        parent_element_instance_key=document["parentElementInstanceKey"],
        parent_process_instance_key=document["parentProcessInstanceKey"],
        state=document["state"],
    )
