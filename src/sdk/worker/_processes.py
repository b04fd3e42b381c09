"""N worker processes under one supervisor (``--processes N``, and ``--reload``'s one).

Each child is a fresh ``python -m sdk.worker`` subprocess (spawned, never forked): it imports
the handler modules itself and has its own event loop and connections. Children run in a
session of their own, so a terminal's Ctrl-C reaches only the supervisor, which forwards one
SIGTERM per signal it gets: the first makes every child drain, a second hands back at once,
exactly as for a single worker. A child that exits while not asked to is logged and started
again after a back-off that doubles while it keeps dying soon after its start.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import anyio
from anyio.abc import Process

from .._logging import Log

SUPERVISOR_PID_ENV = "SDK_WORKER_SUPERVISOR_PID"
"""Set in each child's environment: the child serves no endpoint of its own (the supervisor
serves the group's) and drains when the supervisor dies."""

EXIT_CONFIG = 2
"""A child's exit code for a start-up error (``python -m sdk.worker``'s own)."""

RESTART_BASE_S = 0.5
RESTART_CAP_S = 30.0
STABLE_AFTER_S = 30.0
"""A child that ran this long before dying restarts after the base delay again."""
ORPHAN_CHECK_S = 1.0


def supervisor_pid() -> int | None:
    """The supervisor's PID when this process is one of its children, else ``None``."""
    value = os.environ.get(SUPERVISOR_PID_ENV, "")
    return int(value) if value.isdigit() else None


async def stop_when_orphaned(supervisor: int, stop: Callable[[], None]) -> None:
    """Call ``stop`` (drain) once the supervisor is gone: a SIGKILLed supervisor forwards
    no signal, and a child left behind would work for a broker that no longer exists."""
    while os.getppid() == supervisor:  # noqa: ASYNC110 (no event tells of a parent's death)
        await anyio.sleep(ORPHAN_CHECK_S)
    stop()


@dataclass
class _Slot:
    """One of the N places a child runs in, across its restarts."""

    index: int
    proc: Process | None = None
    restart_wanted: bool = False
    failures: int = 0
    wake: anyio.Event = field(default_factory=anyio.Event)


class ProcessGroup:
    """Keeps ``count`` children of ``command`` running until ``stop()``.

    Args:
        command: The child's command line (``python -m sdk.worker ...``).
        env: The child's environment.
        count: How many children.
        log: Where the supervisor logs.
        wait_on_config_error: A child exiting with a start-up error (code 2) waits for
            ``restart()`` (``--reload``: the next change) instead of ending the group.
        on_exit: Called with each dead child's PID (the metrics drop its live gauges).
    """

    def __init__(
        self,
        command: Sequence[str],
        env: Mapping[str, str],
        count: int,
        *,
        log: Log,
        wait_on_config_error: bool = False,
        on_exit: Callable[[int], None] = lambda pid: None,
    ) -> None:
        self.command = list(command)
        self.env = dict(env)
        self.size = count
        self.restarts = 0
        self._log = log
        self._wait_on_config_error = wait_on_config_error
        self.on_exit = on_exit
        self._slots = [_Slot(i) for i in range(count)]
        self._stopping = False
        self._exit_code = 0

    @property
    def stopping(self) -> bool:
        return self._stopping

    @property
    def pids(self) -> list[int]:
        """PIDs of the children alive now."""
        return [s.proc.pid for s in self._slots if s.proc is not None]

    async def run(self) -> int:
        """Run the children until ``stop()`` and all have exited; the group's exit code."""
        async with anyio.create_task_group() as tg:
            for slot in self._slots:
                tg.start_soon(self._keep, slot)
        return self._exit_code

    def stop(self) -> None:
        """Forward a SIGTERM to every child: the first call drains, a second hands back."""
        if not self._stopping:
            self._log.info("stopping {} worker process(es)", len(self.pids))
        self._stopping = True
        for slot in self._slots:
            self._signal(slot)
            slot.wake.set()

    def restart(self) -> None:
        """Drain every child and start it again (code changed); wakes a child that waits."""
        for slot in self._slots:
            slot.restart_wanted = True
            if slot.proc is None:
                slot.wake.set()
            else:
                self._signal(slot)

    async def _keep(self, slot: _Slot) -> None:
        while not self._stopping:
            started = time.monotonic()
            code = await self._run_child(slot)
            ran_s = time.monotonic() - started
            if self._stopping:
                return
            if slot.restart_wanted:
                slot.restart_wanted = False
                continue
            if code == EXIT_CONFIG:
                if not self._wait_on_config_error:
                    self._log.error("worker process {} could not start; stopping", slot.index)
                    self._exit_code = EXIT_CONFIG
                    self.stop()
                    return
                self._log.warning("worker process did not start: waiting for a change")
                await self._sleep(slot, None)
                slot.restart_wanted = False
                continue
            await self._sleep(slot, self._backoff_s(slot, ran_s, code))
            self.restarts += 1

    async def _run_child(self, slot: _Slot) -> int:
        proc = await anyio.open_process(
            self.command,
            stdin=subprocess.DEVNULL,
            stdout=None,
            stderr=None,
            env=self.env,
            start_new_session=True,
        )
        slot.proc = proc
        self._log.info("worker process {} started (pid {})", slot.index, proc.pid)
        try:
            code = await proc.wait()
        finally:
            if proc.returncode is None:  # the supervisor itself is being cancelled
                proc.kill()
                with anyio.CancelScope(shield=True):
                    await proc.wait()
            slot.proc = None
            self.on_exit(proc.pid)
        if self._stopping or slot.restart_wanted:
            self._log.info("worker process {} (pid {}) exited {}", slot.index, proc.pid, code)
        return code

    def _backoff_s(self, slot: _Slot, ran_s: float, code: int) -> float:
        slot.failures = 1 if ran_s >= STABLE_AFTER_S else slot.failures + 1
        delay = min(RESTART_CAP_S, RESTART_BASE_S * 2.0 ** (slot.failures - 1))
        how = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
        self._log.warning(
            "worker process {} died ({}) after {:.1f}s; restarting in {:.1f}s",
            slot.index,
            how,
            ran_s,
            delay,
        )
        return delay

    async def _sleep(self, slot: _Slot, delay_s: float | None) -> None:
        """Wait ``delay_s`` (``None``: for ever), or until ``stop()``/``restart()`` wakes us."""
        slot.wake = anyio.Event()
        if self._stopping or slot.restart_wanted:
            return
        with anyio.move_on_after(float("inf") if delay_s is None else delay_s):
            await slot.wake.wait()

    def _signal(self, slot: _Slot) -> None:
        if slot.proc is not None and slot.proc.returncode is None:
            try:
                os.kill(slot.proc.pid, signal.SIGTERM)
            except ProcessLookupError:  # it died a moment ago; _keep sees the exit
                pass
