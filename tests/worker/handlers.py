"""Handlers for the worker tests, importable by child processes (the process strategy)."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel

from sdk.worker import JobContext, JobError


def double(x: int) -> dict[str, int]:
    return {"doubled": 2 * x}


async def double_async(x: int) -> dict[str, int]:
    await anyio.lowlevel.checkpoint()
    return {"doubled": 2 * x}


def explode() -> None:
    raise ValueError("boom")


async def explode_async() -> None:
    raise ValueError("boom")


def reject() -> None:
    raise JobError("REJECTED", "not today", {"why": "test"})


async def reject_async() -> None:
    raise JobError("REJECTED", "not today", {"why": "test"})


def sleepy(job: JobContext, delay_s: float) -> dict[str, Any]:
    time.sleep(delay_s)
    return {"by": job.worker}


async def sleepy_async(job: JobContext, delay_s: float) -> dict[str, Any]:
    await anyio.sleep(delay_s)
    return {"by": job.worker}


async def stamp(job: JobContext) -> dict[str, Any]:
    return {"by": job.worker}


def wrong_return() -> int:
    return 42


async def wrong_return_async() -> int:
    return 42


def exit_abruptly() -> None:
    os._exit(3)


def segfault() -> None:
    os.kill(os.getpid(), signal.SIGSEGV)


def whoami() -> dict[str, int]:
    return {"pid": os.getpid()}


def write_pid_then_sleep(pid_file: str, delay_s: float) -> None:
    Path(pid_file).write_text(str(os.getpid()))
    time.sleep(delay_s)


class Unpicklable:
    """A handler whose instance holds a lock: it cannot be sent to a child process."""

    def __init__(self) -> None:
        self.lock = threading.Lock()

    def handle(self) -> None:
        return None


SYNC = {
    "double": double,
    "explode": explode,
    "reject": reject,
    "sleepy": sleepy,
    "wrong_return": wrong_return,
}
ASYNC = {
    "double": double_async,
    "explode": explode_async,
    "reject": reject_async,
    "sleepy": sleepy_async,
    "wrong_return": wrong_return_async,
}


def handler(name: str, strategy: str) -> Any:
    """The handler called ``name`` in the flavour ``strategy`` needs (async or plain)."""
    return (ASYNC if strategy == "async" else SYNC)[name]
