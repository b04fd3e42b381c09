"""Wire models: camelCase JSON on the wire, snake_case attributes in Python.

The Camunda models mirror the upstream v2 spec: the job API, and the process API (deployments,
process definitions and instances, element instances, incidents, variables, messages, signals,
user tasks, Camunda's job search, the clock) with its shared search shape in ``_search``. The
``/v2/ext`` extension models are this project's own and are kept apart in their own module.
"""

import importlib
from typing import TYPE_CHECKING, Any

from ._base import RequestModel as RequestModel
from ._base import ResponseModel as ResponseModel
from ._batch import MAX_REPORT_BATCH as MAX_REPORT_BATCH
from ._batch import JobReport as JobReport
from ._batch import JobReportBatch as JobReportBatch
from ._batch import JobReportBatchResult as JobReportBatchResult
from ._batch import JobReportResult as JobReportResult
from ._batch import ReportKind as ReportKind
from ._bulk import MAX_BULK_KEYS as MAX_BULK_KEYS
from ._bulk import BulkAction as BulkAction
from ._bulk import BulkJobFilter as BulkJobFilter
from ._bulk import BulkJobsRequest as BulkJobsRequest
from ._bulk import BulkJobsResult as BulkJobsResult
from ._deployments import BatchOperationCreatedResult as BatchOperationCreatedResult
from ._deployments import BatchOperationType as BatchOperationType
from ._deployments import DeleteResourceRequest as DeleteResourceRequest
from ._deployments import DeleteResourceResponse as DeleteResourceResponse
from ._deployments import (
    DeploymentDecisionRequirementsResult as DeploymentDecisionRequirementsResult,
)
from ._deployments import DeploymentDecisionResult as DeploymentDecisionResult
from ._deployments import DeploymentFormResult as DeploymentFormResult
from ._deployments import DeploymentMetadataResult as DeploymentMetadataResult
from ._deployments import DeploymentProcessResult as DeploymentProcessResult
from ._deployments import DeploymentResourceResult as DeploymentResourceResult
from ._deployments import DeploymentResult as DeploymentResult
from ._deployments import ResourceResult as ResourceResult
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
from ._job_results import MAX_PROGRESS_MESSAGE as MAX_PROGRESS_MESSAGE
from ._job_results import AwaitedJobCreationResult as AwaitedJobCreationResult
from ._job_results import JobProgressRequest as JobProgressRequest
from ._job_results import JobResult as JobResult
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
from ._keys import DeploymentKey as DeploymentKey
from ._keys import ElementInstanceKey as ElementInstanceKey
from ._keys import IncidentKey as IncidentKey
from ._keys import JobKey as JobKey
from ._keys import MessageKey as MessageKey
from ._keys import MessageSubscriptionKey as MessageSubscriptionKey
from ._keys import ProcessDefinitionKey as ProcessDefinitionKey
from ._keys import ProcessInstanceKey as ProcessInstanceKey
from ._keys import ResourceKey as ResourceKey
from ._keys import ScopeKey as ScopeKey
from ._keys import SignalKey as SignalKey
from ._keys import TenantId as TenantId
from ._keys import UserTaskKey as UserTaskKey
from ._keys import VariableKey as VariableKey
from ._keys import parse_job_key as parse_job_key
from ._problem import ProblemDetail as ProblemDetail
from ._process_instances import CancelProcessInstanceRequest as CancelProcessInstanceRequest
from ._process_instances import CreateProcessInstanceResult as CreateProcessInstanceResult
from ._process_instances import (
    ProcessInstanceCreationInstruction as ProcessInstanceCreationInstruction,
)
from ._process_instances import (
    ProcessInstanceCreationStartInstruction as ProcessInstanceCreationStartInstruction,
)
from ._process_instances import (
    ProcessInstanceCreationTerminateInstruction as ProcessInstanceCreationTerminateInstruction,
)
from ._schedules import SCHEDULE_NAME_PATTERN as SCHEDULE_NAME_PATTERN
from ._schedules import Schedule as Schedule
from ._schedules import ScheduleList as ScheduleList
from ._schedules import ScheduleRequest as ScheduleRequest
from ._topology import BrokerInfo as BrokerInfo
from ._topology import Partition as Partition
from ._topology import TopologyResponse as TopologyResponse

