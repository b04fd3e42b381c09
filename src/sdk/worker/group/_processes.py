"""N worker processes under one supervisor (``--processes N``, and ``--reload``'s one).

Each child is a fresh ``python -m sdk.worker`` subprocess (spawned, never forked): it imports
the handler modules itself and has its own event loop and connections, and its own worker
name, ``<name>-<index>`` (a group of one, ``--reload``'s, keeps ``<name>``). Children run in
a session of their own, so a terminal's Ctrl-C reaches only the supervisor, which forwards
one SIGTERM per signal it gets: the first makes every child drain, a second hands back at
once, exactly as for a single worker. A child still running ``KILL_MARGIN_S`` after its drain
should have ended is SIGKILLed. A child that exits while not asked to is logged and started
again after a back-off that doubles while it keeps dying soon after its start. Jobs a killed
or dead child still held are handed back through ``hand_back`` (``_handback``) before
its slot starts again.
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

import anyio
from anyio.abc import Process

from ..._logging import Log
from ..strategies import exit_description as _how

SUPERVISOR_PID_ENV = "SDK_WORKER_SUPERVISOR_PID"
"""Set in each child's environment: the child serves no endpoint of its own (the supervisor
serves the group's) and drains when the supervisor dies."""

EXIT_CONFIG = 2
"""A child's exit code for a start-up error (``python -m sdk.worker``'s own)."""

RESTART_BASE_S = 0.5
RESTART_CAP_S = 30.0
STABLE_AFTER_S = 30.0
"""A child that ran this long before dying restarts after the base delay again."""
KILL_MARGIN_S = 10.0
"""Beyond its grace period (after a first SIGTERM) or at once (after a second), the time a
child gets to hand back, close its lifespans and exit before it is SIGKILLed."""
ORPHAN_CHECK_S = 1.0

HandBack = Callable[[str, str, bool], Awaitable[None]]
"""``(worker name, what happened, lose a retry)``: hand back what a dead child held."""


async def _nothing_to_hand_back(name: str, what: str, lose_retry: bool) -> None:
    return None


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
    name: str
    proc: Process | None = None
    restart_wanted: bool = False
    failures: int = 0
    wake: anyio.Event = field(default_factory=anyio.Event)
    terms_sent: int = 0
    """SIGTERMs sent to the current child: the first drains, the second hands back."""
    kill_at: float = math.inf
    """``time.monotonic()`` after which the current child is SIGKILLed."""
    kill_at_moved: anyio.Event = field(default_factory=anyio.Event)
    killed: bool = False


