"""The messages' and signals' face of the store: what the routes call (``JobStore.messages``).

Each publication, correlation and broadcast is one transaction of the backend, driven from
the plans of ``_messages.py``; the start events of the latest process versions are read from
the deployed models (``refresh``), so the transaction knows which processes a message or a
signal starts. That index is kept until the definitions change (``current``): this broker's
deployments and deletions refresh it; on a shared database a version read from the
definitions' table tells when another replica changed them.
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


DEFINITIONS_VERSION = (
    "SELECT COUNT(*) AS n, COALESCE(MAX(key), 0) AS newest, COUNT(deleted_at) AS deleted"
    " FROM process_definitions"
)
"""Moves with every deployed version and every deletion (neither is ever undone)."""


class Messages:
    """Messages, their subscriptions, and signals, on ``store``."""

    def __init__(self, store: JobStore) -> None:
        self._store = store
        self._version: tuple[int, int, int] | None = None
        """The definitions' version the start-event index was read at (``None``: not read,
        or a refresh failed)."""
        self._refreshes = 0
        """Refreshes begun: one overtaken by a later one does not install its older index."""

    @property
    def _backend(self) -> Any:
        return self._store._backend

    async def _definitions_version(self) -> tuple[int, int, int]:
        (row,) = await self._backend.query(DEFINITIONS_VERSION)
        return int(row["n"]), int(row["newest"]), int(row["deleted"])

    async def current(self) -> StartIndex:
        """The start-event index, read again only when the definitions changed since."""
        if self._version is not None:
            if not self._backend.shared:  # only this broker deploys: it refreshed already
                return self._backend.engines.starts  # type: ignore[no-any-return]
            if await self._definitions_version() == self._version:
                return self._backend.engines.starts  # type: ignore[no-any-return]
        return await self.refresh()

    async def refresh(self) -> StartIndex:
        """Read the message and signal start events of every latest live version, and load
        their engines (a transaction then starts them without reading a model)."""
        self._version = None
        self._refreshes += 1
        mine = self._refreshes
        version = await self._definitions_version()  # before: a change meanwhile reads again
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
        if mine == self._refreshes:
            self._backend.engines.starts = index
            self._version = version
        return index

    async def refresh_quietly(self) -> None:
        """``refresh`` when definitions changed or the broker starts (so a signal a job's step
        throws finds the signal start events); a failure waits for the next command."""
        try:
            await self.refresh()
        except Exception as exc:  # a model or the store away: tried again at the next command
            logger.warning("broker: message and signal start events not read ({})", exc)

    async def _run(self, call: Any) -> Any:
        await self.current()
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