if TYPE_CHECKING:
    from ._clock import ClockPinRequest as ClockPinRequest
    from ._element_instances import ElementInstanceFilter as ElementInstanceFilter
    from ._element_instances import ElementInstanceFilterFields as ElementInstanceFilterFields
    from ._element_instances import ElementInstanceResult as ElementInstanceResult
    from ._element_instances import ElementInstanceSearchQuery as ElementInstanceSearchQuery
    from ._element_instances import (
        ElementInstanceSearchQueryResult as ElementInstanceSearchQueryResult,
    )
    from ._element_instances import ElementInstanceState as ElementInstanceState
    from ._element_instances import ElementInstanceType as ElementInstanceType
    from ._incidents import IncidentErrorType as IncidentErrorType
    from ._incidents import IncidentFilter as IncidentFilter
    from ._incidents import IncidentResolutionRequest as IncidentResolutionRequest
    from ._incidents import IncidentResult as IncidentResult
    from ._incidents import IncidentSearchQuery as IncidentSearchQuery
    from ._incidents import IncidentSearchQueryResult as IncidentSearchQueryResult
    from ._incidents import IncidentState as IncidentState
    from ._job_search import CamundaJob as CamundaJob
    from ._job_search import CamundaJobState as CamundaJobState
    from ._job_search import JobFilter as JobFilter
    from ._job_search import JobSearchQuery as JobSearchQuery
    from ._job_search import JobSearchQueryResult as JobSearchQueryResult
    from ._messages import MessageCorrelationRequest as MessageCorrelationRequest
    from ._messages import MessageCorrelationResult as MessageCorrelationResult
    from ._messages import MessagePublicationRequest as MessagePublicationRequest
    from ._messages import MessagePublicationResult as MessagePublicationResult
    from ._messages import MessageSubscriptionFilter as MessageSubscriptionFilter
    from ._messages import MessageSubscriptionResult as MessageSubscriptionResult
    from ._messages import MessageSubscriptionSearchQuery as MessageSubscriptionSearchQuery
    from ._messages import (
        MessageSubscriptionSearchQueryResult as MessageSubscriptionSearchQueryResult,
    )
    from ._messages import MessageSubscriptionState as MessageSubscriptionState
    from ._messages import MessageSubscriptionType as MessageSubscriptionType
    from ._messages import SignalBroadcastRequest as SignalBroadcastRequest
    from ._messages import SignalBroadcastResult as SignalBroadcastResult
    from ._process_definitions import ProcessDefinitionFilter as ProcessDefinitionFilter
    from ._process_definitions import ProcessDefinitionResult as ProcessDefinitionResult
    from ._process_definitions import ProcessDefinitionSearchQuery as ProcessDefinitionSearchQuery
    from ._process_definitions import (
        ProcessDefinitionSearchQueryResult as ProcessDefinitionSearchQueryResult,
    )
    from ._process_definitions import ProcessDefinitionState as ProcessDefinitionState
    from ._process_instance_queries import (
        ProcessElementStatisticsResult as ProcessElementStatisticsResult,
    )
    from ._process_instance_queries import (
        ProcessInstanceElementStatisticsQueryResult as ProcessInstanceElementStatisticsQueryResult,
    )
    from ._process_instance_queries import ProcessInstanceFilter as ProcessInstanceFilter
    from ._process_instance_queries import (
        ProcessInstanceFilterFields as ProcessInstanceFilterFields,
    )
    from ._process_instance_queries import ProcessInstanceResult as ProcessInstanceResult
    from ._process_instance_queries import ProcessInstanceSearchQuery as ProcessInstanceSearchQuery
    from ._process_instance_queries import (
        ProcessInstanceSearchQueryResult as ProcessInstanceSearchQueryResult,
    )
    from ._process_instance_queries import (
        ProcessInstanceSequenceFlowResult as ProcessInstanceSequenceFlowResult,
    )
    from ._process_instance_queries import (
        ProcessInstanceSequenceFlowsQueryResult as ProcessInstanceSequenceFlowsQueryResult,
    )
    from ._process_instance_queries import ProcessInstanceState as ProcessInstanceState
    from ._search import MAX_PAGE_LIMIT as MAX_PAGE_LIMIT
    from ._search import EnumFilter as EnumFilter
    from ._search import EqualityFilter as EqualityFilter
    from ._search import PatternFilter as PatternFilter
    from ._search import RangeFilter as RangeFilter
    from ._search import SearchQueryPageRequest as SearchQueryPageRequest
    from ._search import SearchQueryPageResponse as SearchQueryPageResponse
    from ._search import SearchQueryRequest as SearchQueryRequest
    from ._search import SearchQueryResponse as SearchQueryResponse
    from ._search import SearchQuerySortRequest as SearchQuerySortRequest
    from ._search import SortOrder as SortOrder
    from ._user_tasks import UserTaskAssignmentRequest as UserTaskAssignmentRequest
    from ._user_tasks import UserTaskCompletionRequest as UserTaskCompletionRequest
    from ._user_tasks import UserTaskFilter as UserTaskFilter
    from ._user_tasks import UserTaskResult as UserTaskResult
    from ._user_tasks import UserTaskSearchQuery as UserTaskSearchQuery
    from ._user_tasks import UserTaskSearchQueryResult as UserTaskSearchQueryResult
    from ._user_tasks import UserTaskState as UserTaskState
    from ._variables import SetVariableRequest as SetVariableRequest
    from ._variables import VariableFilter as VariableFilter
    from ._variables import VariableResult as VariableResult
    from ._variables import VariableSearchQuery as VariableSearchQuery
    from ._variables import VariableSearchQueryResult as VariableSearchQueryResult
    from ._variables import VariableSearchResult as VariableSearchResult
    from ._variables import VariableValueFilterProperty as VariableValueFilterProperty

