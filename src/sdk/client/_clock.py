"""The calls of Camunda's clock API: pin the engine's time, or reset it to the wall clock.

A cluster answers them only when started with its clock controllable (``zeebe.clock.controlled``;
the embedded broker: ``--clock-control``, and always under ``sdk.testing``). Pinning is
idempotent: the same pin twice is one pin.
"""

from __future__ import annotations

from datetime import datetime, timezone

from ..models import ClockPinRequest
from ._calls import Call, _nothing


def epoch_ms(at: datetime) -> int:
    """``at`` in epoch milliseconds (a naive datetime is taken as UTC)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return int(at.timestamp() * 1000)


def pin_clock(at: datetime) -> Call[None]:
    return Call("PUT", "/clock", _nothing, ClockPinRequest(timestamp=epoch_ms(at)), idempotent=True)


def reset_clock() -> Call[None]:
    return Call("POST", "/clock/reset", _nothing, content=b"{}", idempotent=True)
