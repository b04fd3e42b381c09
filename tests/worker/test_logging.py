"""Injected loggers: a stdlib ``logging.Logger`` or a loguru logger of the application's own."""

from __future__ import annotations

import logging
from functools import partial
from typing import TYPE_CHECKING, Any

import pytest
from loguru import logger

from sdk import _logging
from sdk.client import AsyncClient
from sdk.errors import ConfigurationError
from sdk.models import JobState
from sdk.testing import run_job, running, wait_until
from sdk.worker import Worker

from .handlers import double, explode

if TYPE_CHECKING:
    from loguru import Message

pytestmark = pytest.mark.anyio


class TestInjectedLogger:
    async def test_a_stdlib_logger_gets_job_lines_with_key_type_and_worker(
        self, sdk_client: AsyncClient, caplog: pytest.LogCaptureFixture
    ) -> None:
        worker = Worker("std", request_timeout_ms=1_000, logger=logging.getLogger("billing"))
        worker.task("double", strategy="inline")(double)
        with caplog.at_level(logging.INFO, logger="billing"):
            job = await run_job(worker, sdk_client, "double", {"x": 2})
        assert job.state is JobState.COMPLETED
        done = [r for r in caplog.records if "completed in" in r.getMessage()]
        assert len(done) == 1
        record: Any = done[0]
        assert record.name == "billing"
        assert (record.job_key, record.job_type, record.worker) == (job.job_key, "double", "std")
        assert record.getMessage().startswith(f"✓ double {job.job_key} completed in ")

    async def test_a_bound_loguru_logger_keeps_its_own_values(
        self, sdk_client: AsyncClient
    ) -> None:
        records: list[dict[str, Any]] = []

        def sink(message: Message) -> None:
            records.append(dict(message.record["extra"], message=message.record["message"]))

        sink_id = logger.add(sink, filter=lambda r: r["extra"].get("app") == "billing")
        try:
            worker = Worker("lg", request_timeout_ms=1_000, logger=logger.bind(app="billing"))
            worker.task("double", strategy="inline")(double)
            job = await run_job(worker, sdk_client, "double", {"x": 2})
        finally:
            logger.remove(sink_id)
        done = [r for r in records if "completed in" in r["message"]]
        assert len(done) == 1
        assert done[0]["job_key"] == job.job_key
        assert (done[0]["job_type"], done[0]["worker"]) == ("double", "lg")


class TestJobLog:
    async def test_summary_mode_logs_one_line_per_type_and_each_failure(
        self, sdk_client: AsyncClient
    ) -> None:
        records: list[tuple[str, str]] = []

        def sink(message: Message) -> None:
            records.append((message.record["level"].name, message.record["message"]))

        worker = Worker("sum", request_timeout_ms=1_000, job_log="summary")
        worker.task("double", strategy="inline")(double)
        worker.task("explode", strategy="inline")(explode)
        keys = [await sdk_client.create_job("double", {"x": n}) for n in range(3)]
        failing = await sdk_client.create_job("explode", retries=1)
        sink_id = logger.add(sink, level="INFO", filter=lambda r: r["extra"].get("worker") == "sum")
        try:
            async with running(worker, sdk_client):
                for key in [*keys, failing]:
                    await wait_until(partial(_ended, sdk_client, key))
        finally:
            logger.remove(sink_id)
        messages = [m for _, m in records]
        assert not [m for m in messages if m.startswith("✓")], messages  # DEBUG in summary
        failures = [(level, m) for level, m in records if m.startswith("✗ explode")]
        assert [level for level, _ in failures] == ["WARNING"], records
        summaries = [m for m in messages if " in the last " in m]
        assert sorted(m.split(" in the last ")[0] for m in summaries) == [
            "double: 3 completed",
            "explode: 1 failed",
        ], summaries

    def test_an_unknown_mode_is_refused_with_the_choices(self) -> None:
        with pytest.raises(ConfigurationError, match="job_log must be one of each, summary"):
            Worker(job_log="some")  # type: ignore[arg-type]


async def _ended(client: AsyncClient, key: str) -> bool:
    state = (await client.get_job(key)).state
    return state in {JobState.COMPLETED, JobState.INCIDENT}


class TestConfigure:
    def test_an_unknown_format_is_refused_with_the_choices(self) -> None:
        with pytest.raises(ValueError, match="unknown log format 'xml'; use one of text, json"):
            _logging.configure("INFO", "xml")
