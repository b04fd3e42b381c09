"""Lifespan: resources opened once before a worker's first poll and closed after its drain.

A lifespan is an async context manager function (or an async generator function, wrapped
with ``asynccontextmanager``) taking no arguments; the mapping it yields (or ``None``)
becomes ``JobContext.state`` of every job. Several lifespans are entered in registration
order and closed in reverse; their keys must not clash.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from types import MappingProxyType
from typing import Any

from ..errors import ConfigurationError

Lifespan = Callable[[], AbstractAsyncContextManager[Mapping[str, Any] | None]]
"""``() -> async context manager`` yielding the resources (a mapping) or ``None``."""


def as_lifespan(func: Callable[[], Any]) -> Lifespan:
    """``func`` as a lifespan; anything else is refused at registration."""
    where = f"lifespan {getattr(func, '__qualname__', func)!r}"
    if not callable(func):
        raise ConfigurationError(f"{where} is not callable")
    try:
        params: Mapping[str, inspect.Parameter] = inspect.signature(func).parameters
    except (TypeError, ValueError):
        params = {}  # a C callable: trust it
    if any(
        p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        for p in params.values()
    ):
        raise ConfigurationError(f"{where} must take no arguments")
    if inspect.isasyncgenfunction(func):
        return asynccontextmanager(func)
    if inspect.iscoroutinefunction(func) or inspect.isgeneratorfunction(func):
        raise ConfigurationError(
            f"{where} must be an async context manager function: an 'async def' that yields"
            " once (decorated with @contextlib.asynccontextmanager or not)"
        )
    return func


@asynccontextmanager
async def entered(lifespans: Sequence[Lifespan]) -> AsyncIterator[Mapping[str, Any]]:
    """Enter every lifespan; yield their resources merged (read-only); close in reverse."""
    async with AsyncExitStack() as stack:
        state: dict[str, Any] = {}
        for lifespan in lifespans:
            got = await stack.enter_async_context(lifespan())
            if got is None:
                continue
            name = getattr(lifespan, "__qualname__", repr(lifespan))
            if not isinstance(got, Mapping):
                raise ConfigurationError(
                    f"lifespan {name!r} yielded {type(got).__name__}; yield a mapping of"
                    " resources by name (or nothing)"
                )
            clash = state.keys() & got.keys()
            if clash:
                raise ConfigurationError(
                    f"lifespan {name!r} yielded {sorted(clash)}, which an earlier lifespan"
                    " yielded too; give each resource one name"
                )
            state.update(got)
        yield MappingProxyType(state)