_LAZY = {
    "ClockPinRequest": "_clock",
    "ProcessDefinitionFilter": "_process_definitions",
    "ProcessDefinitionResult": "_process_definitions",
    "ProcessDefinitionSearchQuery": "_process_definitions",
    "ProcessDefinitionSearchQueryResult": "_process_definitions",
    "ProcessDefinitionState": "_process_definitions",
    "ElementInstanceFilter": "_element_instances",
    "ElementInstanceFilterFields": "_element_instances",
    "ElementInstanceResult": "_element_instances",
    "ElementInstanceSearchQuery": "_element_instances",
    "ElementInstanceSearchQueryResult": "_element_instances",
    "ElementInstanceState": "_element_instances",
    "ElementInstanceType": "_element_instances",
    "IncidentErrorType": "_incidents",
    "IncidentFilter": "_incidents",
    "IncidentResolutionRequest": "_incidents",
    "IncidentResult": "_incidents",
    "IncidentSearchQuery": "_incidents",
    "IncidentSearchQueryResult": "_incidents",
    "IncidentState": "_incidents",
    "CamundaJob": "_job_search",
    "CamundaJobState": "_job_search",
    "JobFilter": "_job_search",
    "JobSearchQuery": "_job_search",
    "JobSearchQueryResult": "_job_search",
    "MessageCorrelationRequest": "_messages",
    "MessageCorrelationResult": "_messages",
    "MessagePublicationRequest": "_messages",
    "MessagePublicationResult": "_messages",
    "MessageSubscriptionFilter": "_messages",
    "MessageSubscriptionResult": "_messages",
    "MessageSubscriptionSearchQuery": "_messages",
    "MessageSubscriptionSearchQueryResult": "_messages",
    "MessageSubscriptionState": "_messages",
    "MessageSubscriptionType": "_messages",
    "SignalBroadcastRequest": "_messages",
    "SignalBroadcastResult": "_messages",
    "ProcessElementStatisticsResult": "_process_instance_queries",
    "ProcessInstanceElementStatisticsQueryResult": "_process_instance_queries",
    "ProcessInstanceFilter": "_process_instance_queries",
    "ProcessInstanceFilterFields": "_process_instance_queries",
    "ProcessInstanceResult": "_process_instance_queries",
    "ProcessInstanceSearchQuery": "_process_instance_queries",
    "ProcessInstanceSearchQueryResult": "_process_instance_queries",
    "ProcessInstanceSequenceFlowResult": "_process_instance_queries",
    "ProcessInstanceSequenceFlowsQueryResult": "_process_instance_queries",
    "ProcessInstanceState": "_process_instance_queries",
    "MAX_PAGE_LIMIT": "_search",
    "EnumFilter": "_search",
    "EqualityFilter": "_search",
    "PatternFilter": "_search",
    "RangeFilter": "_search",
    "SearchQueryPageRequest": "_search",
    "SearchQueryPageResponse": "_search",
    "SearchQueryRequest": "_search",
    "SearchQueryResponse": "_search",
    "SearchQuerySortRequest": "_search",
    "SortOrder": "_search",
    "UserTaskAssignmentRequest": "_user_tasks",
    "UserTaskCompletionRequest": "_user_tasks",
    "UserTaskFilter": "_user_tasks",
    "UserTaskResult": "_user_tasks",
    "UserTaskSearchQuery": "_user_tasks",
    "UserTaskSearchQueryResult": "_user_tasks",
    "UserTaskState": "_user_tasks",
    "SetVariableRequest": "_variables",
    "VariableFilter": "_variables",
    "VariableResult": "_variables",
    "VariableSearchQuery": "_variables",
    "VariableSearchQueryResult": "_variables",
    "VariableSearchResult": "_variables",
    "VariableValueFilterProperty": "_variables",
}
"""The process API's names -> their module, loaded on first use (PEP 562, as ``sdk.broker``
does): a worker, which needs only the job models, does not pay for them at import."""

