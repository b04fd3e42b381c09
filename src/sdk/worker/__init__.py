"""The worker runtime: register handlers on a ``Worker`` and ``run`` it against a server."""

from ..errors import JobCancelledError as JobCancelledError
from ..errors import JobError as JobError
from ._context import JobContext as JobContext
from ._middleware import CallNext as CallNext
from ._middleware import Middleware as Middleware
from ._options import LeaseExtension as LeaseExtension
from ._options import RetryPolicy as RetryPolicy
from ._options import Strategy as Strategy
from ._options import TaskOptions as TaskOptions
from ._outcome import Complete as Complete
from ._outcome import Fail as Fail
from ._outcome import Outcome as Outcome
from ._outcome import ThrowError as ThrowError
from ._task import TaskSpec as TaskSpec
from ._worker import JobHandler as JobHandler
from ._worker import Worker as Worker

__all__ = [
    "CallNext",
    "Complete",
    "Fail",
    "JobCancelledError",
    "JobContext",
    "JobError",
    "JobHandler",
    "LeaseExtension",
    "Middleware",
    "Outcome",
    "RetryPolicy",
    "Strategy",
    "TaskOptions",
    "TaskSpec",
    "ThrowError",
    "Worker",
]
