"""The public names of each package are pinned, so a helper cannot leak out by accident."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

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
        "JobContext",
        "JobError",
        "JobHandler",
        "LeaseExtension",
        "Middleware",
        "Outcome",
        "RetryPolicy",
        "Strategy",
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
    "sdk.testing": ["client_for", "run_job", "run_worker_until", "running", "wait_until"],
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
            if inspect.isclass(value) and value.__module__ == info.name and name[0] != "_":
                assert name in models.__all__, f"{info.name}.{name} is not in sdk.models"
