"""The same-run table: rows of every system, their ratios to ours, and the targets."""

from __future__ import annotations

from typing import Any

OURS = "sdk (this project)"
REDIS = "redis"
POSTGRES = "postgres"
CEILING = "ceiling"
PROCESS = "process"
OFFICIAL = "official"


def _rate(rows: list[dict[str, Any]], **match: Any) -> dict[str, Any] | None:
    for row in rows:
        if "jobs_per_s" in row and all(row.get(k) == v for k, v in match.items()):
            return row
    return None


def _fastest(rows: list[dict[str, Any]], group: str) -> dict[str, Any] | None:
    measured = [r for r in rows if r.get("group") == group and "jobs_per_s" in r]
    return max(measured, key=lambda r: r["jobs_per_s"], default=None)


def ours_mean(rows: list[dict[str, Any]], mode: str) -> dict[str, Any] | None:
    """Ours on SQLite in ``mode``: the mean of its runs at the start and at the end of the
    run (``group`` ``ours`` and ``ours-again``), so a load that changed meanwhile shows in
    the spread of the two instead of skewing every ratio one way."""
    runs = [
        r
        for r in rows
        if r.get("group") in ("ours", "ours-again") and r.get("mode") == mode and "jobs_per_s" in r
    ]
    if not runs:
        return None
    mean: dict[str, Any] = {**runs[0], "jobs_per_s": sum(r["jobs_per_s"] for r in runs) / len(runs)}
    cpus = [r["worker_cpu_us_per_job"] for r in runs if r.get("worker_cpu_us_per_job")]
    mean["worker_cpu_us_per_job"] = sum(cpus) / len(cpus) if cpus else None
    return mean


def with_ratios(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each measured row's jobs/s over ours on SQLite in each mode (``vs_mode=exact`` ...)."""
    modes = {r["mode"] for r in rows if r.get("group") == "ours" and "mode" in r}
    ours = {m: found["jobs_per_s"] for m in modes if (found := ours_mean(rows, m)) is not None}
    for row in rows:
        if "jobs_per_s" in row:
            for mode, ours_per_s in ours.items():
                row[f"vs_mode={mode}"] = round(row["jobs_per_s"] / ours_per_s, 3)
    return rows


def _ratio(
    name: str,
    goal: float | None,
    top: dict[str, Any] | None,
    bottom: dict[str, Any] | None,
    key: str,
) -> dict[str, Any]:
    if top is None or bottom is None or not bottom.get(key) or top.get(key) is None:
        return {"target": name, "goal": goal, "ratio": None, "met": None}
    ratio = round(top[key] / bottom[key], 3)
    if goal is None:
        met = None
    else:
        met = ratio <= goal if key.endswith("cpu_us_per_job") else ratio >= goal
    return {
        "target": name,
        "goal": goal,
        "ratio": ratio,
        "met": met,
        "against": f"{bottom['system']}, {bottom['setting']}",
    }


def targets(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Issue targets, each met, missed or not measured (``met`` ``None``)."""
    batch = ours_mean(rows, "batch")
    exact = ours_mean(rows, "exact")
    dramatiq = max(
        (r for r in rows if r.get("system", "").startswith("dramatiq") and "jobs_per_s" in r),
        key=lambda r: r["jobs_per_s"],
        default=None,
    )
    ours_pg = max(
        (r for r in rows if r.get("group") == "ours-postgres" and "jobs_per_s" in r),
        key=lambda r: r["jobs_per_s"],
        default=None,
    )
    official = _fastest(rows, OFFICIAL)
    http = _rate(rows, group=CEILING, kind="http")
    sqlite = _rate(rows, group=CEILING, kind="sqlite-timed")
    return [
        _ratio(
            "batch ≥ 4x the fastest Redis peer", 4.0, batch, _fastest(rows, REDIS), "jobs_per_s"
        ),
        _ratio("exact ≥ 1.5x dramatiq", 1.5, exact, dramatiq, "jobs_per_s"),
        _ratio(
            "ours on PostgreSQL ≥ 3x the fastest PostgreSQL peer",
            3.0,
            ours_pg,
            _fastest(rows, POSTGRES),
            "jobs_per_s",
        ),
        _ratio(
            "exact worker CPU/job ≤ 0.2x the official worker's",
            0.2,
            exact,
            official,
            "worker_cpu_us_per_job",
        ),
        _ratio("exact ≥ 60% of the HTTP ceiling", 0.6, exact, http, "jobs_per_s"),
        _ratio("batch as a fraction of the SQLite ceiling", None, batch, sqlite, "jobs_per_s"),
    ]


def _num(value: Any, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def markdown(rows: list[dict[str, Any]]) -> str:
    modes = [r["mode"] for r in rows if r.get("group") == "ours" and "mode" in r]
    lines = [
        "| system | setting | jobs | jobs/s | worker CPU µs/job | broker CPU µs/job | "
        + " | ".join(f"x ours ({m})" for m in modes)
        + " |",
        "|---|---|---:|---:|---:|---:|" + "---:|" * len(modes),
    ]
    for r in rows:
        if "skipped" in r:
            cells = ["-", f"not run: {r['skipped']}", "-", "-", *["-"] * len(modes)]
        else:
            cells = [
                _num(r.get("jobs")),
                _num(r["jobs_per_s"]),
                _num(r.get("worker_cpu_us_per_job"), 1),
                _num(r.get("broker_cpu_us_per_job"), 1),
                *[f"{r[f'vs_mode={m}']:.2f}" for m in modes],
            ]
        lines.append(f"| {r['system']} | {r['setting']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def targets_markdown(found: list[dict[str, Any]]) -> str:
    lines = ["| target | ratio | met | against |", "|---|---:|---|---|"]
    for t in found:
        if t["ratio"] is None:
            met = "not measured"
        else:
            met = "(no target)" if t["met"] is None else ("yes" if t["met"] else "no")
        ratio = "-" if t["ratio"] is None else f"{t['ratio']:.2f}"
        lines.append(f"| {t['target']} | {ratio} | {met} | {t.get('against', '-')} |")
    return "\n".join(lines) + "\n"
