"""The client against a real broker: typed errors, both surfaces, transport failures."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from pathlib import Path

import anyio
import httpx
import pytest

from sdk.broker import RunningBroker
from sdk.client import AsyncClient, Client
from sdk.errors import (
    ApiError,
    BackpressureError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    ServerUnreachableError,
)
from sdk.models import JobState

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]


class TestTypedErrors:
    async def test_unknown_job_is_not_found_with_the_problem_detail(
        self, sdk_client: AsyncClient
    ) -> None:
        with pytest.raises(NotFoundError) as caught:
            await sdk_client.complete_job("2251799813685248")
        err = caught.value
        assert err.status == 404
        assert err.problem.title == "NOT_FOUND"
        assert "does not exist" in err.detail
        assert str(err).startswith("404 NOT_FOUND: job 2251799813685248 does not exist")

    async def test_wrong_state_is_a_conflict(self, sdk_client: AsyncClient) -> None:
        key = await sdk_client.create_job("idle")
        with pytest.raises(ConflictError):
            await sdk_client.complete_job(key)

    async def test_invalid_key_is_rejected_before_sending(self, sdk_client: AsyncClient) -> None:
        with pytest.raises(ValueError, match="invalid job key"):
            await sdk_client.complete_job("12; DROP TABLE jobs")

    async def test_server_validation_error_is_a_bad_request(self, sdk_client: AsyncClient) -> None:
        key = await sdk_client.create_job("idle")
        with pytest.raises(BadRequestError, match="set at least one of retries and timeout"):
            await sdk_client.update_job(key)

    async def test_trace_id_is_taken_from_traceparent(self) -> None:
        trace = "4bf92f3577b34da6a3ce929d0e0e4736"

        def handler(request: httpx.Request) -> httpx.Response:
            problem = {
                "type": "about:blank",
                "title": "RESOURCE_EXHAUSTED",
                "status": 503,
                "detail": "busy",
                "instance": request.url.path,
            }
            headers = {"traceparent": f"00-{trace}-00f067aa0ba902b7-01"}
            return httpx.Response(503, json=problem, headers=headers)

        config = {
            "CAMUNDA_REST_ADDRESS": "http://test",
            "CAMUNDA_AUTH_STRATEGY": "NONE",
            "SDK_HTTP_RETRIES": "0",
        }
        async with AsyncClient(configuration=config, transport=httpx.MockTransport(handler)) as c:
            with pytest.raises(BackpressureError) as caught:
                await c.topology()
        assert caught.value.trace_id == trace
        assert caught.value.status == 503
        assert isinstance(caught.value, ApiError)

    async def test_unreachable_server_is_server_unreachable(self) -> None:
        config = {
            "CAMUNDA_REST_ADDRESS": "http://127.0.0.1:9",
            "CAMUNDA_AUTH_STRATEGY": "NONE",
            "SDK_HTTP_RETRIES": "0",
        }
        async with AsyncClient(configuration=config) as client:
            with pytest.raises(
                ServerUnreachableError, match=re.escape("GET http://127.0.0.1:9/v2/topology failed")
            ):
                await client.topology()


class TestSyncClient:
    async def test_has_the_same_methods_and_signatures(self) -> None:
        def public(cls: type) -> dict[str, str]:
            # an async iterator method's blocking twin is a generator: same shape otherwise
            return {
                name: re.sub(
                    r"AsyncGenerator\[(\w+), None\]",
                    r"Generator[\1, None, None]",
                    str(inspect.signature(member)),
                )
                for name, member in inspect.getmembers(cls, inspect.isfunction)
                if not name.startswith("_") and name not in {"aclose", "close"}
            }

        assert public(Client) == public(AsyncClient)
        assert {"iterate_jobs", "follow_job_events", "check_server"} <= set(public(Client))

    def test_generated_code_is_up_to_date(self) -> None:
        result = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "unasync.py"), "--check"],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr

    async def test_works_end_to_end(self, sdk_broker: RunningBroker) -> None:
        def scenario() -> JobState:
            config = {"CAMUNDA_REST_ADDRESS": sdk_broker.url, "CAMUNDA_AUTH_STRATEGY": "NONE"}
            with Client(configuration=config) as client:
                key = client.create_job("sync", {"a": 1})
                (job,) = client.activate_jobs("sync", max_jobs=5, timeout_ms=10_000, worker="s")
                assert job.job_key == key
                client.complete_job(key, {"b": 2})
                done = client.get_job(key)
                assert done.variables == {"a": 1, "b": 2}
                return done.state

        assert await anyio.to_thread.run_sync(scenario) is JobState.COMPLETED
