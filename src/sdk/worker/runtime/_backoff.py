"""Exponential back-off with full jitter (AWS architecture blog's "full jitter" variant)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

_SHARED_RANDOM = random.Random()
"""One generator for all: seeding a new one per report cost ~25 us of each job's CPU."""


@dataclass
class Backoff:
    """Delays of ``uniform(0, min(cap, base * 2**attempt))``; ``reset`` after a success."""

    base_s: float = 0.1
    cap_s: float = 30.0
    attempt: int = 0
    _random: random.Random = field(default=_SHARED_RANDOM, repr=False)

    def next_delay_s(self) -> float:
        ceiling = min(self.cap_s, self.base_s * 2 ** min(self.attempt, 32))
        self.attempt += 1
        return self._random.uniform(0, ceiling)

    def reset(self) -> None:
        self.attempt = 0

    @property
    def failing(self) -> bool:
        return self.attempt > 0
