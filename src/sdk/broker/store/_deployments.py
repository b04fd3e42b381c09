"""Deployments, their resources and process definitions: the rules both backends share.

A deployment is one transaction. Each BPMN resource holds one or more executable processes;
each becomes a process definition versioned per (tenant, BPMN process id), as Zeebe does: a
resource with the same name and content (checksum) as the latest version of a process deploys
nothing new for it (the answer names that version and key again); anything else is the next
version. Versions keep counting across deletions (a deleted v2 makes the next one v3).
A process definition's key is also its resource's key (``/v2/resources/{key}``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ... import bpmn
from ...bpmn import Definitions, Process


def checksum(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


@dataclass(frozen=True)
class ProcessToDeploy:
    """One executable process of a resource, as the parsed model names it."""

    bpmn_process_id: str
    name: str | None
    version_tag: str | None


@dataclass(frozen=True)
class ResourceToDeploy:
    """One uploaded resource, checked already (``processes`` is not empty)."""

    name: str
    content: bytes
    processes: Sequence[ProcessToDeploy]

    @property
    def checksum(self) -> str:
        return checksum(self.content)


@dataclass(frozen=True)
class ProcessDefinitionRecord:
    """One stored version of a process. ``deleted_at``: when its resource was deleted (it is
    then neither startable nor anyone's latest version)."""

    key: int
    bpmn_process_id: str
    version: int
    version_tag: str | None
    name: str | None
    resource_name: str
    tenant_id: str
    deployment_key: int
    checksum: str
    deleted_at: int | None = None

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None


@dataclass(frozen=True)
class DeploymentRecord:
    """A committed deployment: its key and, per deployed process in upload order, its
    definition (a new version, or the unchanged latest one)."""

    key: int
    tenant_id: str
    processes: tuple[ProcessDefinitionRecord, ...]


@dataclass(frozen=True)
class Latest:
    """What versioning needs to know of a process id in a tenant, read inside the
    deployment's transaction: its latest live version (if any) and the highest ever given."""

    live: ProcessDefinitionRecord | None
    highest_version: int


NewVersionStatements = Callable[[ProcessDefinitionRecord], Sequence[tuple[str, tuple[Any, ...]]]]
"""What a new version writes beside its definition, in the deployment's own transaction (its
timer start events: ``_start_timers.for_deployment``); statements with ``?`` marks."""


def unchanged(latest: Latest, resource: ResourceToDeploy) -> ProcessDefinitionRecord | None:
    """The latest version when ``resource`` deploys it again unchanged (same resource name and
    checksum, as Zeebe compares), else ``None``: a new version, ``latest.highest_version + 1``."""
    live = latest.live
    if (
        live is not None
        and live.checksum == resource.checksum
        and live.resource_name == (resource.name)
    ):
        return live
    return None


def latest_versions(records: Sequence[ProcessDefinitionRecord]) -> set[int]:
    """The keys of the latest live version of each (tenant, process id) among ``records``."""
    best: dict[tuple[str, str], ProcessDefinitionRecord] = {}
    for record in records:
        if record.deleted:
            continue
        at = (record.tenant_id, record.bpmn_process_id)
        if at not in best or best[at].version < record.version:
            best[at] = record
    return {record.key for record in best.values()}


# -- reading uploads ------------------------------------------------------------------------

BPMN_SUFFIXES = (".bpmn", ".xml")
"""The resources this broker deploys: BPMN processes."""
UNSUPPORTED_KINDS = {".dmn": "a DMN decision", ".form": "a form", ".rpa": "an RPA script"}
REFUSAL = "Expected to deploy new resources, but encountered the following errors:"
"""How Zeebe begins the detail of a refused deployment."""


class ResourceRefused(Exception):
    """One resource cannot be deployed; ``lines`` say why (each a problem, for a model)."""

    def __init__(self, name: str, lines: Sequence[str]) -> None:
        self.name = name
        self.lines = tuple(lines)
        super().__init__(describe_refusals([self]))


def describe_refusals(refusals: Sequence[ResourceRefused]) -> str:
    """Zeebe's shape: the head line, then per resource its name and one line per problem."""
    out = [REFUSAL]
    for refusal in refusals:
        if len(refusal.lines) == 1:
            out.append(f"'{refusal.name}': {refusal.lines[0]}")
        else:
            out.append(f"'{refusal.name}':")
            out.extend(f"- {line}" for line in refusal.lines)
    return "\n".join(out)


def read_resource(name: str, content: bytes) -> tuple[ResourceToDeploy, Definitions]:
    """Check one uploaded resource and read its model, or raise ``ResourceRefused``.

    Blocking (it parses the XML): run it off the event loop.
    """
    lowered = name.lower()
    suffix = lowered[lowered.rfind(".") :] if "." in lowered else ""
    if suffix in UNSUPPORTED_KINDS:
        raise ResourceRefused(
            name, [f"{UNSUPPORTED_KINDS[suffix]} is not supported by this broker (BPMN only)"]
        )
    if suffix not in BPMN_SUFFIXES:
        raise ResourceRefused(
            name,
            [
                "not supported by this broker: it deploys BPMN processes (.bpmn or .xml"
                " files); Camunda would store other files as generic resources"
            ],
        )
    if not content.strip():
        raise ResourceRefused(name, ["the resource is empty"])
    try:
        result = bpmn.read(content)
    except bpmn.BpmnParseError as exc:
        raise ResourceRefused(name, [f"not a BPMN document we read: {exc}"]) from None
    if result.problems:
        raise ResourceRefused(name, [str(problem) for problem in result.problems])
    processes = [
        ProcessToDeploy(p.id, p.name, p.version_tag)
        for p in result.definitions.executable_processes
    ]
    if not processes:  # the validation says so already; kept as a guard
        raise ResourceRefused(name, ["Must contain at least one executable process"])
    return ResourceToDeploy(name, content, tuple(processes)), result.definitions


def duplicate_process_ids(resources: Sequence[ResourceToDeploy]) -> list[str]:
    """Zeebe refuses a deployment in which two resources define one process id."""
    seen: dict[str, str] = {}
    found: list[str] = []
    for resource in resources:
        for process in resource.processes:
            other = seen.setdefault(process.bpmn_process_id, resource.name)
            if other != resource.name:
                found.append(f"Duplicated process id in resources '{other}' and '{resource.name}'")
    return found


@dataclass(frozen=True)
class DeployedModel:
    """A definition with its parsed model: what the engine runs (``JobStore.definition_model``).

    ``definitions`` is the whole file (its messages, errors, signals, escalations are
    definitions-level); ``process`` the one process of this definition key.
    """

    record: ProcessDefinitionRecord
    definitions: Definitions
    process: Process


def model_of(record: ProcessDefinitionRecord, definitions: Definitions) -> DeployedModel:
    for process in definitions.processes:
        if process.id == record.bpmn_process_id:
            return DeployedModel(record, definitions, process)
    raise LookupError(f"process {record.bpmn_process_id!r} is not in its resource")
