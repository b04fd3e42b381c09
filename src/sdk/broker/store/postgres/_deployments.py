"""Deployments and process definitions in PostgreSQL (the rules: ``store/_deployments.py``).

Coroutines over a transaction (``_tx.Tx``). Deployments take an advisory lock for their
transaction, so two replicas never give one process id the same version.
"""

from __future__ import annotations

from collections.abc import Sequence

from psycopg.rows import DictRow

from .._deployments import (
    DeploymentRecord,
    Latest,
    NewVersionStatements,
    ProcessDefinitionRecord,
    ResourceToDeploy,
    unchanged,
)
from .._instances import postgres
from ._tx import Tx

DEPLOY_LOCK = 0x5D6B_0002
"""Advisory lock key held by a deployment's transaction (deployments are rare)."""

TABLES = (
    """CREATE TABLE deployments (
        key BIGINT PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        created_at BIGINT NOT NULL
    )""",
    """CREATE TABLE deployment_resources (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        deployment_key BIGINT NOT NULL,
        name TEXT NOT NULL,
        checksum TEXT NOT NULL,
        content BYTEA NOT NULL
    )""",
    """CREATE TABLE process_definitions (
        key BIGINT PRIMARY KEY,
        bpmn_process_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        version_tag TEXT,
        name TEXT,
        tenant_id TEXT NOT NULL,
        resource_id BIGINT NOT NULL,
        deployment_key BIGINT NOT NULL,
        created_at BIGINT NOT NULL,
        deleted_at BIGINT,
        UNIQUE (tenant_id, bpmn_process_id, version)
    )""",
)

_DEFINITION = (
    "SELECT d.key, d.bpmn_process_id, d.version, d.version_tag, d.name, r.name AS resource_name,"
    " d.tenant_id, d.deployment_key, r.checksum, d.deleted_at"
    " FROM process_definitions d JOIN deployment_resources r ON r.id = d.resource_id"
)


def _record(row: DictRow) -> ProcessDefinitionRecord:
    return ProcessDefinitionRecord(
        key=int(row["key"]),
        bpmn_process_id=row["bpmn_process_id"],
        version=int(row["version"]),
        version_tag=row["version_tag"],
        name=row["name"],
        resource_name=row["resource_name"],
        tenant_id=row["tenant_id"],
        deployment_key=int(row["deployment_key"]),
        checksum=row["checksum"],
        deleted_at=None if row["deleted_at"] is None else int(row["deleted_at"]),
    )


async def _new_key(tx: Tx) -> int:
    row = await tx.one("SELECT nextval('job_keys') AS key")
    assert row is not None
    return int(row["key"])


async def _latest(tx: Tx, tenant_id: str, process_id: str) -> Latest:
    live = await tx.one(
        f"{_DEFINITION} WHERE d.tenant_id = %s AND d.bpmn_process_id = %s"
        " AND d.deleted_at IS NULL ORDER BY d.version DESC LIMIT 1",
        (tenant_id, process_id),
    )
    highest = await tx.one(
        "SELECT COALESCE(MAX(version), 0) AS v FROM process_definitions"
        " WHERE tenant_id = %s AND bpmn_process_id = %s",
        (tenant_id, process_id),
    )
    return Latest(None if live is None else _record(live), int(highest["v"]) if highest else 0)


async def deploy(
    tx: Tx,
    tenant_id: str,
    resources: Sequence[ResourceToDeploy],
    now: int,
    new_version: NewVersionStatements | None = None,
) -> DeploymentRecord:
    """Store one deployment in ``tx``, with what ``new_version`` writes for each new version."""
    await tx.execute("SELECT pg_advisory_xact_lock(%s)", (DEPLOY_LOCK,))
    deployment_key = await _new_key(tx)
    await tx.execute(
        "INSERT INTO deployments (key, tenant_id, created_at) VALUES (%s, %s, %s)",
        (deployment_key, tenant_id, now),
    )
    deployed: list[ProcessDefinitionRecord] = []
    for resource in resources:
        resource_id: int | None = None
        for process in resource.processes:
            latest = await _latest(tx, tenant_id, process.bpmn_process_id)
            same = unchanged(latest, resource)
            if same is not None:
                deployed.append(same)
                continue
            if resource_id is None:
                row = await tx.one(
                    "INSERT INTO deployment_resources (deployment_key, name, checksum, content)"
                    " VALUES (%s, %s, %s, %s) RETURNING id",
                    (deployment_key, resource.name, resource.checksum, resource.content),
                )
                assert row is not None
                resource_id = int(row["id"])
            record = ProcessDefinitionRecord(
                key=await _new_key(tx),
                bpmn_process_id=process.bpmn_process_id,
                version=latest.highest_version + 1,
                version_tag=process.version_tag,
                name=process.name,
                resource_name=resource.name,
                tenant_id=tenant_id,
                deployment_key=deployment_key,
                checksum=resource.checksum,
            )
            await tx.execute(
                "INSERT INTO process_definitions (key, bpmn_process_id, version, version_tag,"
                " name, tenant_id, resource_id, deployment_key, created_at)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
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
                await tx.execute(postgres(sql), args)
            deployed.append(record)
    return DeploymentRecord(deployment_key, tenant_id, tuple(deployed))


async def process_definitions(tx: Tx) -> list[ProcessDefinitionRecord]:
    return [_record(row) for row in await tx.all(f"{_DEFINITION} ORDER BY d.key")]


async def process_definition(tx: Tx, key: int) -> ProcessDefinitionRecord | None:
    row = await tx.one(f"{_DEFINITION} WHERE d.key = %s", (key,))
    return None if row is None else _record(row)


async def resource_content(tx: Tx, key: int) -> bytes | None:
    row = await tx.one(
        "SELECT r.content FROM process_definitions d"
        " JOIN deployment_resources r ON r.id = d.resource_id WHERE d.key = %s",
        (key,),
    )
    return None if row is None else bytes(row["content"])


async def delete_process_definition(tx: Tx, key: int, now: int) -> ProcessDefinitionRecord | None:
    row = await tx.one(
        "UPDATE process_definitions SET deleted_at = %s WHERE key = %s AND deleted_at IS NULL"
        " RETURNING key",
        (now, key),
    )
    return None if row is None else await process_definition(tx, key)
