"""``python -m sdk.worker``: load handler modules and work jobs until SIGINT/SIGTERM.

With no ``CAMUNDA_REST_ADDRESS`` configured, it starts the embedded broker in-process and
serves it on a loopback port, so other processes can create jobs for it (only then is the
broker's code imported: ``broker.X`` below loads on first use). The first
SIGINT/SIGTERM drains (running jobs get the grace period, then are handed back); a second
one hands back at once. Exit code 0 after either, 2 for a start-up error.
"""

from __future__ import annotations

import argparse
import signal
import socket
import sys
from functools import partial
from pathlib import Path
from typing import Literal

import anyio
from anyio.abc import TaskGroup
from loguru import logger
from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from .. import _logging, _service, broker
from .._collector import settle_after_start_up
from ..broker import DEFAULT_HOST, DEFAULT_POOL_SIZE, DEFAULT_PORT, default_db_path
from ..client import AsyncClient, Settings
from ..errors import ApiError, ConfigurationError, SdkError
from ._loader import DEFAULT_MODULE, load_handlers
from ._worker import DEFAULT_GRACE_PERIOD_S, Worker, default_worker_name
from .group import require_watchfiles, stop_when_orphaned, supervisor_pid, watched_paths
from .observe import DEFAULT_HTTP_HOST, bind_http

EXIT_CONFIG = 2


class WorkerSettings(BaseSettings):
    """Settings of the worker process; the connection itself is ``sdk.client.Settings``."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    workers: str = Field(
        default=DEFAULT_MODULE,
        validation_alias="SDK_WORKERS",
        description="Comma-separated handler modules to load.",
    )
    deploy: str = Field(
        default="",
        validation_alias="SDK_DEPLOY",
        description="Comma-separated BPMN files or folders deployed at start, before polling.",
    )
    worker_name: str | None = Field(
        default=None,
        validation_alias="SDK_WORKER_NAME",
        description="Name recorded on activated jobs (default: host-pid); with --processes N"
        " (N > 1), process i records NAME-i.",
    )
    grace_period_s: float = Field(
        default=DEFAULT_GRACE_PERIOD_S,
        ge=0,
        validation_alias="SDK_GRACE_PERIOD_S",
        description="Seconds running jobs may finish after SIGTERM before they are handed back.",
    )
    broker_host: str = Field(
        default=DEFAULT_HOST,
        validation_alias="SDK_BROKER_HOST",
        description="Address the embedded broker binds.",
    )
    broker_port: int = Field(
        default=DEFAULT_PORT,
        ge=0,
        le=65535,
        validation_alias="SDK_BROKER_PORT",
        description="Port of the embedded broker (0: any free port).",
    )
    broker_db: Path | None = Field(
        default=None,
        validation_alias="SDK_BROKER_DB",
        description="SQLite file of the embedded broker (default: under SDK_DATA_DIR).",
    )
    broker_database_url: str | None = Field(
        default=None,
        validation_alias="SDK_BROKER_DATABASE_URL",
        description="PostgreSQL URL of the broker's jobs instead of SDK_BROKER_DB"
        " (`postgresql://user:password@host/db`, several brokers may share it; needs"
        " `sdk[postgres]`).",
    )
    broker_database_pool_size: int = Field(
        default=DEFAULT_POOL_SIZE,
        ge=1,
        le=1000,
        validation_alias="SDK_BROKER_DATABASE_POOL_SIZE",
        description="Connections a broker keeps to PostgreSQL: how many transactions it runs"
        " at once (the broker's `--database-pool-size`).",
    )
    log_level: str = Field(
        default=_logging.DEFAULT_LEVEL, validation_alias="SDK_LOG_LEVEL", description="Log level."
    )
    log_format: Literal["text", "json"] = Field(
        default="text",
        validation_alias="SDK_LOG_FORMAT",
        description="`text` (coloured on a terminal) or `json` (one object a line).",
    )
    job_log: Literal["each", "summary"] = Field(
        default="each",
        validation_alias="SDK_JOB_LOG",
        description="`each`: an INFO line per completed job; `summary`: one line per job type"
        " every 10 s (a line costs ~20 µs of CPU a job; failures are logged one by one).",
    )
    http_port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        validation_alias="SDK_HTTP_PORT",
        description="Port of /healthz, /readyz and /metrics (unset: no endpoint).",
    )
    http_host: str = Field(
        default=DEFAULT_HTTP_HOST,
        validation_alias="SDK_HTTP_HOST",
        description="Address of the health/metrics endpoint (0.0.0.0 in containers).",
    )


def parser(defaults: WorkerSettings) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m sdk.worker", description=__doc__)
    p.add_argument(
        "modules",
        nargs="*",
        help=f"handler modules to load (default: SDK_WORKERS or {DEFAULT_MODULE!r})",
    )
    p.add_argument(
        "--name",
        default=defaults.worker_name,
        help="worker name (default: host-pid); with --processes N > 1, process i is NAME-i",
    )
    p.add_argument(
        "--grace-period",
        type=float,
        default=defaults.grace_period_s,
        help=f"seconds to drain on shutdown (default: {defaults.grace_period_s:g})",
    )
    p.add_argument(
        "--deploy",
        action="append",
        default=[d.strip() for d in defaults.deploy.split(",") if d.strip()],
        metavar="DIR_OR_FILE",
        help="deploy a BPMN file, or a folder's .bpmn files, at start before polling"
        " (repeatable; default: SDK_DEPLOY, comma-separated)",
    )
    p.add_argument("--broker-host", default=defaults.broker_host, help="embedded broker address")
    p.add_argument(
        "--broker-port",
        type=int,
        default=defaults.broker_port,
        help=f"embedded broker port (default: {defaults.broker_port})",
    )
    p.add_argument(
        "--db",
        type=str,
        default=defaults.broker_database_url or defaults.broker_db or default_db_path(),
        help="embedded broker SQLite file (or PostgreSQL URL: SDK_BROKER_DATABASE_URL)",
    )
    p.set_defaults(db_pool_size=defaults.broker_database_pool_size)
    p.add_argument(
        "--log-level",
        default=defaults.log_level,
        help=f"log level (default: {defaults.log_level})",
    )
    p.add_argument(
        "--log-format",
        choices=_logging.FORMATS,
        default=defaults.log_format,
        help=f"text (coloured on a terminal) or json lines (default: {defaults.log_format})",
    )
    p.add_argument(
        "--job-log",
        choices=["each", "summary"],
        default=defaults.job_log,
        help="a line per completed job, or a summary line per job type every 10 s"
        f" (default: {defaults.job_log})",
    )
    p.add_argument(
        "--http-port",
        type=int,
        default=defaults.http_port,
        help="serve /healthz, /readyz and /metrics on this port (default: "
        + ("off" if defaults.http_port is None else str(defaults.http_port))
        + ")",
    )
    p.add_argument(
        "--http-host",
        default=defaults.http_host,
        help=f"address of that endpoint (default: {defaults.http_host})",
    )
    p.add_argument(
        "--processes",
        type=int,
        default=1,
        metavar="N",
        help="run N worker processes under one supervisor, which runs the embedded broker"
        " and the --http-port endpoint (default: 1, in this process)",
    )
    p.add_argument(
        "--reload",
        action="store_true",
        help="development: restart the worker when a Python file changes (needs sdk[reload])",
    )
    return p


def _open_embedded_store(settings: Settings, args: argparse.Namespace) -> broker.JobStore | None:
    """The embedded broker's store, unless a server is configured."""
    if settings.rest_address is not None:
        return None
    return broker.open_store(args.db, pool_size=args.db_pool_size)


