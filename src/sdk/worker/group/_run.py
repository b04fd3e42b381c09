"""The supervisor of ``--processes N`` / ``--reload``: broker once, children, one endpoint.

Shutdown, in order: (1) the first SIGINT/SIGTERM is forwarded to every child, which drains
under its own grace period (a second one is forwarded too: hand back at once); (2) the
supervisor waits for every child to exit, restarting none, SIGKILLs one still running
``KILL_MARGIN_S`` past its drain and hands back the jobs it held; (3) it stops the health
endpoint and then the embedded broker, which the children handed their unfinished jobs to.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import anyio
from anyio.abc import TaskGroup

from ..._logging import Log
from ...client import AsyncClient, Settings
from ..observe import MULTIPROC_ENV, health_app, serve_http
from ._handback import JobReclaimer
from ._processes import SUPERVISOR_PID_ENV, ProcessGroup
from ._reload import restart_on_change

StartBroker = Callable[[TaskGroup], Awaitable[str | None]]
"""Starts the embedded broker in the task group and returns its URL (``None``: a server is
configured, the children use it)."""


@dataclass(frozen=True)
class GroupConfig:
    """What the supervisor runs: ``count`` children of ``python -m sdk.worker child_args``,
    named ``<name>-<index>`` (or ``<name>`` when ``count`` is 1)."""

    count: int
    child_args: list[str]
    name: str
    grace_period_s: float
    reload_paths: list[Path] | None = None
    http_sock: socket.socket | None = None


async def run_group(
    config: GroupConfig, start_broker: StartBroker, settings: Settings, log: Log
) -> int:
    """Run the group until signalled and its children have exited; its exit code.

    ``settings`` are the children's connection settings (the supervisor hands back the jobs
    of a dead child with them).
    """
    with tempfile.TemporaryDirectory(prefix="sdk-worker-metrics-") as folder:
        env = dict(os.environ)
        env[SUPERVISOR_PID_ENV] = str(os.getpid())
        env.pop(MULTIPROC_ENV, None)
        if config.http_sock is not None:
            env[MULTIPROC_ENV] = folder
        if config.reload_paths is not None:  # no .pyc whose mtime hides a quick second edit
            env["PYTHONDONTWRITEBYTECODE"] = "1"
        async with anyio.create_task_group() as tg:
            url = await start_broker(tg)
            if url is not None:
                env["CAMUNDA_REST_ADDRESS"] = url
                settings = settings.model_copy(update={"rest_address": url})
            async with AsyncClient(settings) as client:  # connects only to hand jobs back
                group = ProcessGroup(
                    [sys.executable, "-m", "sdk.worker", *config.child_args],
                    env,
                    config.count,
                    name=config.name,
                    grace_period_s=config.grace_period_s,
                    log=log,
                    wait_on_config_error=config.reload_paths is not None,
                    hand_back=JobReclaimer(client, log),
                )
                if config.http_sock is not None:
                    from ._health import GroupHealth  # prometheus_client: only when served

                    health = GroupHealth(config.name, group, Path(folder))
                    group.on_exit = health.child_died
                    await tg.start(serve_http, health_app(health), config.http_sock, log)
                if config.reload_paths is not None:
                    tg.start_soon(restart_on_change, config.reload_paths, group, log)
                tg.start_soon(_forward_signals, group, log)
                code = await group.run()
            tg.cancel_scope.cancel()
    return code


async def _forward_signals(group: ProcessGroup, log: Log) -> None:
    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for signum in signals:
            name = signal.Signals(signum).name
            if not group.stopping:
                log.info(
                    "{} received: worker processes finish running jobs (again to exit now)", name
                )
            else:
                log.warning("{} received again: worker processes hand back running jobs", name)
            group.stop()
