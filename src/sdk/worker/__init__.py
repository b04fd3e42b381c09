"""The worker runtime: register handlers on a ``Worker`` and ``run`` it against a server."""

from ..errors import JobError as JobError
from ._context import JobContext as JobContext
from ._lease import LeaseExtension as LeaseExtension
from ._task import RetryPolicy as RetryPolicy
from ._task import Strategy as Strategy
from ._task import TaskSpec as TaskSpec
from ._worker import JobHandler as JobHandler
from ._worker import Worker as Worker

__all__ = [
    "JobContext",
    "JobError",
    "JobHandler",
    "LeaseExtension",
    "RetryPolicy",
    "Strategy",
    "TaskSpec",
    "Worker",
]
