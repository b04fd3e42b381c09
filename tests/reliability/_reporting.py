"""The two ways a worker reports outcomes, so fault tests cover both.

Against the embedded broker a worker discovers the ``jobs.report-batch`` extension and sends
outcomes in batches (``POST /v2/ext/jobs/reports``); against a Camunda cluster (no
extensions) it sends exact per-job calls (``POST /v2/jobs/{key}/completion`` ...). A client
whose ``capabilities()`` answers ``None``, as a real Camunda's 404 does, makes the worker take
the per-job path against our broker too.
"""

from __future__ import annotations

from dataclasses import dataclass

from sdk.client import AsyncClient
from sdk.models import Capabilities


@dataclass(frozen=True)
class Reporting:
    name: str
    report_path: bytes
    """What the request line of a completion report contains."""
    per_job: bool

    def __str__(self) -> str:
        return self.name


PER_JOB = Reporting("per-job", b"/completion", per_job=True)
BATCHED = Reporting("batched", b"/ext/jobs/reports", per_job=False)
BOTH = [PER_JOB, BATCHED]


class CamundaLikeClient(AsyncClient):
    """Sees no extensions, as against a Camunda cluster: the worker reports per job."""

    async def capabilities(self) -> Capabilities | None:
        return None


def client_class(reporting: Reporting) -> type[AsyncClient]:
    return CamundaLikeClient if reporting.per_job else AsyncClient