async def _start_embedded_broker(
    tg: TaskGroup, store: broker.JobStore | None, args: argparse.Namespace
) -> str | None:
    """Serve the embedded broker on ``store`` in ``tg`` (none: a server is configured)."""
    if store is None:
        return None
    auth = broker.BrokerAuthSettings.load().to_auth()  # SDK_BROKER_USERS etc., as sdk.broker
    running: broker.RunningBroker = await tg.start(
        partial(broker.serve, args.db, sock=args.sock, auth=auth, store=store)
    )
    logger.info(
        "no CAMUNDA_REST_ADDRESS set: using the embedded broker at {}; create a job with"
        " `python -m sdk jobs create TYPE --variables '{{}}'`",
        running.url,
    )
    logger.info("dashboard: {}/ui", running.url.removesuffix("/v2"))
    return running.url


def deploy_files(paths: list[str]) -> list[Path]:
    """The BPMN files ``--deploy`` names: files as given, a folder's ``*.bpmn`` (recursively,
    sorted); a path that does not exist is a start-up error."""
    found: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            files = sorted(path.rglob("*.bpmn"))
            if not files:
                logger.warning("--deploy {}: the folder holds no .bpmn file", path)
            found += files
        elif path.is_file():
            found.append(path)
        else:
            raise ConfigurationError(f"--deploy {given}: no such file or folder")
    return list(dict.fromkeys(found))


async def _deploy(client: AsyncClient, files: list[Path]) -> None:
    """Deploy ``files`` in one deployment; a refusal is a start-up error naming the problems."""
    try:
        result = await client.deploy_resources_from_files(files)
    except ApiError as exc:
        detail = exc.problem.detail or str(exc)
        refusal = f"the deployment of {len(files)} file(s) was refused:\n{detail}"
        raise ConfigurationError(refusal) from None
    except SdkError as exc:
        raise ConfigurationError(f"cannot deploy {len(files)} file(s): {exc}") from None
    for process in result.processes:
        logger.info(
            "deployed {} version {} (key {}) from {}",
            process.process_definition_id,
            process.process_definition_version,
            process.process_definition_key,
            process.resource_name,
        )


