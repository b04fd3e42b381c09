"""Wire models of the answer to POST /v2/deployments (multipart upload of BPMN, DMN, forms).

Parsed leniently, like every answer: a newer cluster may add fields. Keys are decimal strings.
"""

from __future__ import annotations

from pydantic import Field

from ._base import ResponseModel
from ._keys import DEFAULT_TENANT


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
