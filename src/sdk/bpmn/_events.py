"""Event definitions (message, timer, error, escalation, signal, link, terminate) and the root
elements they reference."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TypeVar
from xml.etree.ElementTree import Element

from ._model import (
    Error,
    Escalation,
    EventDefinition,
    EventKind,
    Expr,
    Message,
    Signal,
    Timer,
    TimerKind,
)
from ._reader import Owner, Reader, bpmn_children, extensions, text_of
from ._timer import (
    CronSchedule,
    IsoDuration,
    RepeatingInterval,
    TimerValueError,
    parse_cycle,
    parse_date,
    parse_duration,
)
from ._xml import bpmn

_T = TypeVar("_T")

EVENT_KINDS = {
    "messageEventDefinition": EventKind.MESSAGE,
    "timerEventDefinition": EventKind.TIMER,
    "errorEventDefinition": EventKind.ERROR,
    "escalationEventDefinition": EventKind.ESCALATION,
    "signalEventDefinition": EventKind.SIGNAL,
    "linkEventDefinition": EventKind.LINK,
    "terminateEventDefinition": EventKind.TERMINATE,
}

REFUSED_EVENTS = {
    "compensateEventDefinition": "compensation events are not supported",
    "conditionalEventDefinition": "conditional events are not supported",
    "cancelEventDefinition": "cancel events are not supported (they belong to transactions)",
    "eventDefinitionRef": "event definitions referenced by 'eventDefinitionRef' are not supported",
}

_TIMER_FORMS = (
    ("timeDate", TimerKind.DATE),
    ("timeCycle", TimerKind.CYCLE),
    ("timeDuration", TimerKind.DURATION),
)

_PARSERS: dict[
    TimerKind, Callable[[str], datetime | IsoDuration | RepeatingInterval | CronSchedule]
] = {
    TimerKind.DATE: parse_date,
    TimerKind.CYCLE: parse_cycle,
    TimerKind.DURATION: parse_duration,
}


class RootElements:
    """The messages, errors, escalations and signals of a file, by id."""

    def __init__(self, root: Element, reader: Reader) -> None:
        self.messages: dict[str, Message] = {}
        self.errors: dict[str, Error] = {}
        self.escalations: dict[str, Escalation] = {}
        self.signals: dict[str, Signal] = {}
        for local, child in bpmn_children(root):
            element_id = child.get("id")
            if element_id is None:
                continue
            owner: Owner = (element_id, local)
            if local == "message":
                self.messages[element_id] = self._message(child, owner, reader)
            elif local == "error":
                code = reader.value(child.get("errorCode"), owner, "errorCode")
                self.errors[element_id] = Error(element_id, child.get("name"), code)
            elif local == "escalation":
                code = reader.value(child.get("escalationCode"), owner, "escalationCode")
                self.escalations[element_id] = Escalation(element_id, child.get("name"), code)
            elif local == "signal":
                name = reader.value(child.get("name"), owner, "name")
                self.signals[element_id] = Signal(element_id, name)

    @staticmethod
    def _message(child: Element, owner: Owner, reader: Reader) -> Message:
        subscription = extensions(child).get("subscription", [])
        key = subscription[0].get("correlationKey") if subscription else None
        return Message(
            id=owner[0] or "",
            name=reader.value(child.get("name"), owner, "name"),
            correlation_key=reader.value(key, owner, "correlationKey"),
        )


class EventReader:
    """Turns an event's event-definition child into an ``EventDefinition``."""

    def __init__(self, reader: Reader, roots: RootElements) -> None:
        self._reader = reader
        self._roots = roots

    def definition(self, event: Element, owner: Owner) -> EventDefinition | None:
        """The event's one definition; ``None`` for a none event (or a refused one, which is
        recorded as a problem)."""
        found = [
            (local, child)
            for local, child in bpmn_children(event)
            if local in EVENT_KINDS or local in REFUSED_EVENTS
        ]
        if event.get("parallelMultiple", "false").strip() == "true" or len(found) > 1:
            self._reader.problem(
                owner,
                "multiple and parallel-multiple events are not supported:"
                " an event must have at most one event definition",
            )
            return None
        if not found:
            return None
        local, child = found[0]
        if local in REFUSED_EVENTS:
            self._reader.problem(owner, REFUSED_EVENTS[local])
            return None
        return self._build(EVENT_KINDS[local], child, owner)

    def _build(self, kind: EventKind, child: Element, owner: Owner) -> EventDefinition:
        if kind is EventKind.MESSAGE:
            return EventDefinition(
                kind, message=self._ref(child, "messageRef", self._roots.messages, owner)
            )
        if kind is EventKind.ERROR:
            return EventDefinition(
                kind, error=self._ref(child, "errorRef", self._roots.errors, owner)
            )
        if kind is EventKind.ESCALATION:
            escalation = self._ref(child, "escalationRef", self._roots.escalations, owner)
            return EventDefinition(kind, escalation=escalation)
        if kind is EventKind.SIGNAL:
            return EventDefinition(
                kind, signal=self._ref(child, "signalRef", self._roots.signals, owner)
            )
        if kind is EventKind.TIMER:
            return EventDefinition(kind, timer=self.timer(child, owner))
        if kind is EventKind.LINK:
            return EventDefinition(kind, link_name=child.get("name"))
        return EventDefinition(kind)

    def _ref(
        self, child: Element, attribute: str, table: Mapping[str, _T], owner: Owner
    ) -> _T | None:
        """The root element ``attribute`` names; a dangling reference is a problem, a missing
        one is left to the validator (some events may omit it)."""
        ref = child.get(attribute)
        if ref is None or not ref.strip():
            return None
        found = table.get(ref.strip())
        if found is None:
            self._reader.problem(owner, f"{attribute} '{ref}' does not name an element of the file")
        return found

    def timer(self, child: Element, owner: Owner) -> Timer | None:
        """The timer's one form, its static value parsed (a problem when it does not parse)."""
        present = [
            (kind, form)
            for local, kind in _TIMER_FORMS
            if (form := child.find(bpmn(local))) is not None
        ]
        if len(present) != 1:
            self._reader.problem(
                owner, "Must be exactly one type of timer: timeDuration, timeDate or timeCycle"
            )
            return None
        kind, form = present[0]
        text = text_of(form)
        what = f"timer {kind.value.lower()}"
        value = self._reader.value(text, owner, what)
        if value is None or isinstance(value, Expr):
            return Timer(kind, value or "")
        try:
            return Timer(kind, value, _PARSERS[kind](value))
        except TimerValueError as exc:
            self._reader.problem(owner, f"Invalid {what} expression ({exc})")
            return None
