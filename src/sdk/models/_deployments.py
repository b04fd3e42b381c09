"""Wire models of deployments and deployed resources.

POST /v2/deployments is a multipart upload (BPMN, DMN, forms), so only its answer is a model.
Answers are parsed leniently, like every answer: a newer cluster may add fields or values.
"""

from __future__ import annotations

from enum import Enum

from pydantic import Field

from ._base import OpenEnum, RequestModel, ResponseModel
from ._keys import DEFAULT_TENANT, ResourceKey


class DeploymentProcessResult(ResponseModel):
    process_definition_id: str
    process_definition_key: str
    process_definition_version: int = 0
    resource_name: str = ""
    tenant_id: str = DEFAULT_TENANT


class DeploymentDecisionResult(ResponseModel):
    decision_definition_id: str
    decision_definition_key: str
    name: str = ""
    version: int = 0
    decision_requirements_id: str = ""
    decision_requirements_key: str = ""
    tenant_id: str = DEFAULT_TENANT


class DeploymentDecisionRequirementsResult(ResponseModel):
    decision_requirements_id: str
    decision_requirements_key: str
    decision_requirements_name: str = ""
    version: int = 0
    resource_name: str = ""
    tenant_id: str = DEFAULT_TENANT


class DeploymentFormResult(ResponseModel):
    form_id: str
    form_key: str
    version: int = 0
    resource_name: str = ""
    tenant_id: str = DEFAULT_TENANT


class DeploymentResourceResult(ResponseModel):
    resource_id: str
    resource_key: str
    resource_name: str = ""
    version: int = 0
    tenant_id: str = DEFAULT_TENANT


class DeploymentMetadataResult(ResponseModel):
    """One deployed item: exactly one of the fields is set, by the kind of resource."""

    process_definition: DeploymentProcessResult | None = None
    decision_definition: DeploymentDecisionResult | None = None
    decision_requirements: DeploymentDecisionRequirementsResult | None = None
    form: DeploymentFormResult | None = None
    resource: DeploymentResourceResult | None = None


class DeploymentResult(ResponseModel):
    """The answer of POST /v2/deployments, with the deployed items sorted by kind."""

    deployment_key: str
    tenant_id: str = DEFAULT_TENANT
    deployments: list[DeploymentMetadataResult] = Field(default_factory=list)

    @property
    def processes(self) -> list[DeploymentProcessResult]:
        return [d.process_definition for d in self.deployments if d.process_definition]

    @property
    def decisions(self) -> list[DeploymentDecisionResult]:
        return [d.decision_definition for d in self.deployments if d.decision_definition]

    @property
    def decision_requirements(self) -> list[DeploymentDecisionRequirementsResult]:
        return [d.decision_requirements for d in self.deployments if d.decision_requirements]

    @property
    def forms(self) -> list[DeploymentFormResult]:
        return [d.form for d in self.deployments if d.form]


# -- resources --------------------------------------------------------------------------------


class ResourceResult(ResponseModel):
    """GET /v2/resources/{resourceKey}: a deployed resource's metadata (not its content)."""

    resource_key: ResourceKey
    resource_id: str = ""
    resource_name: str = ""
    version: int = 0
    version_tag: str | None = None
    tenant_id: str = DEFAULT_TENANT


class DeleteResourceRequest(RequestModel):
    """POST /v2/resources/{resourceKey}/deletion. ``delete_history`` also drops the history of
    the resource's instances, as a batch operation."""

    operation_reference: int | None = Field(default=None, ge=1)
    delete_history: bool | None = None


class BatchOperationType(str, Enum):
    ADD_VARIABLE = "ADD_VARIABLE"
    CANCEL_PROCESS_INSTANCE = "CANCEL_PROCESS_INSTANCE"
    DELETE_DECISION_DEFINITION = "DELETE_DECISION_DEFINITION"
    DELETE_DECISION_INSTANCE = "DELETE_DECISION_INSTANCE"
    DELETE_PROCESS_DEFINITION = "DELETE_PROCESS_DEFINITION"
    DELETE_PROCESS_INSTANCE = "DELETE_PROCESS_INSTANCE"
    MIGRATE_PROCESS_INSTANCE = "MIGRATE_PROCESS_INSTANCE"
    MODIFY_PROCESS_INSTANCE = "MODIFY_PROCESS_INSTANCE"
    RESOLVE_INCIDENT = "RESOLVE_INCIDENT"
    RESUME_PROCESS_INSTANCE = "RESUME_PROCESS_INSTANCE"
    SUSPEND_PROCESS_INSTANCE = "SUSPEND_PROCESS_INSTANCE"
    UPDATE_JOB = "UPDATE_JOB"
    UPDATE_VARIABLE = "UPDATE_VARIABLE"


class BatchOperationCreatedResult(ResponseModel):
    batch_operation_key: str
    batch_operation_type: OpenEnum[BatchOperationType]


class DeleteResourceResponse(ResponseModel):
    """The answer of a deletion: ``batch_operation`` is set when history is deleted as well."""

    resource_key: ResourceKey
    batch_operation: BatchOperationCreatedResult | None = None
