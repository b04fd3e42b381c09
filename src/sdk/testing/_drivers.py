"""One async fixture for both async test plugins: pytest-asyncio and anyio's.

The two claim async fixtures differently. anyio's plugin runs any async fixture a test with
the ``anyio_backend`` fixture requests (every ``@pytest.mark.anyio`` test). pytest-asyncio in
auto mode runs every async fixture; in strict mode only those made with
``@pytest_asyncio.fixture``, and it warns when an asyncio test requests a plain one. A fixture
marked for pytest-asyncio, though, is run on pytest-asyncio's loop even for an anyio test,
whose own loop is another one, so no single marking fits both.

So each fixture has two functions: the plain one (registered) and one marked with
``pytest_asyncio.fixture`` (when pytest-asyncio is installed), a copy of the plain one unless
the fixture must be written differently for it (pytest-asyncio sets up and tears down in two
tasks). Before a fixture is set up for a test, ``pick_driver`` puts the marked one in place
when pytest-asyncio runs that test and the plain one otherwise, afresh for every test.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest


@dataclass(frozen=True)
class Variants:
    """The two functions of one fixture: for anyio's plugin, and for pytest-asyncio."""

    plain: Callable[..., Any]
    for_asyncio: Callable[..., Any] | None


def asyncio_variants(
    funcs: dict[str, Callable[..., Any]],
    replacements: dict[str, Callable[..., Any]] | None = None,
) -> dict[str, Variants]:
    """Both variants of each fixture function, by fixture name.

    The pytest-asyncio variant is a copy of the function, or ``replacements[name]`` where the
    fixture must be written differently for pytest-asyncio.
    """
    mark = _asyncio_fixture_marker()
    variants = {}
    for name, func in funcs.items():
        for_asyncio = None
        if mark is not None:
            for_asyncio = (replacements or {}).get(name) or _copy(func)
            mark(for_asyncio)
        variants[name] = Variants(func, for_asyncio)
    return variants


def _asyncio_fixture_marker() -> Callable[[Callable[..., Any]], object] | None:
    """``pytest_asyncio.fixture`` (it marks the function it is given), if installed."""
    try:
        import pytest_asyncio
    except ImportError:  # no pytest-asyncio: anyio's plugin (or a user's own) runs them
        return None
    return lambda func: pytest_asyncio.fixture(func)


def pick_driver(
    fixturedef: Any, request: pytest.FixtureRequest, by_name: dict[str, Variants]
) -> None:
    """Put the variant of the plugin that runs ``request``'s test in ``fixturedef``.

    A fixture of the same name the user defined (another function) is left alone.
    """
    variants = by_name.get(fixturedef.argname)
    if variants is None or fixturedef.func not in (variants.plain, variants.for_asyncio):
        return
    asyncio_runs_it = (
        variants.for_asyncio is not None
        and "anyio_backend" not in request.fixturenames
        and request.node.get_closest_marker("asyncio") is not None
    )
    fixturedef.func = variants.for_asyncio if asyncio_runs_it else variants.plain


def _copy(func: Callable[..., Any]) -> Callable[..., Any]:
    """Another function object with ``func``'s code, so marking it leaves ``func`` unmarked."""
    assert isinstance(func, types.FunctionType)
    copy = types.FunctionType(
        func.__code__, func.__globals__, func.__name__, func.__defaults__, func.__closure__
    )
    copy.__qualname__ = func.__qualname__
    copy.__doc__ = func.__doc__
    return copy
