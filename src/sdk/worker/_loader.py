"""Finding handlers: import modules and collect their ``Worker`` objects and ``JobHandler``s."""

from __future__ import annotations

import importlib
import pkgutil
import traceback
from collections.abc import Iterable
from types import ModuleType

from ..errors import ConfigurationError
from ._worker import JobHandler, Worker

DEFAULT_MODULE = "workers"


def load_handlers(modules: Iterable[str], into: Worker) -> list[str]:
    """Import each module (and a package's submodules) and register what they define.

    Returns the names of the modules that registered at least one handler.

    Raises:
        ConfigurationError: a module does not import, or nothing registers a handler.
    """
    names = [m.strip() for m in modules if m.strip()]
    loaded: list[str] = []
    seen: set[int] = {id(into)}
    for name in names:
        for module in _import_tree(name):
            if _collect(module, into, seen):
                loaded.append(module.__name__)
    if not into.tasks:
        raise ConfigurationError(
            f"no handlers registered by {', '.join(names)}; in a handler module define"
            ' `worker = Worker()` and decorate functions with @worker.task("job-type"),'
            " or subclass JobHandler and set job_type"
        )
    return loaded


def _import_tree(name: str) -> list[ModuleType]:
    module = _import(name)
    modules = [module]
    for info in pkgutil.iter_modules(getattr(module, "__path__", [])):
        modules.append(_import(f"{name}.{info.name}"))
    return modules


def _import(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ConfigurationError:
        raise
    except Exception as exc:
        where = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)[-3:])
        raise ConfigurationError(
            f"cannot import handler module {name!r}: {type(exc).__name__}: {exc}\n{where}".rstrip()
        ) from None


def _collect(module: ModuleType, into: Worker, seen: set[int]) -> bool:
    """Register what ``module`` defines; ``seen`` keeps a re-exported object from counting twice."""
    found = False
    for value in list(vars(module).values()):
        if id(value) in seen:
            continue
        if isinstance(value, Worker):
            seen.add(id(value))
            into.include(value)
            found = found or bool(value.tasks)
        elif (
            isinstance(value, type)
            and issubclass(value, JobHandler)
            and value is not JobHandler
            and value.__module__ == module.__name__
            and value.job_type
        ):
            seen.add(id(value))
            into.add_handler(value)
            found = True
    return found
