"""``JobContext``: what a handler may ask for about the job it runs."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from loguru import logger as _root_logger

from ..errors import JobCancelledError, StateUnavailableError
from ..models import MAX_PROGRESS_MESSAGE, ActivatedJob, JobKey

if TYPE_CHECKING:
    from loguru import Logger

NO_STATE: Mapping[str, Any] = MappingProxyType({})
_IN_CHILD = "in a child process"
"""What ``_state`` becomes when a context is pickled: children never see lifespan state."""
ProgressSink = Callable[[float, str], None]
_child_progress: ProgressSink | None = None
"""Where ``report_progress`` sends in a process child (the pipe to the worker), if anywhere."""


def set_child_progress(sink: ProgressSink | None) -> None:
    """In a process child: send progress reports through ``sink`` (the process pool's pipe)."""
    global _child_progress
    _child_progress = sink


@dataclass(frozen=True)
class JobContext:
    """The job a handler runs, as plain data (it crosses into child processes).

    Attributes:
        job_key: The job's key.
        job_type: The job's type.
        retries: Retries left; failing now leaves ``retries - 1``.
        deadline_ms: Epoch ms at which the server would hand the job to another worker, as
            of activation (lease extension moves the server's deadline later).
        variables: The job's variables (as fetched).
        custom_headers: Static headers from the task definition (or the creating call).
        worker: This worker's name.
        process_instance_key: The process instance, or ``"-1"`` outside a process.
        element_id: The BPMN element id, if any.
        element_instance_key: The element instance the job belongs to, or ``"-1"``.
        bpmn_process_id: The process's BPMN id (``processDefinitionId``), if any.
        process_definition_version: The process definition's version, or ``-1``.
        process_definition_key: The process definition's key, or ``"-1"``.
        state: What the worker's lifespan functions yielded (read-only); see ``state``.
    """

    job_key: JobKey
    job_type: str
    retries: int
    deadline_ms: int
    variables: Mapping[str, Any] = field(default_factory=dict)
    custom_headers: Mapping[str, Any] = field(default_factory=dict)
    worker: str = ""
    process_instance_key: str = "-1"
    element_id: str = ""
    element_instance_key: str = "-1"
    bpmn_process_id: str = ""
    process_definition_version: int = -1
    process_definition_key: str = "-1"
    _state: Mapping[str, Any] | str | None = field(default=None, repr=False, compare=False)
    _stopped: threading.Event | None = field(default=None, repr=False, compare=False)
    """Set by the worker when it stops the job; never sent to a child process (killed)."""
    _progress: ProgressSink | None = field(default=None, repr=False, compare=False)

    @classmethod
    def of(
        cls,
        job: ActivatedJob,
        worker: str,
        state: Mapping[str, Any] | None = None,
        stopped: threading.Event | None = None,
        progress: ProgressSink | None = None,
    ) -> JobContext:
        return cls(
            job_key=job.job_key,
            job_type=job.type,
            retries=job.retries,
            deadline_ms=job.deadline,
            variables=job.variables,
            custom_headers=job.custom_headers,
            worker=worker,
            process_instance_key=job.process_instance_key,
            element_id=job.element_id,
            element_instance_key=job.element_instance_key,
            bpmn_process_id=job.process_definition_id,
            process_definition_version=job.process_definition_version,
            process_definition_key=job.process_definition_key,
            _state=state,
            _stopped=stopped,
            _progress=progress,
        )

    @property
    def cancelled(self) -> bool:
        """``True`` once the worker stopped this job: cancelled (by an operator, its process
        instance or an interrupting event), handed to another worker, or out of time.

        An ``async`` handler is cancelled outright and a ``process`` handler's child is
        killed; a ``thread`` handler cannot be stopped from outside, so a long one should
        look at this (or call ``raise_if_cancelled``) between steps. Nothing is reported for
        a stopped job, whatever the handler does next.
        """
        return self._stopped is not None and self._stopped.is_set()

    def raise_if_cancelled(self) -> None:
        """Raise ``JobCancelledError`` if the worker stopped this job (see ``cancelled``)."""
        if self.cancelled:
            raise JobCancelledError(f"job {self.job_key} was stopped; nothing is reported")

    @property
    def state(self) -> Mapping[str, Any]:
        """Resources yielded by ``@worker.lifespan`` (empty without one).

        Raises:
            StateUnavailableError: read by a ``process`` handler: lifespan resources live in
                the worker's process and are never sent to child processes.
        """
        if isinstance(self._state, str):
            raise StateUnavailableError(
                "JobContext.state is not available to process-strategy handlers: lifespan"
                " resources live in the worker's process and are not sent to child processes;"
                " open what the handler needs in the child (e.g. at module level), or use the"
                " thread strategy"
            )
        return NO_STATE if self._state is None else self._state

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_state": _IN_CHILD, "_stopped": None, "_progress": None}

    def report_progress(self, fraction: float, message: str = "") -> None:
        """Tell the server how far the job got; returns at once (any strategy, any thread).

        At most one report a second per job is sent: a sooner one waits, replaced by any later
        one, so the latest is sent. Without a server that keeps progress, nothing is sent.

        Args:
            fraction: Done so far, from 0 to 1.
            message: What the handler is doing (cut to 1000 characters).

        Raises:
            ValueError: ``fraction`` is not a number from 0 to 1.
        """
        if isinstance(fraction, bool) or not isinstance(fraction, (int, float)):
            raise ValueError(f"progress must be a fraction from 0 to 1, not {fraction!r}")
        if math.isnan(fraction) or not 0 <= fraction <= 1:
            raise ValueError(f"progress must be a fraction from 0 to 1, not {fraction!r}")
        sink = self._progress if self._progress is not None else _child_progress
        if sink is not None:
            sink(float(fraction), str(message)[:MAX_PROGRESS_MESSAGE])

    @property
    def logger(self) -> Logger:
        """A loguru logger bound to this job (``job_key``, ``job_type``, ``worker``)."""
        return _root_logger.bind(job_key=self.job_key, job_type=self.job_type, worker=self.worker)
