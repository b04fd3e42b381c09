"""Execution strategies, shaped like httpx transports: one small interface, one module each."""

from __future__ import annotations

from .._options import Strategy
from .._task import TaskSpec
from ._async import AsyncStrategy
from ._base import ExecutionStrategy
from ._inline import InlineStrategy
from ._pool import exit_description
from ._process import ProcessStrategy
from ._thread import ThreadStrategy


def strategy_for(task: TaskSpec) -> ExecutionStrategy:
    """A fresh strategy for one task, sized by its ``max_jobs``."""
    if task.strategy is Strategy.ASYNC:
        return AsyncStrategy()
    if task.strategy is Strategy.THREAD:
        return ThreadStrategy(task.max_jobs)
    if task.strategy is Strategy.PROCESS:
        return ProcessStrategy(task.max_jobs, task.max_jobs_per_child)
    if task.strategy is Strategy.INLINE:
        return InlineStrategy()
    raise ValueError(f"unresolved strategy {task.strategy!r}")  # make_task never leaves AUTO


__all__ = [
    "AsyncStrategy",
    "ExecutionStrategy",
    "InlineStrategy",
    "ProcessStrategy",
    "ThreadStrategy",
    "exit_description",
    "strategy_for",
]
