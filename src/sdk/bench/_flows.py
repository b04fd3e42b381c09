"""``python -m sdk.bench --scenario process``: jobs that BPMN processes create, beside plain jobs.

Generated models, each on a fresh embedded broker: no-op service tasks in sequence, and a
parallel fork of them joined. Instances are started first; the clock starts with the
worker and stops when the store holds every instance as completed. The plain scenario runs
first in the same run with as many jobs, so the ratio of the two job rates compares like with
like.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
from loguru import logger

from ..client import AsyncClient
from ..worker import Worker
from . import _procstat, _run
from ._run import BenchConfig
from ._scenarios import JOB_TYPE, SCENARIOS, noop, stamps

TASKS = 3
"""Service tasks per model, so jobs per instance."""
TARGET_RATIO = 0.5
"""The job rate through processes should reach this share of the plain job rate."""
START_CONCURRENCY = 16
"""Instance creations in flight while the instances are started."""

_NS = (
    'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
    ' xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"'
)


def _model(process_id: str, body: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions {_NS} id="bench-{process_id}">'
        f'<bpmn:process id="{process_id}" isExecutable="true">{body}</bpmn:process>'
        "</bpmn:definitions>"
    ).encode()


def _task(element_id: str) -> str:
    return (
        f'<bpmn:serviceTask id="{element_id}"><bpmn:extensionElements>'
        f'<zeebe:taskDefinition type="{JOB_TYPE}"/></bpmn:extensionElements></bpmn:serviceTask>'
    )


def _flow(source: str, target: str) -> str:
    return f'<bpmn:sequenceFlow id="{source}-{target}" sourceRef="{source}" targetRef="{target}"/>'


def sequence_model() -> bytes:
    """Start, the service tasks one after another, end."""
    tasks = [f"task{i}" for i in range(1, TASKS + 1)]
    path = ["start", *tasks, "end"]
    body = (
        '<bpmn:startEvent id="start"/>' + "".join(map(_task, tasks)) + '<bpmn:endEvent id="end"/>'
    )
    return _model("bench-sequence", body + "".join(map(_flow, path, path[1:])))


def parallel_model() -> bytes:
    """Start, a parallel fork into the service tasks, their join, end."""
    tasks = [f"task{i}" for i in range(1, TASKS + 1)]
    body = (
        '<bpmn:startEvent id="start"/><bpmn:parallelGateway id="fork"/>'
        + "".join(map(_task, tasks))
        + '<bpmn:parallelGateway id="join"/><bpmn:endEvent id="end"/>'
        + _flow("start", "fork")
        + "".join(_flow("fork", t) + _flow(t, "join") for t in tasks)
        + _flow("join", "end")
    )
    return _model("bench-parallel", body)


MODELS: dict[str, Callable[[], bytes]] = {"sequence": sequence_model, "parallel": parallel_model}


def instances_of(config: BenchConfig) -> int:
    """Instances per model: ``config.jobs`` spread over the tasks, else the scenario's."""
    jobs = SCENARIOS["process"].jobs if config.jobs is None else config.jobs
    return max(1, jobs // TASKS)


def check(config: BenchConfig) -> None:
    """Raise ``ValueError`` for what the process scenario cannot measure."""
    if config.address is not None:
        raise ValueError("--scenario process counts instances in the embedded broker's store")
    if config.processes is not None:
        raise ValueError("--scenario process runs the worker in the bench's own process")
    if config.jobs is not None and config.jobs < 1:
        raise ValueError(f"--instances must be 1 or more, not {config.jobs // TASKS}")


async def run_flows(config: BenchConfig) -> dict[str, Any]:
    """The plain scenario with as many jobs, then each model; figures and ratios of all."""
    check(config)
    instances = instances_of(config)
    jobs = instances * TASKS
    plain = await _run.run(dataclasses.replace(config, scenario="noop", jobs=jobs))
    plain_row = {key: value for key, value in plain.items() if key in _ROW_KEYS}
    rows = [plain_row]
    for name, build in MODELS.items():
        rows.append(await _run_model(config, name, build(), instances))
    ratios = {
        f"ratio_{row['model']}": round(row["jobs_per_s"] / plain["jobs_per_s"], 2)
        for row in rows[1:]
    }
    return {
        "scenario": "process",
        "mode": config.mode,
        "strategy": plain["strategy"],
        "concurrency": plain["concurrency"],
        "instances": instances,
        "jobs": jobs,
        "plain": plain_row,
        **{row["model"]: row for row in rows[1:]},
        **ratios,
        "target_ratio": TARGET_RATIO,
        "rows": rows,
        **{key: plain[key] for key in ("server", "python", "cpus", "machine", "sdk")},
    }


_ROW_KEYS = {
    "scenario",
    "mode",
    "strategy",
    "concurrency",
    "worker",
    "jobs",
    "elapsed_s",
    "jobs_per_s",
    "p50_ms",
    "p99_ms",
    "worker_cpu_us_per_job",
    "broker_cpu_us_per_job",
    "worker_rss_mb",
}


async def _run_model(
    config: BenchConfig, name: str, model: bytes, instances: int
) -> dict[str, Any]:
    """One model on a fresh broker: start ``instances``, time the worker until all completed."""
    logger.disable("sdk")
    stamps.clear()
    scenario = SCENARIOS["process"]
    strategy = config.strategy or scenario.strategy
    concurrency = config.concurrency or scenario.concurrency or instances
    jobs = instances * TASKS
    async with _run._broker(config) as broker, _run._client(broker.url) as client:
        assert broker.db is not None  # check: the embedded broker
        deployment = await client.deploy_resources({f"{name}.bpmn": model})
        process_id = deployment.processes[0].process_definition_id
        await _start(client, process_id, instances)
        done = _completed_instances(broker.db, process_id)
        jobs_done = _run._completed_counter(broker.db)
        worker = Worker(
            "bench",
            request_timeout_ms=5_000,
            timeout_ms=120_000,
            report_batching=config.mode == "batch",
        )
        worker.task(JOB_TYPE, strategy=strategy, max_jobs=concurrency)(noop)
        cpu0, broker_cpu0 = _procstat.cpu_seconds(), _run._broker_cpu(broker)
        started = time.perf_counter()
        async with anyio.create_task_group() as tg:
            tg.start_soon(worker.run, client)
            seen = [0]
            tg.start_soon(_run._progress, lambda: seen[0], instances, config.progress)
            with anyio.fail_after(max(600, jobs / 10)):
                # a job's completion commits with its instance's step, so once every job is
                # durably completed so is every instance; the jobs are counted from the
                # history, the instances (whose rows hold their state) once at the end
                while True:
                    await anyio.sleep(0.01)
                    finished = await anyio.to_thread.run_sync(jobs_done)
                    seen[0] = finished // TASKS
                    if finished < jobs or worker.in_flight:
                        continue
                    if await anyio.to_thread.run_sync(done) >= instances:
                        break
            elapsed = time.perf_counter() - started
            worker.stop()
        cpu1, broker_cpu1 = _procstat.cpu_seconds(), _run._broker_cpu(broker)
        rss = _procstat.rss_mb()
        latencies = _run._held_ms(broker.db)
        completed = await anyio.to_thread.run_sync(done)
    return {
        "scenario": f"process/{name}",
        "model": name,
        "mode": config.mode,
        "strategy": strategy,
        "concurrency": concurrency,
        "worker": "in-process",
        "instances": instances,
        "completed_instances": completed,
        "jobs": jobs,
        "elapsed_s": round(elapsed, 3),
        "instances_per_s": round(instances / elapsed, 1),
        "jobs_per_s": round(jobs / elapsed, 1),
        "p50_ms": _run._round(_run._percentile(latencies, 50)),
        "p99_ms": _run._round(_run._percentile(latencies, 99)),
        "worker_cpu_us_per_job": _run._per_job(cpu0, cpu1, jobs),
        "broker_cpu_us_per_job": _run._per_job(broker_cpu0, broker_cpu1, jobs),
        "worker_rss_mb": _run._round(rss),
    }


async def _start(client: AsyncClient, process_id: str, instances: int) -> None:
    """Start ``instances`` of the process, a few creations in flight at a time."""
    limiter = anyio.Semaphore(START_CONCURRENCY)

    async def one() -> None:
        async with limiter:
            await client.create_process_instance(process_definition_id=process_id)

    async with anyio.create_task_group() as tg:
        for _ in range(instances):
            tg.start_soon(one)


def _completed_instances(db: Path, process_id: str) -> Callable[[], int]:
    """Counts the process's completed instances in the embedded broker's file."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, check_same_thread=False)

    def count() -> int:
        # blocking: the caller runs it in a worker thread, off the event loop
        (value,) = conn.execute(
            "SELECT COUNT(*) FROM process_instances WHERE bpmn_process_id = ? AND state = ?",
            (process_id, "COMPLETED"),
        ).fetchone()
        return int(value)

    return count
