"""Process instance assertions in the manner of Camunda's camunda-process-test.

``assert_that(client, key)`` returns a ``ProcessInstanceAssert`` whose checks are coroutines:
each reads the instance through the client until what it expects holds, at most ``timeout_s``,
then raises ``AssertionError`` saying what was expected and what the instance shows.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..bpmn import BpmnError
from ..bpmn import parse as parse_bpmn
from ..client import AsyncClient
from ..errors import NotFoundError
from ..models import (
    ElementInstanceResult,
    IncidentResult,
    MessageSubscriptionResult,
    MessageSubscriptionSearchQuery,
)
from ._helpers import wait_until

DEFAULT_ASSERT_TIMEOUT_S = 10.0
POLL_INTERVAL_S = 0.02
_PAGE = 1000
_MISSING = object()


def _text(value: Any) -> str:
    """An open enum's value (``ACTIVE``) or a plain string as it is."""
    return str(getattr(value, "value", value))


@dataclass
class Snapshot:
    """What the broker answered about one instance at one moment."""

    state: str
    process_definition_id: str = ""
    elements: list[ElementInstanceResult] = field(default_factory=list)
    variables: dict[str, Any] = field(default_factory=dict)
    incidents: list[IncidentResult] = field(default_factory=list)
    subscriptions: list[MessageSubscriptionResult] | None = None

    def element_ids(self, state: str) -> list[str]:
        """Ids of the element instances in ``state``, in completion (else start) order."""
        chosen = [e for e in self.elements if _text(e.state) == state]
        chosen.sort(key=lambda e: (e.end_date or e.start_date or "", int(e.element_instance_key)))
        return [e.element_id for e in chosen]

    def active_incidents(self) -> list[IncidentResult]:
        return [i for i in self.incidents if _text(i.state) == "ACTIVE"]