class ProcessGroup:
    """Keeps ``count`` children of ``command`` running until ``stop()``.

    Args:
        command: The child's command line (``python -m sdk.worker ...``) without its name;
            each child gets ``--name <name>-<index>`` (one child: ``<name>``).
        env: The child's environment.
        count: How many children.
        name: The group's worker name.
        grace_period_s: The children's drain grace period (when to SIGKILL one).
        log: Where the supervisor logs.
        wait_on_config_error: A child exiting with a start-up error (code 2) waits for
            ``restart()`` (``--reload``: the next change) instead of ending the group.
        on_exit: Called with each dead child's PID (the metrics drop its live gauges).
        hand_back: Hands back the jobs a killed or dead child still held.
    """

    def __init__(
        self,
        command: Sequence[str],
        env: Mapping[str, str],
        count: int,
        *,
        name: str,
        grace_period_s: float,
        log: Log,
        wait_on_config_error: bool = False,
        on_exit: Callable[[int], None] = lambda pid: None,
        hand_back: HandBack = _nothing_to_hand_back,
    ) -> None:
        self.command = list(command)
        self.env = dict(env)
        self.size = count
        self.restarts = 0
        self.on_exit = on_exit
        self.hand_back = hand_back
        self._grace_period_s = grace_period_s
        self._log = log
        self._wait_on_config_error = wait_on_config_error
        self._slots = [_Slot(i, name if count == 1 else f"{name}-{i}") for i in range(count)]
        self._stops = 0
        self._exit_code = 0

    @property
    def stopping(self) -> bool:
        return self._stops > 0

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
        if not self.stopping:
            self._log.info("stopping {} worker process(es)", len(self.pids))
        self._stops += 1
        for slot in self._slots:
            self._terminate(slot, min(self._stops, 2))
            slot.wake.set()

    def restart(self) -> None:
        """Drain every child and start it again (code changed); wakes a child that waits."""
        for slot in self._slots:
            slot.restart_wanted = True
            if slot.proc is None:
                slot.wake.set()
            else:
                self._terminate(slot, 1)

    async def _keep(self, slot: _Slot) -> None:
        while not self.stopping:
            started = time.monotonic()
            code = await self._run_child(slot)
            ran_s = time.monotonic() - started
            if slot.killed:
                await self.hand_back(slot.name, "was killed: it outlived its drain", False)
            elif not (self.stopping or slot.restart_wanted or code == EXIT_CONFIG):
                await self.hand_back(slot.name, f"died ({_how(code)})", True)
            if self.stopping:
                return
            if slot.restart_wanted:
                continue
            if code == EXIT_CONFIG:
                if not self._wait_on_config_error:
                    self._log.error("worker process {} could not start; stopping", slot.index)
                    self._exit_code = EXIT_CONFIG
                    self.stop()
                    return
                self._log.warning("worker process did not start: waiting for a change")
                await self._sleep(slot, None)
                continue
            await self._sleep(slot, self._backoff_s(slot, ran_s, code))
            self.restarts += 1

    async def _run_child(self, slot: _Slot) -> int:
        slot.restart_wanted = slot.killed = False
        slot.terms_sent, slot.kill_at = 0, math.inf
        proc = await anyio.open_process(
            [*self.command, "--name", slot.name],
            stdin=subprocess.DEVNULL,
            stdout=None,
            stderr=None,
            env=self.env,
            start_new_session=True,
        )
        slot.proc = proc
        self._log.info("worker process {} started (pid {}, {})", slot.index, proc.pid, slot.name)
        if self.stopping or slot.restart_wanted:  # asked while it was being started
            self._terminate(slot, min(self._stops, 2) or 1)
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._kill_when_overdue, slot, proc)
                code = await proc.wait()
                tg.cancel_scope.cancel()
        finally:
            if proc.returncode is None:  # the supervisor itself is being cancelled
                proc.kill()
                with anyio.CancelScope(shield=True):
                    await proc.wait()
            slot.proc = None
            self.on_exit(proc.pid)
        if self.stopping or slot.restart_wanted:
            self._log.info(
                "worker process {} (pid {}) exited ({})", slot.index, proc.pid, _how(code)
            )
        return code

    def _terminate(self, slot: _Slot, level: int) -> None:
        """Send the current child SIGTERMs until it has had ``level`` (1: drain, 2: hand back)."""
        if slot.proc is None or slot.proc.returncode is not None:
            return
        while slot.terms_sent < level:
            try:
                os.kill(slot.proc.pid, signal.SIGTERM)
            except ProcessLookupError:  # it died a moment ago; _keep sees the exit
                return
            slot.terms_sent += 1
            allowed_s = KILL_MARGIN_S + (self._grace_period_s if slot.terms_sent == 1 else 0)
            slot.kill_at = min(slot.kill_at, time.monotonic() + allowed_s)
            slot.kill_at_moved.set()
            slot.kill_at_moved = anyio.Event()

    async def _kill_when_overdue(self, slot: _Slot, proc: Process) -> None:
        """SIGKILL the child once ``slot.kill_at`` passes: a hung child must not stall the
        group's shutdown (or a reload) for ever."""
        while (left_s := slot.kill_at - time.monotonic()) > 0:
            moved = slot.kill_at_moved
            with anyio.move_on_after(left_s):
                await moved.wait()
        self._log.error(
            "worker process {} (pid {}) still running {:.0f}s after SIGTERM; killing it",
            slot.index,
            proc.pid,
            self._grace_period_s + KILL_MARGIN_S if slot.terms_sent == 1 else KILL_MARGIN_S,
        )
        slot.killed = True
        proc.kill()

    def _backoff_s(self, slot: _Slot, ran_s: float, code: int) -> float:
        slot.failures = 1 if ran_s >= STABLE_AFTER_S else slot.failures + 1
        delay = min(RESTART_CAP_S, RESTART_BASE_S * 2.0 ** (slot.failures - 1))
        self._log.warning(
            "worker process {} died ({}) after {:.1f}s; restarting in {:.1f}s",
            slot.index,
            _how(code),
            ran_s,
            delay,
        )
        return delay

    async def _sleep(self, slot: _Slot, delay_s: float | None) -> None:
        """Wait ``delay_s`` (``None``: for ever), or until ``stop()``/``restart()`` wakes us."""
        slot.wake = anyio.Event()
        if self.stopping or slot.restart_wanted:
            return
        with anyio.move_on_after(math.inf if delay_s is None else delay_s):
            await slot.wake.wait()
