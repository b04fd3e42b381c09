"""The collector of a service process: start-up frozen, young passes rarer, a user's choice kept."""

from __future__ import annotations

import gc
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from sdk import _collector
from sdk.broker import RunningBroker
from sdk.models import JobState
from sdk.testing import client_for, wait_until

from _support.processes import client_config, worker_process

HANDLERS = textwrap.dedent(
    """
    import gc

    from sdk.worker import Worker

    worker = Worker()

    @worker.task("collector")
    async def collector() -> dict[str, object]:
        return {"threshold": list(gc.get_threshold()), "frozen": gc.get_freeze_count()}
    """
)


@pytest.fixture
def restored() -> Iterator[None]:
    """This process's collector as it was, after the test."""
    threshold, enabled = gc.get_threshold(), gc.isenabled()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)
    if enabled:
        gc.enable()


@pytest.fixture
def python_defaults(restored: None) -> None:
    gc.set_threshold(700, 10, 10)


@pytest.mark.usefixtures("python_defaults")
class TestSettle:
    def test_start_up_is_frozen_and_young_passes_come_later(self) -> None:
        kept: list[object] = []  # a tracked object that exists at start-up
        assert gc.is_tracked(kept)
        _collector.settle_after_start_up()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (_collector.YOUNG_THRESHOLD, 10, 10)
        assert all(o is not kept for o in gc.get_objects())  # frozen objects are not listed

    def test_thresholds_set_by_the_program_are_kept(self) -> None:
        gc.set_threshold(5_000, 20, 20)
        _collector.settle_after_start_up()
        assert gc.get_threshold() == (5_000, 20, 20)

    def test_a_collector_switched_off_is_left_alone(self) -> None:
        gc.disable()
        _collector.settle_after_start_up()
        assert not gc.isenabled()
        assert gc.get_freeze_count() == 0
        assert gc.get_threshold() == (700, 10, 10)


@pytest.mark.anyio
@pytest.mark.project("workers.collecting", HANDLERS)
async def test_a_worker_process_runs_its_handlers_with_the_service_collector(
    sdk_broker: RunningBroker, project: Path
) -> None:
    async with client_for(sdk_broker) as client:
        key = await client.create_job("collector")
        with worker_process(project, **client_config(sdk_broker.url)) as worker:

            async def completed() -> bool:
                assert worker.popen.poll() is None, worker.output()
                return (await client.get_job(key)).state is JobState.COMPLETED

            await wait_until(completed, timeout_s=30)
        variables = (await client.get_job(key)).variables
    assert variables["threshold"] == [_collector.YOUNG_THRESHOLD, 10, 10]
    assert isinstance(variables["frozen"], int) and variables["frozen"] > 0
