"""A clock that a test moves by hand, for code that takes ``clock=``."""

from __future__ import annotations

from typing import Generic, TypeVar

T = TypeVar("T", int, float)


class FakeClock(Generic[T]):
    """Reads ``now`` (epoch milliseconds as ``int`` or seconds as ``float``, whichever the code
    under test expects) until the test moves it."""

    def __init__(self, now: T) -> None:
        self.now: T = now

    def __call__(self) -> T:
        return self.now

    def advance(self, by: T) -> None:
        self.now += by
