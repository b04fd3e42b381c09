"""The public names of each package are pinned, so a helper cannot leak out by accident."""

from __future__ import annotations

import importlib

import pytest

PUBLIC = {
    "sdk": ["__version__"],
    "sdk.client": [
        "DEFAULT_REST_ADDRESS",
        "AsyncClient",
        "AuthStrategy",
        "Client",
        "EventMode",
        "HttpRetryPolicy",
        "Settings",
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
    "sdk.testing": ["client_for", "run_job", "run_worker_until", "running", "wait_until"],
}


@pytest.mark.parametrize("module", sorted(PUBLIC))
def test_public_names_are_pinned(module: str) -> None:
    exported = importlib.import_module(module).__all__
    assert sorted(exported) == sorted(PUBLIC[module])


def test_models_export_every_model_they_define() -> None:
    models = importlib.import_module("sdk.models")
    for name in models.__all__:
        assert getattr(models, name) is not None
