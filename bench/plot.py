"""``latest.png``: jobs/s of every measured row, ours in blue, ceilings hatched."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def plot(rows: list[dict[str, Any]], path: Path, note: str = "") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = [r for r in rows if "jobs_per_s" in r]
    labels = [f"{r['system']}\n{r['setting'][:48]}" for r in shown]
    values = [r["jobs_per_s"] for r in shown]
    base = next((r["jobs_per_s"] for r in shown if r.get("group") == "ours"), None)
    colours = [
        "#3b6ea5"
        if r["system"].startswith("sdk")
        else "#cccccc"
        if r["system"] == "ceiling"
        else "#999999"
        for r in shown
    ]
    fig, ax = plt.subplots(figsize=(10, 0.45 * len(shown) + 1.5))
    bars = ax.barh(labels, values, color=colours)
    ax.bar_label(
        bars,
        labels=[
            f"{v:,.0f}" + ("" if base is None else f"  ({v / base:.2f}x ours)") for v in values
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
