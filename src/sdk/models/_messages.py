"""Wire models of messages (publish, correlate), the subscriptions waiting for them, and
signals (broadcast to every waiting catch event).

Publishing buffers a message for ``time_to_live`` milliseconds until a subscription with its
name and correlation key opens; correlating answers only once the message has met one.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Literal

from pydantic import Field

from ._base import OpenEnum, RequestModel, ResponseModel
from ._jobs import INT64_MAX
from ._keys import (
    DEFAULT_TENANT,
    ElementInstanceKey,
    MessageKey,
    MessageSubscriptionKey,
    ProcessDefinitionKey,
    ProcessInstanceKey,
    SignalKey,
)
from ._process_instances import BusinessId
from ._search import (
    DateTimeFilterProperty,
    EnumFilter,
    IntegerFilterProperty,
    KeyFilterProperty,
    SearchQueryRequest,
    SearchQueryResponse,
    StringFilterProperty,
)


class MessagePublicationRequest(RequestModel):
    """POST /v2/messages/publication. ``message_id`` deduplicates within the time to live."""

    name: str
    correlation_key: str | None = None
    time_to_live: int | None = Field(default=None, le=INT64_MAX)
    """Milliseconds the message waits for a subscription (absent or 0: correlate now or never)."""
    message_id: str | None = None
    variables: dict[str, Any] | None = None
    tenant_id: str | None = None
    business_id: BusinessId | None = None


class MessagePublicationResult(ResponseModel):
    message_key: MessageKey
    tenant_id: str = DEFAULT_TENANT


class MessageCorrelationRequest(RequestModel):
    """POST /v2/messages/correlation: publish without buffering, and say whom it reached."""

    name: str
    correlation_key: str | None = None
    variables: dict[str, Any] | None = None
    tenant_id: str | None = None
    business_id: BusinessId | None = None


class MessageCorrelationResult(ResponseModel):
    """The instance the message was correlated to (started or resumed)."""

    message_key: MessageKey
    process_instance_key: ProcessInstanceKey
    tenant_id: str = DEFAULT_TENANT


# -- subscriptions ----------------------------------------------------------------------------


class MessageSubscriptionState(str, Enum):
    CORRELATED = "CORRELATED"
    CREATED = "CREATED"
    DELETED = "DELETED"
    MIGRATED = "MIGRATED"


class MessageSubscriptionType(str, Enum):
    """``START_EVENT``: a message start event's; ``PROCESS_EVENT``: a running instance's."""

    START_EVENT = "START_EVENT"
    PROCESS_EVENT = "PROCESS_EVENT"


class MessageSubscriptionResult(ResponseModel):
    """A waiting (or past) subscription. A start event's has no instance keys."""

    message_subscription_key: MessageSubscriptionKey
    message_subscription_state: OpenEnum[MessageSubscriptionState]
    message_subscription_type: OpenEnum[MessageSubscriptionType] = (
        MessageSubscriptionType.PROCESS_EVENT
    )
    message_name: str = ""
    correlation_key: str | None = None
    element_id: str = ""
    element_instance_key: ElementInstanceKey | None = None
    process_instance_key: ProcessInstanceKey | None = None
    root_process_instance_key: ProcessInstanceKey | None = None
    process_definition_key: ProcessDefinitionKey | None = None
    process_definition_id: str = ""
    process_definition_name: str | None = None
    process_definition_version: int | None = None
    last_updated_date: str = ""
    tool_name: str | None = None
    tool_properties: dict[str, str] = Field(default_factory=dict)
    inbound_connector_type: str | None = None
    tenant_id: str = DEFAULT_TENANT


class MessageSubscriptionFilter(RequestModel):
    message_subscription_key: KeyFilterProperty | None = None
    process_definition_key: KeyFilterProperty | None = None
    process_definition_id: StringFilterProperty | None = None
    process_instance_key: KeyFilterProperty | None = None
    element_id: StringFilterProperty | None = None
    element_instance_key: KeyFilterProperty | None = None
    message_subscription_state: (
        MessageSubscriptionState | EnumFilter[MessageSubscriptionState] | None
    ) = None
    last_updated_date: DateTimeFilterProperty | None = None
    message_name: StringFilterProperty | None = None
    correlation_key: StringFilterProperty | None = None
    tenant_id: StringFilterProperty | None = None
    message_subscription_type: (
        MessageSubscriptionType | EnumFilter[MessageSubscriptionType] | None
    ) = None
    process_definition_name: StringFilterProperty | None = None
    process_definition_version: IntegerFilterProperty | None = None
    tool_name: StringFilterProperty | None = None
    inbound_connector_type: StringFilterProperty | None = None


MessageSubscriptionSortField = Literal[
    "messageSubscriptionKey",
    "processDefinitionId",
    "processDefinitionName",
    "processDefinitionVersion",
    "processInstanceKey",
    "elementId",
    "elementInstanceKey",
    "messageSubscriptionState",
    "messageSubscriptionType",
    "lastUpdatedDate",
    "messageName",
    "correlationKey",
    "tenantId",
    "toolName",
    "inboundConnectorType",
]


class MessageSubscriptionSearchQuery(
    SearchQueryRequest[MessageSubscriptionFilter, MessageSubscriptionSortField]
):
    """POST /v2/message-subscriptions/search."""


class MessageSubscriptionSearchQueryResult(SearchQueryResponse[MessageSubscriptionResult]):
    pass


# -- signals ----------------------------------------------------------------------------------


class SignalBroadcastRequest(RequestModel):
    """POST /v2/signals/broadcast: every signal catch event waiting for ``signal_name`` fires."""

    signal_name: str
    variables: dict[str, Any] | None = None
    tenant_id: str | None = None


class SignalBroadcastResult(ResponseModel):
    signal_key: SignalKey
    tenant_id: str = DEFAULT_TENANT