async def _serve_until_signalled(
    worker: Worker, settings: Settings, args: argparse.Namespace
) -> None:
    # opened before the task group, so a database error reads plainly, not as a group's
    store = _open_embedded_store(settings, args)
    refused: ConfigurationError | None = None
    async with anyio.create_task_group() as tg:
        url = await _start_embedded_broker(tg, store, args)
        if url is not None:
            settings = settings.model_copy(update={"rest_address": url})
        if (supervisor := supervisor_pid()) is not None:  # one of a group's processes
            tg.start_soon(stop_when_orphaned, supervisor, worker.stop)
        with anyio.CancelScope() as worker_scope:
            tg.start_soon(_handle_signals, worker, worker_scope)
            async with AsyncClient(settings) as client:
                try:
                    if args.deploy_files:
                        await _deploy(client, args.deploy_files)
                except ConfigurationError as exc:  # raised past the group it would read as
                    refused = exc  # the group's error: kept, and raised as itself below
                else:
                    await worker.run(client, http_sock=args.http_sock)
        tg.cancel_scope.cancel()  # the worker is done: stop the broker and the signal watcher
    if refused is not None:
        raise refused


async def _handle_signals(worker: Worker, worker_scope: anyio.CancelScope) -> None:
    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for signum in signals:
            name = signal.Signals(signum).name
            if not worker.stop_requested:
                logger.info("{} received: finishing running jobs (again to exit now)", name)
                worker.stop()
            else:
                logger.warning("{} received again: handing back running jobs and exiting", name)
                worker_scope.cancel()


def main(argv: list[str] | None = None) -> int:
    try:
        worker_settings = _load_settings()
        args = parser(worker_settings).parse_args(argv)
        _configure_logging(args.log_level, args.log_format)
        settings = Settings.load()
        modules = args.modules or worker_settings.workers.split(",")
        if args.processes != 1 or args.reload:
            return _leave_abandoned_threads(_run_group(args, modules, settings))
        worker = Worker(args.name, grace_period_s=args.grace_period, job_log=args.job_log)
        loaded = load_handlers(modules, worker)
        logger.info("loaded handlers from {}: {}", ", ".join(loaded), ", ".join(worker.tasks))
        worker.check()
        args.deploy_files = deploy_files(args.deploy)
        args.sock = _bind_broker(settings, args)
        args.http_sock = None
        if args.http_port is not None and supervisor_pid() is None:
            args.http_sock = bind_http(args.http_host, args.http_port)
        settle_after_start_up()
        _service.run(_serve_until_signalled, worker, settings, args)
    except (ConfigurationError, broker.BrokerStartError) as exc:  # evaluated only on an error
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    return _leave_abandoned_threads(0)


def _run_group(args: argparse.Namespace, modules: list[str], settings: Settings) -> int:
    """``--processes N`` / ``--reload``: this process supervises workers (``group._run``)."""
    from .group import GroupConfig, run_group

    if args.processes < 1:
        raise ConfigurationError(f"--processes must be 1 or more, not {args.processes}")
    if args.reload:
        require_watchfiles()
    else:  # a broken handler module is a start-up error here, not N crashing children
        check = Worker(args.name, grace_period_s=args.grace_period)
        load_handlers(modules, check)
        check.check()
    args.sock = _bind_broker(settings, args)
    config = GroupConfig(
        count=args.processes,
        child_args=_child_args(args, modules),
        name=args.name or default_worker_name(),
        grace_period_s=args.grace_period,
        reload_paths=watched_paths(modules, Path.cwd()) if args.reload else None,
        http_sock=None if args.http_port is None else bind_http(args.http_host, args.http_port),
    )
    store = _open_embedded_store(settings, args)
    start_broker = partial(_start_embedded_broker, store=store, args=args)
    log = logger.bind(worker="supervisor")
    settle_after_start_up()
    code: int = _service.run(run_group, config, start_broker, settings, log)
    return code


def _bind_broker(settings: Settings, args: argparse.Namespace) -> socket.socket | None:
    """The embedded broker's socket, bound now (a taken port is a start-up error); ``None``
    when a server is configured."""
    if settings.rest_address:
        return None
    return broker.bind(args.broker_host, args.broker_port)


def _child_args(args: argparse.Namespace, modules: list[str]) -> list[str]:
    """A child's command line: the same handlers and drain/log options (its ``--name``
    is the group's with its index)."""
    deploys = [arg for path in args.deploy for arg in ("--deploy", path)]
    return [
        *modules,
        *deploys,
        "--grace-period",
        str(args.grace_period),
        "--log-level",
        args.log_level,
        "--log-format",
        args.log_format,
        "--job-log",
        args.job_log,
    ]


def _load_settings() -> WorkerSettings:
    try:
        return WorkerSettings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigurationError(f"invalid worker setting: {problems}") from None


def _configure_logging(level: str, fmt: str) -> None:
    try:
        _logging.configure(level, fmt)
    except ValueError as exc:  # loguru: "Level 'X' does not exist"
        raise ConfigurationError(f"invalid log setting: {exc}") from None


def _leave_abandoned_threads(code: int) -> int:
    """``code``; but exit with it at once, without joining threads still running (handlers
    abandoned at a timeout or shutdown, name lookups), which Python would otherwise wait for
    at exit however long they take."""
    if stuck := _service.stuck_threads():
        logger.warning("{} thread(s) still running; exiting without waiting for them", len(stuck))
        _service.exit_now(code)
    return code
