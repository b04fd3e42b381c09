"""The messages' and signals' face of the store: what the routes call (``JobStore.messages``).

Each publication, correlation and broadcast is one transaction of the backend, driven from
the plans of ``_messages.py``; the start events of the latest process versions are read from
the deployed models first (``refresh``), so the transaction knows which processes a message
or a signal starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loguru import logger

from ...bpmn import EventKind
from ...models import (
    DEFAULT_TENANT,
    MessageCorrelationRequest,
    MessageCorrelationResult,
    MessagePublicationRequest,
    MessagePublicationResult,
    MessageSubscriptionResult,
    SignalBroadcastRequest,
    SignalBroadcastResult,
)
from .._problems import NotFound
from ..engine import SignalThrown
from . import _messages
from ._messages import Publication, StartEvent, StartIndex

if TYPE_CHECKING:
    from ._face import JobStore


class Messages:
    """Messages, their subscriptions, and signals, on ``store``."""

    def __init__(self, store: JobStore) -> None:
        self._store = store

    @property
    def _backend(self) -> Any:
        return self._store._backend

    async def refresh(self) -> StartIndex:
        """Read the message and signal start events of every latest live version, and load
        their engines (a transaction then starts them without reading a model)."""
        latest: dict[tuple[str, str], Any] = {}
        for record in await self._store.process_definitions():
            if record.deleted:
                continue
            at = (record.tenant_id, record.bpmn_process_id)
            if at not in latest or latest[at].version < record.version:
                latest[at] = record
        events: list[StartEvent] = []
        for record in latest.values():
            model = await self._store.definition_model(record.key)
            for kind in (EventKind.MESSAGE, EventKind.SIGNAL):
                for start in model.process.start_events(None, kind):
                    event = start.event
                    if event is None:
                        continue
                    ref = event.message if kind is EventKind.MESSAGE else event.signal
                    if ref is None or not isinstance(ref.name, str) or not ref.name:
                        continue
                    events.append(
                        StartEvent(
                            kind.name,
                            ref.name,
                            record.key,
                            record.bpmn_process_id,
                            start.id,
                            record.tenant_id,
                        )
                    )
                    await self._store.processes.engine(record.key)
        index = StartIndex(events)
        self._backend.engines.starts = index
        return index

    async def refresh_quietly(self) -> None:
        """``refresh`` when definitions changed or the broker starts (so a signal a job's step
        throws finds the signal start events); a failure waits for the next command."""
        try:
            await self.refresh()
        except Exception as exc:  # a model or the store away: tried again at the next command
            logger.warning("broker: message and signal start events not read ({})", exc)

    async def _run(self, call: Any) -> Any:
        await self.refresh()
        processes = self._store.processes
        try:
            return await processes.loading(call)
        finally:
            processes.woke()

    async def publish(self, body: MessagePublicationRequest) -> MessagePublicationResult:
        tenant = body.tenant_id or DEFAULT_TENANT
        message = Publication(
            body.name,
            body.correlation_key or "",
            dict(body.variables or {}),
            body.time_to_live or 0,
            body.message_id,
            tenant,
        )
        now = self._store.now()
        key, _ = await self._run(lambda: self._backend.publish_message(message, now, buffer=True))
        return MessagePublicationResult(message_key=str(key), tenant_id=tenant)

    async def correlate(self, body: MessageCorrelationRequest) -> MessageCorrelationResult:
        """Publish without buffering; 404 when nothing waited for it."""
        tenant = body.tenant_id or DEFAULT_TENANT
        correlation_key = body.correlation_key or ""
        message = Publication(
            body.name, correlation_key, dict(body.variables or {}), 0, None, tenant
        )
        now = self._store.now()
        key, reached = await self._run(
            lambda: self._backend.publish_message(message, now, buffer=False)
        )
        if not reached:
            raise NotFound(
                f"Expected to find subscription for message with name '{body.name}' and"
                f" correlation key '{correlation_key}', but none was found."
            )
        return MessageCorrelationResult(
            message_key=str(key), process_instance_key=str(reached[0]), tenant_id=tenant
        )

    async def broadcast(self, body: SignalBroadcastRequest) -> SignalBroadcastResult:
        tenant = body.tenant_id or DEFAULT_TENANT
        signal = SignalThrown(body.signal_name, dict(body.variables or {}))
        now = self._store.now()
        key = await self._run(lambda: self._backend.broadcast_signal(signal, tenant, now))
        return SignalBroadcastResult(signal_key=str(key), tenant_id=tenant)

    async def subscriptions(self) -> list[MessageSubscriptionResult]:
        rows = await self._backend.instance_rows("subscription", None, None)
        return [
            _messages.subscription_result(row, instance)
            for row, instance in rows.joined()
            if row["kind"] == "MESSAGE"
        ]