class ProcessInstanceAssert:
    """Checks on one process instance. Each check is ``async`` and returns ``None``: await each
    on its own (``check = assert_that(client, key)``, then ``await check.is_active()``,
    ``await check.has_variables(x=1)``).

    Elements are named by id or by name (the BPMN ``name``), as camunda-process-test accepts
    either: a string that is no element's id is matched against the elements' names.
    """

    def __init__(self, client: AsyncClient, key: int | str, *, timeout_s: float) -> None:
        self._client = client
        self._key = str(key)
        self._timeout_s = timeout_s
        self._names: dict[str, str] | None = None

    # -- instance state ----------------------------------------------------------------------

    async def is_active(self) -> None:
        """The instance is active (not completed, not terminated)."""
        await self._state("ACTIVE", "be active")

    async def is_completed(self) -> None:
        """The instance has completed."""
        await self._state("COMPLETED", "be completed")

    async def is_terminated(self) -> None:
        """The instance was terminated (cancelled)."""
        await self._state("TERMINATED", "be terminated")

    async def _state(self, state: str, expected: str) -> None:
        def holds(snap: Snapshot) -> str | None:
            return None if snap.state == state else f"it is {snap.state}"

        await self._check(expected, holds)

    # -- elements ----------------------------------------------------------------------------

    async def has_active_elements(self, *elements: str) -> None:
        """Each element has an active instance."""
        await self._elements("ACTIVE", "have active elements", elements)

    async def has_completed_elements(self, *elements: str) -> None:
        """Each element has a completed instance."""
        await self._elements("COMPLETED", "have completed elements", elements)

    async def has_terminated_elements(self, *elements: str) -> None:
        """Each element has a terminated instance."""
        await self._elements("TERMINATED", "have terminated elements", elements)

    async def has_completed_elements_in_order(self, *elements: str) -> None:
        """The elements completed in this order (others may have completed in between)."""
        names = await self._element_names()

        def holds(snap: Snapshot) -> str | None:
            done = snap.element_ids("COMPLETED")
            position = 0
            for wanted in elements:
                while position < len(done) and not self._matches(wanted, done[position], names):
                    position += 1
                if position == len(done):
                    order = ", ".join(self._label(e, names) for e in done) or "none"
                    return f"the completion order was: {order}"
                position += 1
            return None

        await self._check(f"complete elements in order {self._labels(elements, names)}", holds)

    async def has_not_activated_elements(self, *elements: str) -> None:
        """No element was ever entered (no instance in any state)."""
        names = await self._element_names()

        def holds(snap: Snapshot) -> str | None:
            entered = [
                f"{self._label(e.element_id, names)}: {_text(e.state)}"
                for e in snap.elements
                if any(self._matches(w, e.element_id, names) for w in elements)
            ]
            return f"these were activated: {', '.join(entered)}" if entered else None

        await self._check(f"have not activated elements {self._labels(elements, names)}", holds)

    async def _elements(self, state: str, expected: str, elements: Sequence[str]) -> None:
        names = await self._element_names()

        def holds(snap: Snapshot) -> str | None:
            ids = snap.element_ids(state)
            missing = [
                self._described(w, snap, names)
                for w in elements
                if not any(self._matches(w, i, names) for i in ids)
            ]
            return f"these were not {state.lower()}: {', '.join(missing)}" if missing else None

        await self._check(f"{expected} {self._labels(elements, names)}", holds)

    # -- variables ---------------------------------------------------------------------------

    async def has_variables(self, **expected: Any) -> None:
        """The instance's (root scope) variables include these names with these values."""

        def holds(snap: Snapshot) -> str | None:
            wrong = [
                f"{name}={snap.variables[name]!r}" if name in snap.variables else f"{name} unset"
                for name, value in expected.items()
                if snap.variables.get(name, _MISSING) != value
            ]
            return f"these differ: {', '.join(wrong)}" if wrong else None

        shown = ", ".join(f"{k}={v!r}" for k, v in expected.items())
        await self._check(f"have variables {shown}", holds)

    async def has_variable(self, name: str) -> None:
        """The instance has a (root scope) variable ``name``, whatever its value."""

        def holds(snap: Snapshot) -> str | None:
            return None if name in snap.variables else f"{name!r} is not set"

        await self._check(f"have variable {name!r}", holds)

    # -- incidents ---------------------------------------------------------------------------

    async def has_no_incidents(self) -> None:
        """The instance has no active incident."""

        def holds(snap: Snapshot) -> str | None:
            found = snap.active_incidents()
            return f"it has {len(found)} active incident(s)" if found else None

        await self._check("have no incidents", holds)

    async def has_incident(self, error_type: str | None = None) -> None:
        """The instance has an active incident (of ``error_type``, e.g. ``JOB_NO_RETRIES``)."""

        def holds(snap: Snapshot) -> str | None:
            found = [
                i
                for i in snap.active_incidents()
                if error_type is None or _text(i.error_type) == error_type
            ]
            return None if found else "no such incident is active"

        kind = "an incident" if error_type is None else f"an incident of type {error_type}"
        await self._check(f"have {kind}", holds)

    # -- messages ----------------------------------------------------------------------------

    async def is_waiting_for_message(self, name: str, correlation_key: str | None = None) -> None:
        """An open subscription of the instance waits for message ``name`` (with
        ``correlation_key``, when given)."""

        def holds(snap: Snapshot) -> str | None:
            for sub in snap.subscriptions or ():
                if (
                    _text(sub.message_subscription_state) == "CREATED"
                    and sub.message_name == name
                    and (correlation_key is None or sub.correlation_key == correlation_key)
                ):
                    return None
            return "no open subscription matches"

        key = "" if correlation_key is None else f" with correlation key {correlation_key!r}"
        await self._check(f"wait for message {name!r}{key}", holds, messages=True)

    async def has_correlated_message(self, name: str) -> None:
        """A message ``name`` was correlated to one of the instance's subscriptions."""

        def holds(snap: Snapshot) -> str | None:
            for sub in snap.subscriptions or ():
                state = _text(sub.message_subscription_state)
                if state == "CORRELATED" and sub.message_name == name:
                    return None
            return "no message of that name was correlated"

        await self._check(f"have correlated message {name!r}", holds, messages=True)

    # -- reading and reporting ---------------------------------------------------------------

    async def _check(
        self,
        expected: str,
        holds: Callable[[Snapshot], str | None],
        *,
        messages: bool = False,
    ) -> None:
        """Poll until ``holds`` answers ``None``; else raise with its last reason."""
        last: list[tuple[Snapshot, str]] = []

        async def satisfied() -> bool:
            snap = await self._snapshot(messages=messages)
            reason = holds(snap)
            last[:] = [(snap, reason or "")]
            return reason is None

        try:
            await wait_until(satisfied, timeout_s=self._timeout_s, interval_s=POLL_INTERVAL_S)
        except TimeoutError:
            if not last:  # no read answered in time (a busy machine): judge one that does
                snap = await self._snapshot(messages=messages)
                late = holds(snap)
                if late is None:
                    return
                last.append((snap, late))
            snap, reason = last[0]
            raise AssertionError(
                f"Process instance {self._key} should {expected} within {self._timeout_s:g}s,"
                f" but {reason}.\n{self._describe(snap, await self._element_names())}"
            ) from None

    async def _snapshot(self, *, messages: bool = False) -> Snapshot:
        client = self._client
        try:
            instance = await client.get_process_instance(self._key)
        except NotFoundError:
            return Snapshot(state="NOT FOUND")
        elements = await client.search_element_instances(
            process_instance_key=self._key, limit=_PAGE
        )
        variables = await client.search_variables(process_instance_key=self._key, limit=_PAGE)
        incidents = await client.search_incidents(process_instance_key=self._key, limit=_PAGE)
        snap = Snapshot(
            state=_text(instance.state),
            process_definition_id=instance.process_definition_id,
            elements=[e for e in elements.items if _text(e.type) != "PROCESS"],
            variables={
                v.name: _json(v.value) for v in variables.items if str(v.scope_key) == self._key
            },
            incidents=list(incidents.items),
        )
        if self._names is None:
            self._names = await self._read_names(str(instance.process_definition_key))
        if messages:
            snap.subscriptions = await self._subscriptions()
        return snap

    async def _subscriptions(self) -> list[MessageSubscriptionResult]:
        query = MessageSubscriptionSearchQuery.model_validate(
            {"filter": {"processInstanceKey": self._key}, "page": {"limit": _PAGE}}
        )
        found = await self._client.search_message_subscriptions(query)
        return list(found.items)

    async def _read_names(self, definition_key: str) -> dict[str, str]:
        """Element id → name from the deployed XML (``{}`` when it cannot be read)."""
        try:
            xml = await self._client.get_process_definition_xml(definition_key)
            definitions = parse_bpmn(xml, check_expression=None)
        except (NotFoundError, BpmnError):
            return {}
        return {
            node.id: node.name
            for process in definitions.processes
            for node in process.elements.values()
            if node.name
        }

    async def _element_names(self) -> dict[str, str]:
        if self._names is None:
            await self._snapshot()
        return self._names or {}

    @staticmethod
    def _matches(wanted: str, element_id: str, names: Mapping[str, str]) -> bool:
        if wanted == element_id:
            return True
        return wanted not in names and names.get(element_id) == wanted

    @staticmethod
    def _label(element_id: str, names: Mapping[str, str]) -> str:
        name = names.get(element_id)
        return f"'{element_id}'" + (f" ({name})" if name and name != element_id else "")

    def _labels(self, elements: Iterable[str], names: Mapping[str, str]) -> str:
        return "[" + ", ".join(self._wanted(e, names) for e in elements) + "]"

    def _wanted(self, wanted: str, names: Mapping[str, str]) -> str:
        """The label of an element given by id or by name."""
        if wanted not in names:
            for element_id, name in names.items():
                if name == wanted:
                    return self._label(element_id, names)
        return self._label(wanted, names)

    def _described(self, wanted: str, snap: Snapshot, names: Mapping[str, str]) -> str:
        """``'id' (name): STATE`` for each instance of the element, or why none matches."""
        states = [
            _text(e.state) for e in snap.elements if self._matches(wanted, e.element_id, names)
        ]
        if states:
            return f"{self._wanted(wanted, names)}: {'/'.join(states)}"
        if names and wanted not in names and wanted not in names.values():
            return f"'{wanted}': no element has this id or name"
        return f"{self._wanted(wanted, names)}: not activated"

    def _describe(self, snap: Snapshot, names: Mapping[str, str]) -> str:
        def listed(state: str) -> str:
            return ", ".join(self._label(e, names) for e in snap.element_ids(state)) or "none"

        lines = [
            f"  state: {snap.state}"
            + (f" (process '{snap.process_definition_id}')" if snap.process_definition_id else ""),
            f"  active elements: {listed('ACTIVE')}",
            f"  completed elements: {listed('COMPLETED')}",
        ]
        if snap.element_ids("TERMINATED"):
            lines.append(f"  terminated elements: {listed('TERMINATED')}")
        shown = ", ".join(f"{k}={v!r}" for k, v in sorted(snap.variables.items())) or "none"
        lines.append(f"  variables: {shown}")
        incidents = [
            f"{_text(i.error_type)} at '{i.element_id}': {i.error_message}"
            for i in snap.active_incidents()
        ]
        lines.append(f"  incidents: {'; '.join(incidents) or 'none'}")
        if snap.subscriptions is not None:
            subs = [
                f"{s.message_name!r} (key {s.correlation_key!r}): "
                f"{_text(s.message_subscription_state)}"
                for s in snap.subscriptions
            ]
            lines.append(f"  message subscriptions: {', '.join(subs) or 'none'}")
        return "\n".join(lines)


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def assert_that(
    client: AsyncClient,
    process_instance_key: int | str,
    *,
    timeout_s: float = DEFAULT_ASSERT_TIMEOUT_S,
) -> ProcessInstanceAssert:
    """Checks on the process instance ``process_instance_key``, read through ``client``.

    Each check waits up to ``timeout_s`` for what it expects, then fails with an
    ``AssertionError`` showing the instance's state, elements, variables and incidents::

        await assert_that(sdk_client, key).has_completed_elements("charge", "Paid")
    """
    return ProcessInstanceAssert(client, process_instance_key, timeout_s=timeout_s)
