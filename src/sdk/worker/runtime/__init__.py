"""One worker's run inside this process: its poll loops, each job's run under its lease clock,
the report queue, the server link and the back-off they share."""

from ._backoff import Backoff as Backoff
from ._link import ServerLink as ServerLink
from ._progress import ProgressSender as ProgressSender
from ._reporter import Reporter as Reporter
from ._run import WorkerRun as WorkerRun
from ._runtime import Runtime as Runtime

__all__ = ["Backoff", "ProgressSender", "Reporter", "Runtime", "ServerLink", "WorkerRun"]
