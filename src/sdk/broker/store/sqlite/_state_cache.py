"""Decoded instance states kept between commands, for the one SQLite connection's writer.

An instance's next command would otherwise read its row and parse its JSON state again,
which is most of what a process job's report costs beyond a plain job's. Only the owner
thread writes the file (a SQLite store is one broker's, as its key counter in memory already
assumes), so a state it committed is the row's state until it writes again:
an entry is taken out while a command steps it and put back once the command's statements
ran, and every rollback forgets them all (a step undone by an outer rollback must not
survive in memory). Bounded in entries and in the size of their JSON documents, least
recently used first out.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...engine import InstanceState

MAX_ENTRIES = 4096
MAX_DOCUMENT_CHARS = 16 * 1024 * 1024
"""The states kept, measured by their stored documents' length (a proxy for their memory)."""


@dataclass(slots=True)
class Cached:
    state: InstanceState
    definition_key: int
    tenant_id: str
    size: int
    """The length of the state's stored document."""


class StateCache:
    """Instance key → its committed state, least recently used first."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_chars: int = MAX_DOCUMENT_CHARS) -> None:
        self._entries: dict[int, Cached] = {}
        self._chars = 0
        self._max_entries = max_entries
        self._max_chars = max_chars

    def __len__(self) -> int:
        return len(self._entries)

    def take(self, key: int) -> Cached | None:
        """The entry, removed: the caller steps its state and ``put``s it back on success."""
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._chars -= entry.size
        return entry

    def put(self, key: int, entry: Cached) -> None:
        self.take(key)  # a replaced entry's size leaves with it
        if entry.size > self._max_chars:
            return
        self._entries[key] = entry
        self._chars += entry.size
        while len(self._entries) > self._max_entries or self._chars > self._max_chars:
            oldest = next(iter(self._entries))
            self._chars -= self._entries.pop(oldest).size

    def forget(self) -> None:
        self._entries.clear()
        self._chars = 0
