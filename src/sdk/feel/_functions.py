"""Built-in functions: how they are declared, looked up by name and arity, and invoked.

A built-in is a plain Python function registered with `builtin`; its parameter names (``_`` read
as a space) are its FEEL parameter names, its defaults make parameters optional, ``*args`` makes
it variadic, and its annotations are checked before the call, so a wrong argument becomes null
plus feel-scala's warning instead of a Python error.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from ._scope import State
from ._values import FeelError, Function, show

BUILTINS: dict[str, list[Function]] = {}
"""Every built-in function by FEEL name, one entry per overload."""


class AssertionFailure(FeelError):
    """``assert`` failed: the whole evaluation fails (Zeebe raises an incident)."""


def _accepted(annotation: Any) -> tuple[type, ...] | None:
    """The classes an annotation admits (``None``: anything)."""
    if annotation is Any or annotation is inspect.Parameter.empty:
        return None
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        found: list[type] = []
        for arg in typing.get_args(annotation):
            accepted = _accepted(arg)
            if accepted is None:
                return None
            found.extend(accepted)
        return tuple(found)
    if annotation is None or annotation is type(None):
        return (type(None),)
    if origin is not None:
        return (origin,)
    if annotation is float:
        return (Decimal,)
    return (annotation,)


def _check(name: str, value: Any, accepted: tuple[type, ...] | None) -> None:
    if accepted is None:
        return
    if isinstance(value, bool) and bool not in accepted:
        raise FeelError(f"Illegal argument '{show(value)}' for parameter '{name}'")
    if not isinstance(value, accepted):
        raise FeelError(f"Illegal argument '{show(value)}' for parameter '{name}'")


Impl = TypeVar("Impl", bound=Callable[..., Any])


def builtin(*names: str) -> Callable[[Impl], Impl]:
    """Register the decorated function under each FEEL name in ``names``."""

    def register(impl: Impl) -> Impl:
        hints = typing.get_type_hints(impl)
        signature = inspect.signature(impl)
        params = [p for p in signature.parameters.values() if p.name != "state"]
        wants_state = "state" in signature.parameters
        checks = [_accepted(hints.get(p.name, Any)) for p in params]
        variadic = bool(params) and params[-1].kind is inspect.Parameter.VAR_POSITIONAL
        feel_params = tuple(p.name.rstrip("_").replace("_", " ") for p in params)
        required = sum(
            1
            for p in params
            if p.default is inspect.Parameter.empty and p.kind is not p.VAR_POSITIONAL
        )

        def invoke(args: Sequence[Any], state: State) -> Any:
            for index, value in enumerate(args):
                slot = min(index, len(checks) - 1)
                _check(feel_params[slot], value, checks[slot])
            return impl(state, *args) if wants_state else impl(*args)

        for name in names:
            function = Function(name, feel_params, invoke, required, variadic)
            BUILTINS.setdefault(name, []).append(function)
        return impl

    return register


def overload(name: str, count: int) -> Function | None:
    """The built-in ``name`` that takes ``count`` positional arguments."""
    for function in BUILTINS.get(name, ()):
        if accepts(function, count):
            return function
    return None


def overload_named(name: str, given: Sequence[str]) -> Function | None:
    """The built-in ``name`` whose parameters are the named arguments ``given``."""
    for function in BUILTINS.get(name, ()):
        if set(given) <= set(function.params) and set(function.params[: function.min_args]) <= set(
            given
        ):
            return function
    return None


def accepts(function: Function, count: int) -> bool:
    """Whether ``function`` can take ``count`` positional arguments."""
    if function.variadic:
        return count >= function.min_args
    return function.min_args <= count <= len(function.params)


def by_name(function: Function, named: dict[str, Any]) -> list[Any]:
    """Named arguments in ``function``'s parameter order (missing optional ones: null)."""
    unknown = set(named) - set(function.params)
    if unknown:
        raise FeelError(f"Unknown parameters {sorted(unknown)} of function '{function.name}'")
    args = [named.get(param) for param in function.params]
    while (
        len(args) > function.min_args
        and args[-1] is None
        and function.params[len(args) - 1] not in named
    ):
        args.pop()
    if function.variadic and args and isinstance(args[-1], list):
        args = [*args[:-1], *args[-1]]
    return args
