"""Whether a broker under a crash test is up, for the loops that create work against it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio

from sdk.errors import SdkError

T = TypeVar("T")


class Availability:
    """Whether the broker is up; creators that hit a dead broker wait here for its return."""

    def __init__(self) -> None:
        self._up = anyio.Event()
        self._up.set()

    @property
    def is_up(self) -> bool:
        return self._up.is_set()

    def down(self) -> None:
        self._up = anyio.Event()

    def up(self) -> None:
        self._up.set()

    async def wait_up(self) -> None:
        await self._up.wait()

    async def create(self, creation: Callable[[], Awaitable[T]]) -> T | None:
        """``creation``'s answer; ``None`` when it failed with the broker down (after waiting
        for its return). A failure while the broker is up is raised: then every creation
        must succeed."""
        try:
            return await creation()
        except SdkError:
            if self.is_up:
                raise
            await self.wait_up()
            return None
