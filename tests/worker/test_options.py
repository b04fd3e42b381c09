"""One list of task options: the decorator, ``JobHandler`` and the registry all follow it."""

from __future__ import annotations

import ast
import dataclasses
import inspect

import pytest

from sdk.worker import JobHandler, LeaseExtension, RetryPolicy, TaskOptions, TaskSpec, Worker

OPTIONS = {f.name for f in dataclasses.fields(TaskOptions)}


class TestOneListOfOptions:
    def test_the_decorator_takes_every_option_as_a_keyword(self) -> None:
        tree = ast.parse(inspect.getsource(Worker))
        overloads = [
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef)
            and node.name == "task"
            and any(getattr(d, "id", None) == "overload" for d in node.decorator_list)
        ]
        keywords = {a.arg for o in overloads for a in [*o.args.args, *o.args.kwonlyargs]}
        assert keywords - {"self"} == OPTIONS

    def test_a_job_handler_may_set_every_option(self) -> None:
        assert all(hasattr(JobHandler, name) for name in OPTIONS)

    def test_the_registry_resolves_every_option(self) -> None:
        resolved = {f.name for f in dataclasses.fields(TaskSpec) if f.init} - {"handler"}
        assert resolved == OPTIONS


class TestJobHandlerOptions:
    def test_retry_and_request_timeout_are_settable_on_a_handler_class(self) -> None:
        policy = RetryPolicy(initial_ms=5)

        class Charge(JobHandler):
            job_type = "charge"
            retry = policy
            request_timeout_ms = 1_500

            def handle(self) -> None:
                return None

        worker = Worker(request_timeout_ms=9_000)
        worker.add_handler(Charge)
        spec = worker.tasks["charge"]
        assert (spec.retry, spec.request_timeout_ms) == (policy, 1_500)

    def test_unset_options_take_the_workers_defaults(self) -> None:
        class Plain(JobHandler):
            job_type = "plain"

            def handle(self) -> None:
                return None

        policy = RetryPolicy(initial_ms=7)
        worker = Worker(timeout_ms=4_000, retry=policy, lease_extension=False)
        worker.add_handler(Plain())
        spec = worker.tasks["plain"]
        assert (spec.timeout_ms, spec.retry) == (4_000, policy)
        assert spec.lease_extension == LeaseExtension(enabled=False)


def test_options_are_a_frozen_value() -> None:
    options = TaskOptions(fetch_variables=["a"])
    assert options.fetch_variables == ("a",)
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.max_jobs = 3  # type: ignore[misc]
