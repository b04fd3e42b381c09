"""Deployments and process definitions in SQLite (the rules: ``store/_deployments.py``).

Plain functions over a connection, called inside the store's transactions.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence

from .._deployments import (
    DeploymentRecord,
    Latest,
    NewVersionStatements,
    ProcessDefinitionRecord,
    ResourceToDeploy,
    unchanged,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS deployments (
    key INTEGER PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS deployment_resources (
    id INTEGER PRIMARY KEY,
    deployment_key INTEGER NOT NULL,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    content BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS process_definitions (
    key INTEGER PRIMARY KEY,
    bpmn_process_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    version_tag TEXT,
    name TEXT,
    tenant_id TEXT NOT NULL,
    resource_id INTEGER NOT NULL,
    deployment_key INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    deleted_at INTEGER,
    UNIQUE (tenant_id, bpmn_process_id, version)
);
"""

_DEFINITION = (
    "SELECT d.key, d.bpmn_process_id, d.version, d.version_tag, d.name, r.name AS resource_name,"
    " d.tenant_id, d.deployment_key, r.checksum, d.deleted_at"
    " FROM process_definitions d JOIN deployment_resources r ON r.id = d.resource_id"
)


def _record(row: sqlite3.Row) -> ProcessDefinitionRecord:
    return ProcessDefinitionRecord(
        key=row["key"],
        bpmn_process_id=row["bpmn_process_id"],
        version=row["version"],
        version_tag=row["version_tag"],
        name=row["name"],
        resource_name=row["resource_name"],
        tenant_id=row["tenant_id"],
        deployment_key=row["deployment_key"],
        checksum=row["checksum"],
        deleted_at=row["deleted_at"],
    )


def max_key(db: sqlite3.Connection) -> int | None:
    """The largest key these tables hold (keys are shared with jobs)."""
    (found,) = db.execute(
        "SELECT MAX(k) FROM (SELECT MAX(key) AS k FROM deployments"
        " UNION ALL SELECT MAX(key) FROM process_definitions)"
    ).fetchone()
    return None if found is None else int(found)


def _latest(db: sqlite3.Connection, tenant_id: str, process_id: str) -> Latest:
    live = db.execute(
        f"{_DEFINITION} WHERE d.tenant_id = ? AND d.bpmn_process_id = ? AND d.deleted_at IS NULL"
        " ORDER BY d.version DESC LIMIT 1",
        (tenant_id, process_id),
    ).fetchone()
    (highest,) = db.execute(
        "SELECT COALESCE(MAX(version), 0) FROM process_definitions"
        " WHERE tenant_id = ? AND bpmn_process_id = ?",
        (tenant_id, process_id),
    ).fetchone()
    return Latest(None if live is None else _record(live), int(highest))


def deploy(
    db: sqlite3.Connection,
    tenant_id: str,
    resources: Sequence[ResourceToDeploy],
    now: int,
    new_key: Callable[[], int],
    new_version: NewVersionStatements | None = None,
) -> DeploymentRecord:
    """Store one deployment (inside the caller's transaction), with what ``new_version``
    writes for each new version."""
    deployment_key = new_key()
    db.execute(
        "INSERT INTO deployments (key, tenant_id, created_at) VALUES (?, ?, ?)",
        (deployment_key, tenant_id, now),
    )
    deployed: list[ProcessDefinitionRecord] = []
    for resource in resources:
        resource_id: int | None = None
        for process in resource.processes:
            latest = _latest(db, tenant_id, process.bpmn_process_id)
            same = unchanged(latest, resource)
            if same is not None:
                deployed.append(same)
                continue
            if resource_id is None:
                resource_id = db.execute(
                    "INSERT INTO deployment_resources (deployment_key, name, checksum, content)"
                    " VALUES (?, ?, ?, ?) RETURNING id",
                    (deployment_key, resource.name, resource.checksum, resource.content),
                ).fetchone()[0]
            record = ProcessDefinitionRecord(
                key=new_key(),
                bpmn_process_id=process.bpmn_process_id,
                version=latest.highest_version + 1,
                version_tag=process.version_tag,
                name=process.name,
                resource_name=resource.name,
                tenant_id=tenant_id,
                deployment_key=deployment_key,
                checksum=resource.checksum,
            )
            db.execute(
                "INSERT INTO process_definitions (key, bpmn_process_id, version, version_tag,"
                " name, tenant_id, resource_id, deployment_key, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.key,
                    record.bpmn_process_id,
                    record.version,
                    record.version_tag,
                    record.name,
                    tenant_id,
                    resource_id,
                    deployment_key,
                    now,
                ),
            )
            for sql, args in new_version(record) if new_version is not None else ():
                db.execute(sql, args)
            deployed.append(record)
    return DeploymentRecord(deployment_key, tenant_id, tuple(deployed))


def process_definitions(db: sqlite3.Connection) -> list[ProcessDefinitionRecord]:
    return [_record(row) for row in db.execute(f"{_DEFINITION} ORDER BY d.key")]


def process_definition(db: sqlite3.Connection, key: int) -> ProcessDefinitionRecord | None:
    row = db.execute(f"{_DEFINITION} WHERE d.key = ?", (key,)).fetchone()
    return None if row is None else _record(row)


def resource_content(db: sqlite3.Connection, key: int) -> bytes | None:
    """The resource (file) bytes a process definition was deployed from."""
    row = db.execute(
        "SELECT r.content FROM process_definitions d"
        " JOIN deployment_resources r ON r.id = d.resource_id WHERE d.key = ?",
        (key,),
    ).fetchone()
    return None if row is None else bytes(row[0])


def delete_process_definition(
    db: sqlite3.Connection, key: int, now: int
) -> ProcessDefinitionRecord | None:
    """Mark a live definition deleted; ``None`` when there is no live one of that key."""
    changed = db.execute(
        "UPDATE process_definitions SET deleted_at = ? WHERE key = ? AND deleted_at IS NULL",
        (now, key),
    ).rowcount
    return process_definition(db, key) if changed else None
