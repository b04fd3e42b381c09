"""Typed handler inputs: pydantic validation of variables, whole-model parameters, refusal of
bad input as an incident, JSON-mode results, and fetching only the variables a handler names."""

from __future__ import annotations

import json
import pickle
from typing import Any

import httpx
import pytest

from sdk.broker import RunningBroker
from sdk.client import AsyncClient
from sdk.errors import ConfigurationError
from sdk.models import Job, JobState
from sdk.testing import run_job, running, wait_until
from sdk.worker import JobContext, RetryPolicy, Worker
from sdk.worker._task import invocation_of

from .typed_handlers import (
    Order,
    charge,
    passthrough,
    receipt,
    receipt_dict,
    typed,
    typed_async,
)

pytestmark = pytest.mark.anyio

SECRET = "s3cr3t-card-4242"


class Opaque:
    """A type pydantic has no schema for."""


def worker_with(job_type: str, func: Any, strategy: str = "auto", **options: Any) -> Worker:
    worker = Worker("w", request_timeout_ms=2_000, grace_period_s=5, retry=RetryPolicy(0))
    worker.task(job_type, strategy=strategy, **options)(func)
    return worker


def activations(job: Job) -> int:
    return sum(1 for event in job.history or [] if event.event == "ACTIVATED")


class TestCoercion:
    @pytest.mark.parametrize("strategy", ["thread", "inline"])
    async def test_plain_types_coerce_as_pydantic_lax_mode(
        self, sdk_client: AsyncClient, strategy: str
    ) -> None:
        variables = {
            "amount": "10",
            "when": "2026-01-02T03:04:05Z",
            "tags": ["a", "b"],
            "mode": "fast",
            "currency": "USD",
            "count": "3",
        }
        job = await run_job(worker_with("typed", typed, strategy), sdk_client, "typed", variables)
        assert job.state is JobState.COMPLETED, job.error_message
        assert job.variables["amount"] == ["float", 10.0]
        assert job.variables["when"] == ["datetime", 2026]
        assert job.variables["currency"] == ["Currency", "USD"]
        assert (job.variables["count"], job.variables["mode"]) == (3, "fast")

    async def test_any_and_unannotated_parameters_pass_values_through(
        self, sdk_client: AsyncClient
    ) -> None:
        variables = {"raw": "10", "untyped": {"a": 1}}
        job = await run_job(worker_with("pass", passthrough), sdk_client, "pass", variables)
        assert job.variables["raw"] == ["str", "10"]
        assert job.variables["untyped"] == ["dict", {"a": 1}]

    async def test_dataclass_and_typeddict_parameters(self, sdk_client: AsyncClient) -> None:
        variables = {
            "amount": 2,
            "address": {"city": "Berlin", "zip_code": "10115"},
            "customer": {"name": "Ada", "vip": "true"},
        }
        job = await run_job(worker_with("ta", typed_async), sdk_client, "ta", variables)
        assert job.state is JobState.COMPLETED, job.error_message
        assert job.variables["amount"] == ["float", 2.0]
        assert job.variables["city"] == ["Address", "Berlin"]
        assert job.variables["vip"] is True


class TestBadInput:
    @pytest.mark.parametrize("strategy", ["thread", "process"])
    async def test_bad_input_is_an_incident_on_the_first_attempt(
        self, sdk_client: AsyncClient, strategy: str
    ) -> None:
        variables = {
            "amount": SECRET,
            "when": "2026-01-02T03:04:05Z",
            "tags": ["ok", {"nested": SECRET}],
            "mode": SECRET,
            "currency": "EUR",
            "count": 99,
        }
        worker = worker_with("typed", typed, strategy)
        job = await run_job(worker, sdk_client, "typed", variables, retries=3)
        assert (job.state, job.retries, activations(job)) == (JobState.INCIDENT, 0, 1)
        message = job.error_message or ""
        assert "variable 'amount' at amount: float_parsing: Input should be a valid number" in (
            message
        )
        assert "variable 'tags' at tags[1]: string_type" in message
        assert "variable 'mode' at mode: literal_error" in message
        assert "variable 'count' at count: less_than_equal" in message
        assert "'currency'" not in message and "'when'" not in message
        assert SECRET not in message

    async def test_a_missing_variable_is_an_incident_naming_it(
        self, sdk_client: AsyncClient
    ) -> None:
        job = await run_job(worker_with("typed", typed), sdk_client, "typed", {}, retries=3)
        assert (job.state, job.retries) == (JobState.INCIDENT, 0)
        assert "variable 'amount' is missing" in (job.error_message or "")


class TestWholeModel:
    async def test_a_model_parameter_is_built_from_all_variables(
        self, sdk_client: AsyncClient
    ) -> None:
        variables = {"order_id": "o-1", "amount": "12.5", "lines": [{"sku": "a", "quantity": 2}]}
        job = await run_job(worker_with("charge", charge), sdk_client, "charge", variables)
        assert job.state is JobState.COMPLETED, job.error_message
        assert job.variables == {**variables, "charged": 12.5, "lines": 1, "currency": "EUR"}

    async def test_a_variable_of_the_parameters_name_is_the_model(
        self, sdk_client: AsyncClient
    ) -> None:
        variables = {"order": {"order_id": "o-2", "amount": 3, "currency": "USD"}}
        job = await run_job(worker_with("charge", charge), sdk_client, "charge", variables)
        assert (job.variables["charged"], job.variables["currency"]) == (3.0, "USD")

    async def test_a_bad_whole_model_names_the_nested_field(self, sdk_client: AsyncClient) -> None:
        variables = {"order_id": "o-3", "amount": 1, "lines": [{"sku": SECRET, "quantity": 0}]}
        job = await run_job(worker_with("charge", charge), sdk_client, "charge", variables)
        assert job.state is JobState.INCIDENT
        message = job.error_message or ""
        assert "variable 'lines' at lines[0].quantity: greater_than_equal" in message
        assert SECRET not in message


