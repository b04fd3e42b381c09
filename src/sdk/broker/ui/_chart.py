"""The overview's throughput chart as plain geometry, drawn by the template as inline SVG.

The SVG holds only the bars and grid lines and stretches to its box; the axis labels are HTML
around it, so text stays readable from a phone to a wide screen.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..store import MinuteCounts

SLOT = 10.0
"""Width of one minute in SVG units; the height is 100 units (a percentage of the maximum)."""
HEIGHT = 100.0
SERIES = (
    ("completed", "completed"),
    ("failed", "failed"),
    ("error_thrown", "errors thrown"),
)
"""(field of ``MinuteCounts``, legend text), stacked bottom-up in this order."""


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: str
    title: str


@dataclass(frozen=True)
class Chart:
    width: float
    height: float
    bars: list[Bar]
    y_labels: list[str]
    """Labels of the grid lines from the top (the scale's maximum) down to 0."""
    minutes: int
    summary: str
    """What the chart shows, in words (its accessible description)."""


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, ... that is at least ``value`` (and at least 1)."""
    if value <= 1:
        return 1
    magnitude = int(10 ** math.floor(math.log10(value)))
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    raise AssertionError("unreachable")  # pragma: no cover


def throughput_chart(minutes: Sequence[MinuteCounts]) -> Chart:
    """Stacked bars per minute: completed, failed and errors thrown, oldest minute left."""
    peak = max((m.completed + m.failed + m.error_thrown for m in minutes), default=0)
    top = nice_ceiling(peak)
    bars: list[Bar] = []
    for i, minute in enumerate(minutes):
        base = HEIGHT
        when = "this minute" if i == len(minutes) - 1 else f"{len(minutes) - 1 - i} min ago"
        for field, text in SERIES:
            count: int = getattr(minute, field)
            if count:
                height = count / top * HEIGHT
                base -= height
                bars.append(
                    Bar(i * SLOT + 1.5, base, SLOT - 3, height, field, f"{when}: {count} {text}")
                )
    totals = {field: sum(getattr(m, field) for m in minutes) for field, _ in SERIES}
    summary = (
        f"Jobs per minute over the last {len(minutes)} minutes: "
        + ", ".join(f"{totals[field]} {text}" for field, text in SERIES)
        + f"; at most {peak} in one minute."
    )
    return Chart(
        width=max(len(minutes), 1) * SLOT,
        height=HEIGHT,
        bars=bars,
        y_labels=[str(top), f"{top / 2:g}", "0"],
        minutes=len(minutes),
        summary=summary,
    )
