"""Wire model of Camunda's clock control, which a cluster (and the embedded broker) accepts only
when started with it enabled: tests pin the engine's time to fire timers without waiting."""

from __future__ import annotations

from pydantic import Field

from ._base import RequestModel
from ._jobs import INT64_MAX


class ClockPinRequest(RequestModel):
    """PUT /v2/clock: the engine's time stands still at ``timestamp`` (epoch milliseconds) until
    pinned again or reset with POST /v2/clock/reset."""

    timestamp: int = Field(le=INT64_MAX)
