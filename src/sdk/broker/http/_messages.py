"""Camunda's message and signal routes: publish and correlate a message, search the message
subscriptions, broadcast a signal. Each command is one transaction of the store
(``JobStore.messages``)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...models import (
    MessageCorrelationRequest,
    MessagePublicationRequest,
    MessageSubscriptionSearchQuery,
    SignalBroadcastRequest,
)
from ._processes import _json
from ._query import search
from ._request import read_model, store_of


async def publish_message(request: Request) -> Response:
    body = await read_model(request, MessagePublicationRequest)
    return _json(await store_of(request).messages.publish(body))


async def correlate_message(request: Request) -> Response:
    body = await read_model(request, MessageCorrelationRequest)
    return _json(await store_of(request).messages.correlate(body))


async def search_message_subscriptions(request: Request) -> Response:
    query = await read_model(request, MessageSubscriptionSearchQuery, required=False)
    items = await store_of(request).messages.subscriptions()
    chosen, page = search(items, query, default_sort="messageSubscriptionKey")
    return _json({"items": chosen, "page": page.model_dump(by_alias=True, mode="json")})


async def broadcast_signal(request: Request) -> Response:
    body = await read_model(request, SignalBroadcastRequest)
    return _json(await store_of(request).messages.broadcast(body))


ROUTES = [
    Route("/v2/messages/publication", publish_message, methods=["POST"]),
    Route("/v2/messages/correlation", correlate_message, methods=["POST"]),
    Route("/v2/message-subscriptions/search", search_message_subscriptions, methods=["POST"]),
    Route("/v2/signals/broadcast", broadcast_signal, methods=["POST"]),
]
