"""A small pool of child processes ('spawn') for the process strategy.

Why our own and not ``anyio.to_process``: a child must be replaceable after N jobs
(``max_jobs_per_child``, for handlers that leak), and a crash must fail only the job it was
running, with the signal or exit code in the message. Each child serves one job at a time over
a pipe: the parent sends ``pickle((invocation, ctx))`` and reads back a pickled ``Outcome``,
after any progress reports the handler made on the way.
Waiting for the answer happens in a thread, so the event loop never blocks on the pipe.

- cancelled (timeout, shutdown): the child is killed; a fresh one serves the next job.
- died (segfault, ``os._exit``, OOM killer): EOF on the pipe; the job fails saying how it died.
- ``max_jobs_per_child`` reached: the child is told to exit and a fresh one takes its place.
Children ignore SIGINT (a Ctrl+C reaches the whole process group): the parent decides when
they stop, so a first Ctrl+C lets their jobs finish like any other.
"""

from __future__ import annotations

import multiprocessing
import pickle
import signal
from dataclasses import dataclass
from functools import partial
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

import anyio
import anyio.to_thread

from ... import _logging
from .._context import JobContext, ProgressSink, set_child_progress
from .._outcome import Fail, Outcome, describe
from .._task import Invocation

STOP_TIMEOUT_S = 5.0
_SPAWN = multiprocessing.get_context("spawn")
_EXIT = b""
"""An empty request tells a child to exit."""
_PROGRESS = b"P"
"""Starts a child's message that is a progress report, not the answer (a pickle never does)."""


class ChildDied(Exception):
    """The child serving a job ended before it answered."""


@dataclass
class _Child:
    process: BaseProcess
    conn: Connection
    jobs_done: int = 0

    def call(self, request: bytes, on_progress: ProgressSink) -> bytes:
        """Send one job and wait for its answer (blocking: runs in a worker thread); the
        handler's progress reports on the way go to ``on_progress``."""
        try:
            self.conn.send_bytes(request)
            while True:
                answer = self.conn.recv_bytes()
                if not answer.startswith(_PROGRESS):
                    return answer
                fraction, message = pickle.loads(answer[len(_PROGRESS) :])
                on_progress(fraction, message)
        except (EOFError, OSError) as exc:
            raise ChildDied from exc


class ProcessPool:
    """Up to ``size`` children, started on demand and kept for the next job.

    Args:
        size: Jobs (children) at once.
        max_jobs_per_child: Jobs a child serves before it is replaced; ``None``: no limit.
    """

    def __init__(self, size: int, max_jobs_per_child: int | None = None) -> None:
        self._max_jobs_per_child = max_jobs_per_child
        self._idle: list[_Child] = []
        self._waiters = anyio.CapacityLimiter(size)
        self._closed = False

    async def run(self, invocation: Invocation, ctx: JobContext) -> Outcome:
        request = pickle.dumps((invocation, ctx), protocol=pickle.HIGHEST_PROTOCOL)
        with anyio.CancelScope(shield=True):  # a child started is a child we must stop
            child = self._idle.pop() if self._idle else await self._spawn()
        try:
            answer = await anyio.to_thread.run_sync(
                child.call,
                request,
                ctx.report_progress,
                abandon_on_cancel=True,
                limiter=self._waiters,
            )
        except anyio.get_cancelled_exc_class():
            with anyio.CancelScope(shield=True):
                await _stop(child, kill=True)
            raise
        except ChildDied:
            with anyio.CancelScope(shield=True):
                how = await _stop(child, kill=True)
            return Fail(_died_message(how, first_job=child.jobs_done == 0))
        child.jobs_done += 1
        if self._closed or (
            self._max_jobs_per_child is not None and child.jobs_done >= self._max_jobs_per_child
        ):
            with anyio.CancelScope(shield=True):
                await _stop(child, kill=False)
        else:
            self._idle.append(child)
        outcome: Outcome = pickle.loads(answer)
        return outcome

    async def aclose(self) -> None:
        """Stop the idle children; a busy one stops when its job ends. Idempotent."""
        self._closed = True
        idle, self._idle = self._idle, []
        async with anyio.create_task_group() as tg:
            for child in idle:
                tg.start_soon(_stop, child, False)

    async def _spawn(self) -> _Child:
        parent_end, child_end = _SPAWN.Pipe(duplex=True)
        process = _SPAWN.Process(
            target=_child_main,
            args=(child_end, _logging.configured),
            name="sdk-worker-child",
            daemon=True,  # never outlive the worker, even if it dies without cleaning up
        )
        try:
            await anyio.to_thread.run_sync(process.start)
        finally:
            child_end.close()  # the parent's copy: EOF must reach us when the child dies
        return _Child(process, parent_end)


async def _stop(child: _Child, kill: bool) -> str:
    """Stop ``child`` (politely unless ``kill``), reap it, and say how it ended."""
    if kill:
        child.process.kill()
    else:
        try:
            child.conn.send_bytes(_EXIT)
        except OSError:
            child.process.kill()
    await anyio.to_thread.run_sync(child.process.join, STOP_TIMEOUT_S)
    if child.process.exitcode is None:
        child.process.kill()
        await anyio.to_thread.run_sync(child.process.join, STOP_TIMEOUT_S)
    child.conn.close()
    return exit_description(child.process.exitcode)


def _died_message(how: str, *, first_job: bool) -> str:
    message = (
        f"the child process running the handler died ({how}) before it answered;"
        " a fresh process runs the next job"
    )
    if first_job and how.startswith("exit code"):
        message += (
            ". A child that exits before its first answer often could not start: see its"
            " traceback on stderr (a script that starts the worker needs an"
            ' `if __name__ == "__main__":` guard, as child processes re-import it)'
        )
    return message


def exit_description(code: int | None) -> str:
    """How a process ended, from its exit code (negative: the signal); the process pool and
    the ``--processes`` supervisor say it the same way."""
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


def _child_main(conn: Connection, log_config: tuple[str, str] | None) -> None:
    """A child's whole life: serve jobs one at a time until told to exit or the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if log_config is not None:
        _logging.configure(*log_config)
    set_child_progress(partial(_send_progress, conn))
    while True:
        try:
            request = conn.recv_bytes()
        except (EOFError, OSError):
            return
        if request == _EXIT:
            return
        conn.send_bytes(_serve(request))


def _send_progress(conn: Connection, fraction: float, message: str) -> None:
    """A handler's progress report, sent up the pipe before the answer."""
    conn.send_bytes(_PROGRESS + pickle.dumps((fraction, message)))


def _serve(request: bytes) -> bytes:
    try:
        invocation, ctx = pickle.loads(request)
        outcome = invocation.run_sync(ctx)
    except BaseException as exc:  # sys.exit() in a handler, a module that fails to import
        outcome = Fail(describe(exc))
    try:
        return pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:
        return pickle.dumps(Fail(f"the handler's outcome cannot be sent back: {exc}"))
