"""Poll resilience: a worker outlives its server going away and resumes by itself."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
import pytest
from loguru import logger
from prometheus_client.parser import text_string_to_metric_families

from sdk.broker import RunningBroker, serve
from sdk.client import AsyncClient
from sdk.models import JobKey, JobState
from sdk.testing import wait_until
from sdk.worker import Worker
from sdk.worker.runtime import Backoff

from .handlers import stamp
from _support.ports import free_port

if TYPE_CHECKING:
    from loguru import Message

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def broker_on(db: Path, port: int) -> AsyncIterator[RunningBroker]:
    """A broker on a SQLite file and a fixed port, stopped when the block ends."""
    async with anyio.create_task_group() as tg:
        yield await tg.start(partial(serve, db, "127.0.0.1", port))
        tg.cancel_scope.cancel()


@contextmanager
def log_lines(worker_name: str) -> Iterator[list[str]]:
    """The messages ``worker_name`` logs at INFO and above while the block runs."""
    lines: list[str] = []

    def sink(message: Message) -> None:
        lines.append(message.record["message"])

    sink_id = logger.add(
        sink, level="INFO", filter=lambda r: r["extra"].get("worker") == worker_name
    )
    try:
        yield lines
    finally:
        logger.remove(sink_id)


def poll_errors(worker: Worker) -> float:
    families = text_string_to_metric_families(worker.render_metrics().decode())
    return sum(
        s.value for f in families for s in f.samples if s.name == "sdk_worker_poll_errors_total"
    )


async def all_completed(client: AsyncClient, keys: list[JobKey]) -> bool:
    states = [(await client.get_job(k)).state for k in keys]
    return all(state is JobState.COMPLETED for state in states)


class TestServerRestart:
    async def test_worker_resumes_when_the_server_returns_and_logs_one_line_each_way(
        self, tmp_path: Path
    ) -> None:
        db, port = tmp_path / "broker.db", free_port()
        release = anyio.Event()
        worker = Worker("phoenix", request_timeout_ms=1_000)
        worker.task("echo")(stamp)

        @worker.task("gate", timeout_ms=5_000)
        async def gate() -> dict[str, bool]:
            await release.wait()
            return {"released": True}

        config = {
            "CAMUNDA_REST_ADDRESS": f"http://127.0.0.1:{port}",
            "CAMUNDA_AUTH_STRATEGY": "NONE",
        }
        with log_lines("phoenix") as lines:
            async with AsyncClient(configuration=config) as client, anyio.create_task_group() as tg:
                async with broker_on(db, port):
                    keys = [await client.create_job("echo") for _ in range(2)]
                    tg.start_soon(worker.run, client)
                    await wait_until(partial(all_completed, client, keys))
                    held = [await client.create_job("gate") for _ in range(2)]
                    await wait_until(lambda: worker.in_flight == 2)
                # The server is gone: polls fail again and again, the worker stays up.
                await wait_until(lambda: poll_errors(worker) >= 3)
                assert worker.readiness == (False, "server unreachable")
                release.set()  # the held jobs finish while the server is down
                async with broker_on(db, port):
                    keys += held + [await client.create_job("echo") for _ in range(2)]
                    await wait_until(partial(all_completed, client, keys), timeout_s=30)
                    assert worker.readiness == (True, "ready")
                    worker.stop()
        down = [line for line in lines if "server down" in line]
        recovered = [line for line in lines if "server recovered" in line]
        assert len(down) == 1, lines
        assert len(recovered) == 1, lines
        assert lines.index(down[0]) < lines.index(recovered[0])


class TestBackoff:
    def test_delays_are_jittered_below_a_cap_and_reset_by_a_success(self) -> None:
        backoff = Backoff(base_s=0.1, cap_s=2.0, _random=random.Random(7))
        delays = [backoff.next_delay_s() for _ in range(50)]
        assert all(0 <= d <= 2.0 for d in delays)
        assert max(delays[10:]) > 1.0  # grown to the cap, not stuck at the base
        assert len(set(delays)) == len(delays)  # jittered
        backoff.reset()
        assert not backoff.failing
        assert backoff.next_delay_s() <= 0.1


class TestSilentServer:
    async def test_stop_during_start_up_returns_at_once(self) -> None:
        """A server that takes connections and never answers (hung, or a black-holing
        balancer) must not hold a stopping worker for its start-up calls' timeouts."""
        asked = anyio.Event()

        async def silent(stream: anyio.abc.SocketStream) -> None:
            async with stream:
                await stream.receive()  # the start-up call's request; never answered
                asked.set()
                await anyio.sleep_forever()

        listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
        port = listener.extra(anyio.abc.SocketAttribute.local_port)
        config = {
            "CAMUNDA_REST_ADDRESS": f"http://127.0.0.1:{port}/v2",
            "CAMUNDA_AUTH_STRATEGY": "NONE",
            "SDK_HTTP_TIMEOUT_S": 60,
        }
        worker = Worker("silent-server")

        @worker.task("never")
        async def never(job: object) -> None:
            raise AssertionError("no job can come from a silent server")

        async with listener, anyio.create_task_group() as tg:
            tg.start_soon(listener.serve, silent)
            async with AsyncClient(configuration=config) as client:
                with anyio.fail_after(10):
                    async with anyio.create_task_group() as run:
                        run.start_soon(worker.run, client)
                        await asked.wait()
                        started = anyio.current_time()
                        worker.stop()
                assert anyio.current_time() - started < 2
            tg.cancel_scope.cancel()
