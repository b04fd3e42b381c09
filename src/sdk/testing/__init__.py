"""Testing support: pytest fixtures (``sdk_broker``, ``sdk_client``), a one-line job run
(``run_job``), a worker in the background (``running``, ``run_worker_until``) and condition
waits (``wait_until``)."""

from ._helpers import run_job as run_job
from ._helpers import run_worker_until as run_worker_until
from ._helpers import running as running
from ._helpers import wait_until as wait_until
from ._plugin import client_for as client_for

__all__ = ["client_for", "run_job", "run_worker_until", "running", "wait_until"]
