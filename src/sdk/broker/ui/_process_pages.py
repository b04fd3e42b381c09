"""The dashboard's process pages: definitions, instances, and one instance drawn from its model.

Read through the store's face (``JobStore.process_definitions``, ``definition_model`` and
``JobStore.processes``), as the job pages are. The instance page's actions (resolve an incident,
cancel the instance) are calls to the documented API that ``static/ui.js`` sends; without
JavaScript every page still reads in full.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from .._problems import BrokerError, InvalidRequest
from ..store import JobStore, ProcessDefinitionRecord
from ._diagram import ListedElement, Marks, element_list, render_process
from ._pages import PAGE_SIZE, _render, _store
from ._views import enum_value as _text

INSTANCE_STATES = ("ACTIVE", "COMPLETED", "TERMINATED")
"""The states an instance list filters by (Camunda's, without the unused ``SUSPENDED``)."""
_KEY = re.compile(r"[0-9]{1,19}")
_INT64_MAX = 2**63 - 1


def _key_or_none(raw: str | None) -> int | None:
    if raw is None or not _KEY.fullmatch(raw) or int(raw) > _INT64_MAX:
        return None
    return int(raw)


# -- process definitions ----------------------------------------------------------------------


@dataclass
class VersionRow:
    record: ProcessDefinitionRecord
    counts: Counter[str] = field(default_factory=Counter)
    incidents: int = 0


@dataclass
class ProcessRow:
    """One BPMN process id (per tenant) with its versions, newest first."""

    process_id: str
    tenant_id: str
    versions: list[VersionRow] = field(default_factory=list)

    @property
    def name(self) -> str:
        return next((v.record.name for v in self.versions if v.record.name), "")

    @property
    def counts(self) -> Counter[str]:
        return sum((v.counts for v in self.versions), Counter())

    @property
    def incidents(self) -> int:
        return sum(v.incidents for v in self.versions)


def process_rows(
    definitions: Iterable[ProcessDefinitionRecord],
    instances: Iterable[Any],
    incidents: Iterable[Any],
) -> list[ProcessRow]:
    """The definitions grouped by process id, each version with its instances counted by state
    and its open incidents."""
    versions: dict[int, VersionRow] = {}
    rows: dict[tuple[str, str], ProcessRow] = {}
    for record in sorted(definitions, key=lambda r: (r.bpmn_process_id, -r.version)):
        row = rows.setdefault(
            (record.bpmn_process_id, record.tenant_id),
            ProcessRow(record.bpmn_process_id, record.tenant_id),
        )
        versions[record.key] = VersionRow(record)
        row.versions.append(versions[record.key])
    for instance in instances:
        version = versions.get(int(instance.process_definition_key))
        if version is not None:
            version.counts[_text(instance.state)] += 1
    for incident in incidents:
        version = versions.get(int(incident.process_definition_key))
        if version is not None and _text(incident.state) == "ACTIVE":
            version.incidents += 1
    return list(rows.values())


async def processes(request: Request) -> Response:
    store = _store(request)
    rows = process_rows(
        await store.process_definitions(),
        await store.processes.all("instance"),
        await store.processes.all("incident"),
    )
    return _render(
        request, "processes.html", {"page": "processes", "rows": rows, "states": INSTANCE_STATES}
    )


# -- the instance list ------------------------------------------------------------------------


@dataclass(frozen=True)
class InstanceFilter:
    process: str | None = None
    version: int | None = None
    state: str | None = None
    incident: bool = False
    query: str | None = None
    after: int | None = None

    @classmethod
    def of(cls, params: Any) -> InstanceFilter:
        """The filter a query string asks for; ``InvalidRequest`` saying what is wrong."""
        state = params.get("state") or None
        if state is not None and state not in INSTANCE_STATES:
            raise InvalidRequest(f"state must be one of {', '.join(INSTANCE_STATES)}")
        version_text = params.get("version") or None
        if version_text is not None and not version_text.isdigit():
            raise InvalidRequest("version must be a whole number")
        after_text = params.get("after") or None
        after = _key_or_none(after_text)
        if after_text is not None and after is None:
            raise InvalidRequest("after must be an instance key")
        return cls(
            process=params.get("process") or None,
            version=int(version_text) if version_text is not None else None,
            state=state,
            incident=params.get("incident") in ("1", "true", "on"),
            query=(params.get("q") or "").strip() or None,
            after=after,
        )

    def matches(self, instance: Any) -> bool:
        if self.process is not None and instance.process_definition_id != self.process:
            return False
        if self.version is not None and instance.process_definition_version != self.version:
            return False
        if self.state is not None and _text(instance.state) != self.state:
            return False
        if self.incident and not instance.has_incident:
            return False
        if self.query is not None:
            business_id = instance.business_id or ""
            return instance.process_instance_key == self.query or self.query in business_id
        return True

    def link(self) -> dict[str, str | None]:
        """The filter as the list's query parameters (for the pager's links)."""
        return {
            "process": self.process,
            "version": None if self.version is None else str(self.version),
            "state": self.state,
            "incident": "1" if self.incident else None,
            "q": self.query,
        }

    @property
    def any(self) -> bool:
        return any(self.link().values()) or self.after is not None


def page_of(
    instances: Sequence[Any], wanted: InstanceFilter, size: int | None = None
) -> tuple[list[Any], int | None]:
    """The matching instances newest first (highest key), from after ``wanted.after``, and the
    cursor of the next page (``None``: this is the last); ``size`` defaults to ``PAGE_SIZE``."""
    size = PAGE_SIZE if size is None else size
    matching = sorted(
        (i for i in instances if wanted.matches(i)),
        key=lambda i: int(i.process_instance_key),
        reverse=True,
    )
    if wanted.after is not None:
        matching = [i for i in matching if int(i.process_instance_key) < wanted.after]
    chosen = matching[:size]
    more = len(matching) > size
    return chosen, int(chosen[-1].process_instance_key) if more else None


async def instances(request: Request) -> Response:
    store = _store(request)
    known = sorted({r.bpmn_process_id for r in await store.process_definitions()})
    context: dict[str, Any] = {
        "page": "instances",
        "states": INSTANCE_STATES,
        "known_processes": known,
        "wanted": InstanceFilter(),
        "items": [],
        "next_cursor": None,
        "problem": None,
    }
    try:
        wanted = InstanceFilter.of(request.query_params)
    except InvalidRequest as exc:
        context["problem"] = exc.detail
        return _render(request, "instances.html", context, status_code=400)
    items, next_key = page_of(await store.processes.all("instance"), wanted)
    context.update(
        wanted=wanted, items=items, next_cursor=None if next_key is None else str(next_key)
    )
    return _render(request, "instances.html", context)


# -- one instance -----------------------------------------------------------------------------


def marks_of(elements: Iterable[Any], incidents: Iterable[Any], flows: Iterable[Any]) -> Marks:
    """What an instance did, for the diagram: an active element with an open incident counts
    as an incident, not as active."""
    elements = [e for e in elements if _text(e.type) != "PROCESS"]
    return Marks.from_ids(
        completed=[e.element_id for e in elements if _text(e.state) == "COMPLETED"],
        active=[
            e.element_id for e in elements if _text(e.state) == "ACTIVE" and not e.has_incident
        ],
        incident=[i.element_id for i in incidents if _text(i.state) == "ACTIVE"],
        terminated=[e.element_id for e in elements if _text(e.state) == "TERMINATED"],
        taken=[f.sequence_flow_id for f in flows],
    )


@dataclass(frozen=True)
class ListedMark:
    """A row of the fallback list: the element and what the instance did there."""

    element: ListedElement
    classes: list[str]
    counts: list[tuple[str, int]]


def listed_marks(listed: Sequence[ListedElement], marks: Marks) -> list[ListedMark]:
    rows = []
    for element in listed:
        counts = [
            (name, count)
            for name in ("completed", "active", "incident", "terminated")
            if (count := getattr(marks, name).get(element.id, 0)) > 0
        ]
        rows.append(ListedMark(element, marks.classes(element.id), counts))
    return rows


def _instance_key(request: Request) -> int:
    raw = request.path_params["instance_key"]
    key = _key_or_none(raw)
    if key is None:
        raise InvalidRequest(
            f"processInstanceKey {raw!r} is not a valid key (a positive 64-bit integer)"
        )
    return key


async def instance(request: Request) -> Response:
    store = _store(request)
    try:
        key = _instance_key(request)
        found = await store.processes.instance(key)
    except BrokerError as exc:
        context = {"page": "instance", "status": exc.status, "detail": exc.detail, "of": "instance"}
        return _render(request, "missing.html", context, status_code=exc.status)
    return _render(request, "instance.html", await _instance_context(store, key, found))


async def _instance_context(store: JobStore, key: int, found: Any) -> dict[str, Any]:
    model = await store.definition_model(int(found.process_definition_key))
    elements = await store.processes.all("element", key)
    incidents = await store.processes.all("incident", key)
    marks = marks_of(elements, incidents, await store.processes.all("flow", key))
    diagram: Markup | None = render_process(model.definitions, model.process.id, marks=marks)
    names = {i: node.name or "" for i, node in model.process.elements.items()}
    scopes = {e.element_instance_key: e.element_id for e in elements}
    scopes[found.process_instance_key] = ""
    variables = sorted(
        await store.processes.all("variable", key),
        key=lambda v: (v.scope_key != found.process_instance_key, int(v.scope_key), v.name),
    )
    history = sorted(
        (e for e in elements if _text(e.type) != "PROCESS"),
        key=lambda e: (e.start_date, int(e.element_instance_key)),
    )
    incidents.sort(key=lambda i: (_text(i.state) != "ACTIVE", int(i.incident_key)))
    jobs = sorted(await store.processes.all("job", key), key=lambda j: int(j.job_key))
    return {
        "page": "instance",
        "instance": found,
        "state": _text(found.state),
        "record": model.record,
        "diagram": diagram,
        "listed": None if diagram is not None else listed_marks(element_list(model.process), marks),
        "names": names,
        "scopes": scopes,
        "variables": variables,
        "history": history,
        "incidents": incidents,
        "open_incidents": sum(1 for i in incidents if _text(i.state) == "ACTIVE"),
        "jobs": jobs,
    }


ROUTES: list[BaseRoute] = [
    Route("/ui/processes", processes, methods=["GET"], name="ui_processes"),
    Route("/ui/instances", instances, methods=["GET"], name="ui_instances"),
    Route("/ui/instances/{instance_key}", instance, methods=["GET"], name="ui_instance"),
]
