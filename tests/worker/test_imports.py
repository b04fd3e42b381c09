"""A worker of a remote server imports only what it uses: no server, UI or metrics code.

The worker is ``python -m sdk.worker`` in a subprocess pointed at a broker this test serves
on loopback; its handler answers the modules loaded in that process.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import httpx
import pytest
from anyio.abc import Process
from prometheus_client.parser import text_string_to_metric_families

from sdk.broker import RunningBroker
from sdk.client import AsyncClient
from sdk.models import JobState
from sdk.testing import wait_until

from _support.ports import free_port
from _support.processes import clean_env

pytestmark = pytest.mark.anyio

HANDLERS = textwrap.dedent(
    """
    import sys

    from sdk.worker import Worker

    worker = Worker()

    @worker.task("modules")
    async def modules() -> dict[str, list[str]]:
        return {"modules": sorted(sys.modules)}
    """
)

HEAVY = {"starlette", "jinja2", "uvicorn", "sse_starlette", "prometheus_client"}
"""Loaded by no worker of a remote server, except ``uvicorn`` for its health endpoint."""
LIGHT_BROKER_PARTS = {"sdk.broker", "sdk.broker._defaults"}
"""The broker's face and where the worker's command line reads its default port and file."""


def heavy(modules: list[str]) -> set[str]:
    """``modules`` that are HEAVY (by package) or the broker's (by module)."""
    broker = {m for m in modules if m.startswith("sdk.broker")} - LIGHT_BROKER_PARTS
    return broker | {m.split(".")[0] for m in modules} & HEAVY


def completed_counts(metrics: str) -> dict[str, float]:
    return {
        sample.labels["job_type"]: sample.value
        for family in text_string_to_metric_families(metrics)
        for sample in family.samples
        if sample.name == "sdk_worker_jobs_completed_total"
    }


@asynccontextmanager
async def remote_worker(
    tmp_path: Path, broker: RunningBroker, *args: str, **env: str
) -> AsyncIterator[Process]:
    (tmp_path / "module_list.py").write_text(HANDLERS)
    proc = await anyio.open_process(
        [sys.executable, "-m", "sdk.worker", "module_list", *args],
        cwd=tmp_path,
        env=clean_env(
            tmp_path,
            CAMUNDA_REST_ADDRESS=broker.url,
            CAMUNDA_AUTH_STRATEGY="NONE",
            **env,
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield proc
    finally:
        proc.terminate()  # a group's supervisor stops its children on SIGTERM
        # waited for without blocking the event loop: the broker on it must go on answering
        # the worker (a child still starting asks it for its capabilities before it stops)
        try:
            with anyio.fail_after(30):
                await proc.wait()
        except TimeoutError:
            proc.kill()
            raise


async def loaded_modules(client: AsyncClient) -> list[str]:
    """Create a ``modules`` job and return what its handler saw in ``sys.modules``."""
    key = await client.create_job("modules")

    async def completed() -> bool:
        return (await client.get_job(key)).state is JobState.COMPLETED

    await wait_until(completed, timeout_s=30, message="the modules job completed")
    modules: list[str] = (await client.get_job(key)).variables["modules"]
    return modules


class TestRemoteWorkerImports:
    async def test_loads_no_broker_web_or_metrics_code(
        self, tmp_path: Path, sdk_broker: RunningBroker, sdk_client: AsyncClient
    ) -> None:
        async with remote_worker(tmp_path, sdk_broker):
            modules = await loaded_modules(sdk_client)

        assert "sdk.worker.runtime._poller" in modules  # the list is the worker's own
        assert heavy(modules) == set()

    async def test_with_an_endpoint_metrics_are_served_still_without_the_broker(
        self, tmp_path: Path, sdk_broker: RunningBroker, sdk_client: AsyncClient
    ) -> None:
        port = free_port()
        async with remote_worker(tmp_path, sdk_broker, SDK_HTTP_PORT=str(port)):
            modules = await loaded_modules(sdk_client)
            counts = await scraped_counts(port, {"modules": 1.0})

        assert heavy(modules) == {"uvicorn"}  # serves the endpoint; nothing of the broker
        assert counts == {"modules": 1.0}

    async def test_a_group_of_processes_sums_its_childrens_metrics(
        self, tmp_path: Path, sdk_broker: RunningBroker, sdk_client: AsyncClient
    ) -> None:
        port = free_port()
        async with remote_worker(tmp_path, sdk_broker, "--processes", "2", SDK_HTTP_PORT=str(port)):
            for _ in range(4):
                await loaded_modules(sdk_client)
            counts = await scraped_counts(port, {"modules": 4.0})

        assert counts == {"modules": 4.0}


async def scraped_counts(port: int, expected: dict[str, float]) -> dict[str, float]:
    """The endpoint's completed counts once they equal ``expected`` (a report is counted
    after the broker took it, so just after the test sees the job completed)."""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:

        async def counts() -> dict[str, float] | None:
            got = completed_counts((await http.get("/metrics")).text)
            return got if got == expected else None

        return await wait_until(counts, timeout_s=30, message=f"/metrics shows {expected}")
