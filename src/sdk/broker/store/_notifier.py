"""Wakes long-polling activations when a job of their type may have become activatable."""

from __future__ import annotations

import anyio


class Notifier:
    """One generation event per job type: waiters take the current one, ``notify`` sets it.

    A waiter must take the event *before* it looks at the store, so a job that arrives between
    the look and the wait still wakes it.
    """

    def __init__(self) -> None:
        self._events: dict[str, anyio.Event] = {}

    def event_for(self, job_type: str) -> anyio.Event:
        event = self._events.get(job_type)
        if event is None:
            event = self._events[job_type] = anyio.Event()
        return event

    def notify_all(self) -> None:
        events, self._events = self._events, {}
        for event in events.values():
            event.set()

    def notify(self, job_type: str) -> None:
        event = self._events.pop(job_type, None)
        if event is not None:
            event.set()