__all__ = [
    "DEFAULT_TENANT",
    "MAX_BULK_KEYS",
    "MAX_CREATE_BATCH",
    "MAX_PAGE_LIMIT",
    "MAX_PROGRESS_MESSAGE",
    "MAX_REPORT_BATCH",
    "MAX_SEARCH_LIMIT",
    "SCHEDULE_NAME_PATTERN",
    "ActivatedJob",
    "AwaitedJobCreationResult",
    "BatchOperationCreatedResult",
    "BatchOperationType",
    "BrokerInfo",
    "BulkAction",
    "BulkJobFilter",
    "BulkJobsRequest",
    "BulkJobsResult",
    "CamundaJob",
    "CamundaJobState",
    "CamundaUserResult",
    "CancelProcessInstanceRequest",
    "Capabilities",
    "ClockPinRequest",
    "CreateProcessInstanceResult",
    "DeleteResourceRequest",
    "DeleteResourceResponse",
    "DeploymentDecisionRequirementsResult",
    "DeploymentDecisionResult",
    "DeploymentFormResult",
    "DeploymentKey",
    "DeploymentMetadataResult",
    "DeploymentProcessResult",
    "DeploymentResourceResult",
    "DeploymentResult",
    "ElementInstanceFilter",
    "ElementInstanceFilterFields",
    "ElementInstanceKey",
    "ElementInstanceResult",
    "ElementInstanceSearchQuery",
    "ElementInstanceSearchQueryResult",
    "ElementInstanceState",
    "ElementInstanceType",
    "EnumFilter",
    "EqualityFilter",
    "IncidentErrorType",
    "IncidentFilter",
    "IncidentKey",
    "IncidentResolutionRequest",
    "IncidentResult",
    "IncidentSearchQuery",
    "IncidentSearchQueryResult",
    "IncidentState",
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
    "JobFilter",
    "JobKey",
    "JobKind",
    "JobListenerEventType",
    "JobProgressRequest",
    "JobReport",
    "JobReportBatch",
    "JobReportBatchResult",
    "JobReportResult",
    "JobResult",
    "JobSearchQuery",
    "JobSearchQueryResult",
    "JobSearchRequest",
    "JobSearchResult",
    "JobSpec",
    "JobState",
    "JobTypeLimits",
    "JobTypeLimitsList",
    "JobTypeLimitsRequest",
    "JobUpdateRequest",
    "LeasedJob",
    "MessageCorrelationRequest",
    "MessageCorrelationResult",
    "MessageKey",
    "MessagePublicationRequest",
    "MessagePublicationResult",
    "MessageSubscriptionFilter",
    "MessageSubscriptionKey",
    "MessageSubscriptionResult",
    "MessageSubscriptionSearchQuery",
    "MessageSubscriptionSearchQueryResult",
    "MessageSubscriptionState",
    "MessageSubscriptionType",
    "Partition",
    "PatternFilter",
    "ProblemDetail",
    "ProcessDefinitionFilter",
    "ProcessDefinitionKey",
    "ProcessDefinitionResult",
    "ProcessDefinitionSearchQuery",
    "ProcessDefinitionSearchQueryResult",
    "ProcessDefinitionState",
    "ProcessElementStatisticsResult",
    "ProcessInstanceCreationInstruction",
    "ProcessInstanceCreationStartInstruction",
    "ProcessInstanceCreationTerminateInstruction",
    "ProcessInstanceElementStatisticsQueryResult",
    "ProcessInstanceFilter",
    "ProcessInstanceFilterFields",
    "ProcessInstanceKey",
    "ProcessInstanceResult",
    "ProcessInstanceSearchQuery",
    "ProcessInstanceSearchQueryResult",
    "ProcessInstanceSequenceFlowResult",
    "ProcessInstanceSequenceFlowsQueryResult",
    "ProcessInstanceState",
    "RangeFilter",
    "ReportKind",
    "RequestModel",
    "ResourceKey",
    "ResourceResult",
    "ResponseModel",
    "Schedule",
    "ScheduleList",
    "ScheduleRequest",
    "ScopeKey",
    "SearchQueryPageRequest",
    "SearchQueryPageResponse",
    "SearchQueryRequest",
    "SearchQueryResponse",
    "SearchQuerySortRequest",
    "SetVariableRequest",
    "SignalBroadcastRequest",
    "SignalBroadcastResult",
    "SignalKey",
    "SortOrder",
    "TenantId",
    "TenantResult",
    "TopologyResponse",
    "UserTaskAssignmentRequest",
    "UserTaskCompletionRequest",
    "UserTaskFilter",
    "UserTaskKey",
    "UserTaskResult",
    "UserTaskSearchQuery",
    "UserTaskSearchQueryResult",
    "UserTaskState",
    "VariableFilter",
    "VariableKey",
    "VariableResult",
    "VariableSearchQuery",
    "VariableSearchQueryResult",
    "VariableSearchResult",
    "VariableValueFilterProperty",
    "parse_job_key",
]


def __getattr__(name: str) -> Any:
    home = _LAZY.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
