"""The handler module ``python -m sdk.bench --processes N`` gives ``python -m sdk.worker``.

Its scenario comes from the environment the bench sets. Each worker process says it is ready
(a file named by its PID in the gate folder) and polls only once the bench opens the gate, so
interpreter start-up is neither timed nor counted in the CPU per job.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import anyio

from ..worker import Worker
from ._scenarios import SCENARIOS

JOB_TYPE = "bench"
GATE_ENV = "SDK_BENCH_GATE"
SCENARIO_ENV = "SDK_BENCH_SCENARIO"
STRATEGY_ENV = "SDK_BENCH_STRATEGY"
CONCURRENCY_ENV = "SDK_BENCH_CONCURRENCY"
READY_PREFIX = "ready-"
GO = "go"
GATE_TIMEOUT_S = 120.0
GATE_CHECK_S = 0.002

_scenario = SCENARIOS[os.environ.get(SCENARIO_ENV, "noop")]
assert _scenario.handler is not None, "a scenario with a handler of its own"

worker = Worker()
worker.task(
    JOB_TYPE,
    strategy=os.environ.get(STRATEGY_ENV) or _scenario.strategy,
    max_jobs=int(os.environ.get(CONCURRENCY_ENV) or _scenario.concurrency or _scenario.jobs),
    timeout_ms=120_000,
    request_timeout_ms=5_000,
)(_scenario.handler)


@worker.lifespan
async def _wait_for_the_gate() -> AsyncIterator[None]:
    folder = os.environ.get(GATE_ENV)
    if folder:  # unset: poll at once
        gate = anyio.Path(folder)
        await (gate / f"{READY_PREFIX}{os.getpid()}").touch()
        with anyio.fail_after(GATE_TIMEOUT_S):
            while not await (gate / GO).exists():  # noqa: ASYNC110 (the bench's signal: a file)
                await anyio.sleep(GATE_CHECK_S)
    yield
