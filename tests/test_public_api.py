"""The public names of each package are pinned, so a helper cannot leak out by accident, and
every type a public signature names can be imported from a public module."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest

PUBLIC = {
    "sdk": ["__version__"],
    "sdk.client": [
        "DEFAULT_OAUTH_URL",
        "DEFAULT_REST_ADDRESS",
        "DEFAULT_TOKEN_AUDIENCE",
        "PROFILE_VARIABLE",
        "AsyncClient",
        "AuthStrategy",
        "Client",
        "EventMode",
        "HttpRetryPolicy",
        "HttpTransport",
        "Profile",
        "ProfileStore",
        "Settings",
        "check_profile_name",
        "clear_token_cache",
    ],
    "sdk.worker": [
        "CallNext",
        "Complete",
        "Fail",
        "JobCancelledError",
        "JobContext",
        "JobError",
        "JobHandler",
        "LeaseExtension",
        "Middleware",
        "Outcome",
        "RetryPolicy",
        "Strategy",
        "TaskOptions",
        "TaskSpec",
        "ThrowError",
        "Worker",
    ],
    "sdk.broker": [
        "DEFAULT_HOST",
        "DEFAULT_POOL_SIZE",
        "DEFAULT_PORT",
        "BrokerAuth",
        "BrokerAuthSettings",
        "BrokerStartError",
        "BrokerUser",
        "JobStore",
        "RunningBroker",
        "bind",
        "create_app",
        "default_db_path",
        "open_store",
        "serve",
        "wall_clock_ms",
    ],
    "sdk.bpmn": [
        "DEFAULT_MAX_DEPTH",
        "DEFAULT_MAX_SIZE_BYTES",
        "USER_TASK_JOB_TYPE",
        "Bounds",
        "BpmnError",
        "BpmnParseError",
        "BpmnValidationError",
        "CalledElement",
        "CheckExpression",
        "CronSchedule",
        "Definitions",
        "Diagram",
        "Edge",
        "ElementType",
        "Error",
        "Escalation",
        "EventDefinition",
        "EventKind",
        "Expr",
        "FlowNode",
        "IoMapping",
        "IsoDuration",
        "JobDefinition",
        "Message",
        "MultiInstance",
        "Participant",
        "Plane",
        "Point",
        "Problem",
        "Process",
        "ReadResult",
        "RepeatingInterval",
        "Script",
        "SequenceFlow",
        "Shape",
        "Signal",
        "Timer",
        "TimerKind",
        "TimerValueError",
        "UserTask",
        "Value",
        "VariableMapping",
        "parse",
        "parse_cycle",
        "parse_date",
        "parse_duration",
        "read",
    ],
    "sdk.feel": ["Expression", "FeelSyntaxError", "Result", "parse", "to_feel", "to_json"],
    "sdk.testing": [
        "ProcessInstanceAssert",
        "assert_that",
        "client_for",
        "complete_jobs",
        "increase_time",
        "run_job",
        "run_worker_until",
        "running",
        "throw_error",
        "wait_until",
    ],
}


@pytest.mark.parametrize("module", sorted(PUBLIC))
def test_public_names_are_pinned(module: str) -> None:
    exported = importlib.import_module(module).__all__
    assert sorted(exported) == sorted(PUBLIC[module])


def test_models_export_every_model_they_define() -> None:
    models = importlib.import_module("sdk.models")
    for info in pkgutil.iter_modules(models.__path__, "sdk.models."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if not name.isidentifier():
                continue  # pydantic files a generic's parametrisation (``Filter[str]``) here
            if inspect.isclass(value) and value.__module__ == info.name and name[0] != "_":
                assert name in models.__all__, f"{info.name}.{name} is not in sdk.models"


SIGNED = [
    "sdk.bpmn",
    "sdk.client",
    "sdk.worker",
    "sdk.broker",
    "sdk.testing",
    "sdk.models",
    "sdk.errors",
    "sdk.feel",
]
"""The packages whose exported functions and classes are read for the types they name."""


def _public_modules() -> list[str]:
    """Every module whose dotted path has no private part (``sdk.broker.store`` is public,
    ``sdk.broker.store._face`` is not), entry points (``__main__``) left out."""
    import sdk

    found = ["sdk"]
    for info in pkgutil.walk_packages(sdk.__path__, "sdk."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            found.append(info.name)
    return found


def _public_objects() -> set[int]:
    """Everything importable by a public name (``id``s: models are not all hashable)."""
    found: set[int] = set()
    for name in _public_modules():
        module = importlib.import_module(name)
        found.update(id(getattr(module, n)) for n in dir(module) if not n.startswith("_"))
    return found


def _exported(module_name: str) -> Iterator[tuple[str, Any]]:
    module = importlib.import_module(module_name)
    names = getattr(module, "__all__", [n for n in vars(module) if not n.startswith("_")])
    for name in names:
        value = getattr(module, name)
        if inspect.isfunction(value) or (
            inspect.isclass(value) and value.__module__.startswith("sdk")
        ):
            yield name, value


def _signatures(name: str, value: Any) -> Iterator[tuple[str, Callable[..., Any] | type]]:
    """``value`` itself and, for a class, its public methods and properties."""
    yield name, value
    if not inspect.isclass(value):
        return
    for attr, member in vars(value).items():
        if attr.startswith("_") and attr != "__init__":
            continue
        if isinstance(member, staticmethod | classmethod):
            member = member.__func__
        if isinstance(member, property) and member.fget is not None:
            member = member.fget
        if inspect.isfunction(member):
            yield f"{name}.{attr}", member


def _annotations(item: Callable[..., Any] | type) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each annotation's source text, with the namespace its names resolve in."""
    if inspect.isclass(item):
        for klass in item.__mro__:
            if klass.__module__.startswith("sdk"):
                namespace = vars(sys.modules[klass.__module__])
                for field, text in vars(klass).get("__annotations__", {}).items():
                    if not field.startswith("_"):  # a private field is no public signature
                        yield str(text), namespace
        return
    namespace = getattr(item, "__globals__", {})
    for text in getattr(item, "__annotations__", {}).values():
        yield str(text), namespace


def _named_classes(text: str, namespace: dict[str, Any]) -> Iterator[type]:
    """The classes of ours an annotation names (names only imported under TYPE_CHECKING are
    not in the module's namespace: those are other libraries' types)."""
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        return
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in namespace:
            value = namespace[node.id]
            if inspect.isclass(value) and value.__module__.startswith("sdk"):
                yield value


@pytest.mark.parametrize("module", SIGNED)
def test_public_signatures_name_only_public_types(module: str) -> None:
    public = _public_objects()
    private: list[str] = []
    for name, value in _exported(module):
        for label, item in _signatures(name, value):
            for text, namespace in _annotations(item):
                for klass in _named_classes(text, namespace):
                    if id(klass) not in public:
                        private.append(f"{module}.{label}: {klass.__module__}.{klass.__name__}")
    assert not private, "types only importable from private modules:\n" + "\n".join(
        sorted(set(private))
    )