class TestRegistration:
    def test_a_model_with_all_variables_is_ambiguous(self) -> None:
        def handler(order: Order, **variables: Any) -> None: ...

        with pytest.raises(ConfigurationError, match=r"unclear whether the model is"):
            worker_with("t", handler)

    def test_a_whole_model_with_a_default_is_ambiguous(self) -> None:
        def handler(order: Order = Order(order_id="x", amount=0)) -> None:  # noqa: B008
            ...

        with pytest.raises(ConfigurationError, match=r"model with a default"):
            worker_with("t", handler)

    def test_a_type_pydantic_cannot_validate_is_refused(self) -> None:
        def handler(thing: Opaque) -> None: ...

        with pytest.raises(ConfigurationError, match=r"parameter 'thing': pydantic cannot"):
            worker_with("t", handler)

    def test_an_unresolvable_annotation_is_refused(self) -> None:
        def handler(thing: NotDefinedAnywhere) -> None: ...  # type: ignore[name-defined]  # noqa: F821

        with pytest.raises(ConfigurationError, match=r"'NotDefinedAnywhere'.*cannot be resolved"):
            worker_with("t", handler)

    def test_a_pickled_invocation_reuses_its_validators(self) -> None:
        """Process children get the handler by reference and parse it once, not per job."""
        invocation = invocation_of(worker_with("t", charge).tasks["t"])
        first, second = (pickle.loads(pickle.dumps(invocation)) for _ in range(2))
        assert first.variable_params[0].adapter is second.variable_params[0].adapter
        assert first.whole_model == "order"

    def test_two_models_are_two_variables(self) -> None:
        def handler(order: Order, other: Order) -> None: ...

        spec = worker_with("t", handler).tasks["t"]
        assert invocation_of(spec).whole_model is None
        assert spec.fetch_variables == ("order", "other")


class TestResults:
    async def test_a_dataclass_result_is_serialised_in_json_mode(
        self, sdk_client: AsyncClient
    ) -> None:
        job = await run_job(worker_with("r", receipt), sdk_client, "r")
        assert job.variables == {
            "charged": "12.50",
            "at": "2026-01-02T03:04:05Z",
            "receipt_id": "00000000-0000-0000-0000-000000000007",
            "currency": "USD",
        }

    async def test_a_dict_with_models_and_rich_values_is_serialised(
        self, sdk_client: AsyncClient
    ) -> None:
        job = await run_job(worker_with("r", receipt_dict, "process"), sdk_client, "r")
        assert job.state is JobState.COMPLETED, job.error_message
        assert job.variables["order"] == {
            "order_id": "o-1",
            "amount": 1.0,
            "currency": "EUR",
            "lines": [],
        }
        assert job.variables["at"] == "2026-01-02T03:04:05Z"


class RecordingTransport(httpx.AsyncBaseTransport):
    """Forwards to the real broker and keeps each activation's request body as sent."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.activations: dict[str, dict[str, Any]] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/jobs/activation"):
            body = json.loads(await request.aread())
            self.activations[body["type"]] = body
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


class TestFetchVariables:
    async def test_activation_asks_for_exactly_the_named_parameters(
        self, sdk_broker: RunningBroker
    ) -> None:
        seen: dict[str, Any] = {}

        async def named(a: int, b: str = "-") -> None:
            seen["named"] = (a, b)

        async def with_context(job: JobContext) -> None:
            seen["context"] = dict(job.variables)

        async def explicit(a: int) -> None: ...

        worker = Worker("w", request_timeout_ms=500, grace_period_s=5)
        worker.task("named")(named)
        worker.task("context")(with_context)
        worker.task("explicit", fetch_variables=["a", "c"])(explicit)
        worker.task("model")(charge)
        transport = RecordingTransport()
        config = {"CAMUNDA_REST_ADDRESS": sdk_broker.url, "CAMUNDA_AUTH_STRATEGY": "NONE"}
        async with AsyncClient(configuration=config, transport=transport) as client:
            await client.create_job("named", {"a": 1, "b": "x", "secret": SECRET})
            await client.create_job("context", {"a": 1, "c": 2})
            async with running(worker, client):
                await wait_until(lambda: len(seen) == 2 and len(transport.activations) == 4)
        sent = transport.activations
        assert sent["named"]["fetchVariable"] == ["a", "b"]
        assert sent["explicit"]["fetchVariable"] == ["a", "c"]
        assert "fetchVariable" not in sent["context"] or not sent["context"]["fetchVariable"]
        assert "fetchVariable" not in sent["model"] or not sent["model"]["fetchVariable"]
        assert seen == {"named": (1, "x"), "context": {"a": 1, "c": 2}}
