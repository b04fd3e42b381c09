"""``latest.png``: jobs/s of every measured row, ours in blue, ceilings hatched."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def plot(rows: list[dict[str, Any]], path: Path, note: str = "") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = [r for r in rows if "jobs_per_s" in r]
    labels = [f"{r['system']}\n{_short(r['setting'])}" for r in shown]
    values = [r["jobs_per_s"] for r in shown]
    colours = [
        "#3b6ea5"
        if r["system"].startswith("sdk")
        else "#cccccc"
        if r["system"] == "ceiling"
        else "#999999"
        for r in shown
    ]
    fig, ax = plt.subplots(figsize=(10, 0.45 * len(shown) + 1.5))
    positions = range(len(shown))  # not the labels: two rows may share one
    bars = ax.barh(positions, values, color=colours)
    ax.set_yticks(positions, labels)
    ax.bar_label(
        bars,
        labels=[
            f"{r['jobs_per_s']:,.0f}"
            + (f"  ({r['vs_mode=exact']:.2f}x ours, exact)" if "vs_mode=exact" in r else "")
            for r in shown
        ],
        fontsize=7,
    )
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("no-op jobs / s, log scale (higher is better)")
    ax.tick_params(axis="y", labelsize=6)
    ax.set_title("Same run: ours, the queue peers and the ceilings")
    if note:
        fig.text(0.01, 0.005, note, fontsize=6, color="#555555", wrap=True)
    fig.tight_layout(rect=(0, 0.03 if note else 0, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _short(setting: str, width: int = 70) -> str:
    """The start and the end of a long setting (the end names the durability)."""
    if len(setting) <= width:
        return setting
    return setting[: width // 2 - 2] + " … " + setting[-(width // 2 - 1) :]
