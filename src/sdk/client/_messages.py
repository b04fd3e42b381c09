"""The calls of Camunda's message and signal API: publish and correlate messages, search the
message subscriptions, broadcast signals.

Searches only read: safe to send again after a lost answer. A publication is not (sent again,
a message without a message id is published twice; with one, the second answers 409), nor is a
correlation or a broadcast.
"""

from __future__ import annotations

from ..models import (
    MessageCorrelationRequest,
    MessageCorrelationResult,
    MessagePublicationRequest,
    MessagePublicationResult,
    MessageSubscriptionSearchQuery,
    MessageSubscriptionSearchQueryResult,
    SignalBroadcastRequest,
    SignalBroadcastResult,
)
from ._calls import Call, _model


def publish_message(body: MessagePublicationRequest) -> Call[MessagePublicationResult]:
    return Call("POST", "/messages/publication", _model(MessagePublicationResult), body)


def correlate_message(body: MessageCorrelationRequest) -> Call[MessageCorrelationResult]:
    return Call("POST", "/messages/correlation", _model(MessageCorrelationResult), body)


def search_message_subscriptions(
    query: MessageSubscriptionSearchQuery,
) -> Call[MessageSubscriptionSearchQueryResult]:
    parse = _model(MessageSubscriptionSearchQueryResult)
    return Call("POST", "/message-subscriptions/search", parse, query, idempotent=True)


def broadcast_signal(body: SignalBroadcastRequest) -> Call[SignalBroadcastResult]:
    return Call("POST", "/signals/broadcast", _model(SignalBroadcastResult), body)
