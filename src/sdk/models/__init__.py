"""Wire models: camelCase JSON on the wire, snake_case attributes in Python.

The Camunda job API models mirror the upstream v2 spec; the ``/v2/ext`` extension models are
this project's own and are kept apart in their own module.
"""

from ._base import RequestModel as RequestModel
from ._base import ResponseModel as ResponseModel
from ._batch import MAX_REPORT_BATCH as MAX_REPORT_BATCH
from ._batch import JobReport as JobReport
from ._batch import JobReportBatch as JobReportBatch
from ._batch import JobReportBatchResult as JobReportBatchResult
from ._batch import JobReportResult as JobReportResult
from ._batch import ReportKind as ReportKind
from ._deployments import (
    DeploymentDecisionRequirementsResult as DeploymentDecisionRequirementsResult,
)
from ._deployments import DeploymentDecisionResult as DeploymentDecisionResult
from ._deployments import DeploymentFormResult as DeploymentFormResult
from ._deployments import DeploymentMetadataResult as DeploymentMetadataResult
from ._deployments import DeploymentProcessResult as DeploymentProcessResult
from ._deployments import DeploymentResourceResult as DeploymentResourceResult
from ._deployments import DeploymentResult as DeploymentResult
from ._extensions import MAX_CREATE_BATCH as MAX_CREATE_BATCH
from ._extensions import MAX_SEARCH_LIMIT as MAX_SEARCH_LIMIT
from ._extensions import Capabilities as Capabilities
from ._extensions import Job as Job
from ._extensions import JobCreationRequest as JobCreationRequest
from ._extensions import JobCreationResult as JobCreationResult
from ._extensions import JobEvent as JobEvent
from ._extensions import JobEventPage as JobEventPage
from ._extensions import JobEventRecord as JobEventRecord
from ._extensions import JobSearchRequest as JobSearchRequest
from ._extensions import JobSearchResult as JobSearchResult
from ._extensions import JobSpec as JobSpec
from ._extensions import JobState as JobState
from ._extensions import JobTypeLimits as JobTypeLimits
from ._extensions import JobTypeLimitsList as JobTypeLimitsList
from ._extensions import JobTypeLimitsRequest as JobTypeLimitsRequest
from ._identity import CamundaUserResult as CamundaUserResult
from ._identity import TenantResult as TenantResult
from ._jobs import ActivatedJob as ActivatedJob
from ._jobs import JobActivationRequest as JobActivationRequest
from ._jobs import JobActivationResult as JobActivationResult
from ._jobs import JobChangeset as JobChangeset
from ._jobs import JobCompletionRequest as JobCompletionRequest
from ._jobs import JobErrorRequest as JobErrorRequest
from ._jobs import JobFailRequest as JobFailRequest
from ._jobs import JobKind as JobKind
from ._jobs import JobListenerEventType as JobListenerEventType
from ._jobs import JobUpdateRequest as JobUpdateRequest
from ._jobs import LeasedJob as LeasedJob
from ._keys import DEFAULT_TENANT as DEFAULT_TENANT
from ._keys import ElementInstanceKey as ElementInstanceKey
from ._keys import JobKey as JobKey
from ._keys import ProcessDefinitionKey as ProcessDefinitionKey
from ._keys import ProcessInstanceKey as ProcessInstanceKey
from ._keys import TenantId as TenantId
from ._keys import parse_job_key as parse_job_key
from ._problem import ProblemDetail as ProblemDetail
from ._process_instances import CreateProcessInstanceResult as CreateProcessInstanceResult
from ._process_instances import (
    ProcessInstanceCreationInstruction as ProcessInstanceCreationInstruction,
)
from ._process_instances import (
    ProcessInstanceCreationStartInstruction as ProcessInstanceCreationStartInstruction,
)
from ._topology import BrokerInfo as BrokerInfo
from ._topology import Partition as Partition
from ._topology import TopologyResponse as TopologyResponse

__all__ = [
    "DEFAULT_TENANT",
    "MAX_CREATE_BATCH",
    "MAX_REPORT_BATCH",
    "MAX_SEARCH_LIMIT",
    "ActivatedJob",
    "BrokerInfo",
    "CamundaUserResult",
    "Capabilities",
    "CreateProcessInstanceResult",
    "DeploymentDecisionRequirementsResult",
    "DeploymentDecisionResult",
    "DeploymentFormResult",
    "DeploymentMetadataResult",
    "DeploymentProcessResult",
    "DeploymentResourceResult",
    "DeploymentResult",
    "ElementInstanceKey",
    "Job",
    "JobActivationRequest",
    "JobActivationResult",
    "JobChangeset",
    "JobCompletionRequest",
    "JobCreationRequest",
    "JobCreationResult",
    "JobErrorRequest",
    "JobEvent",
    "JobEventPage",
    "JobEventRecord",
    "JobFailRequest",
    "JobKey",
    "JobKind",
    "JobListenerEventType",
    "JobReport",
    "JobReportBatch",
    "JobReportBatchResult",
    "JobReportResult",
    "JobSearchRequest",
    "JobSearchResult",
    "JobSpec",
    "JobState",
    "JobTypeLimits",
    "JobTypeLimitsList",
    "JobTypeLimitsRequest",
    "JobUpdateRequest",
    "LeasedJob",
    "Partition",
    "ProblemDetail",
    "ProcessDefinitionKey",
    "ProcessInstanceCreationInstruction",
    "ProcessInstanceCreationStartInstruction",
    "ProcessInstanceKey",
    "ReportKind",
    "RequestModel",
    "ResponseModel",
    "TenantId",
    "TenantResult",
    "TopologyResponse",
    "parse_job_key",
]
