"""Testing support: pytest fixtures (``sdk_broker``, ``sdk_client``), a one-line job run
(``run_job``), a worker in the background (``running``, ``run_worker_until``), condition
waits (``wait_until``), and process tests in the manner of camunda-process-test
(``assert_that``, ``complete_jobs``, ``throw_error``, ``increase_time``)."""

from ._assertions import ProcessInstanceAssert as ProcessInstanceAssert
from ._assertions import assert_that as assert_that
from ._helpers import run_job as run_job
from ._helpers import run_worker_until as run_worker_until
from ._helpers import running as running
from ._helpers import wait_until as wait_until
from ._mocks import complete_jobs as complete_jobs
from ._mocks import increase_time as increase_time
from ._mocks import throw_error as throw_error
from ._plugin import client_for as client_for

__all__ = [
    "ProcessInstanceAssert",
    "assert_that",
    "client_for",
    "complete_jobs",
    "increase_time",
    "run_job",
    "run_worker_until",
    "running",
    "throw_error",
    "wait_until",
]
