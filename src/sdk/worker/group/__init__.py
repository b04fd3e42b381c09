"""The multi-process parent (``--processes N``, ``--reload``): the supervisor of worker
processes, the group's health endpoint, the hand-back of a dead child's jobs, and reload."""

from ._processes import SUPERVISOR_PID_ENV as SUPERVISOR_PID_ENV
from ._processes import ProcessGroup as ProcessGroup
from ._processes import stop_when_orphaned as stop_when_orphaned
from ._processes import supervisor_pid as supervisor_pid
from ._reload import require_watchfiles as require_watchfiles
from ._reload import watched_paths as watched_paths
from ._run import GroupConfig as GroupConfig
from ._run import run_group as run_group

__all__ = [
    "SUPERVISOR_PID_ENV",
    "GroupConfig",
    "ProcessGroup",
    "require_watchfiles",
    "run_group",
    "stop_when_orphaned",
    "supervisor_pid",
    "watched_paths",
]
