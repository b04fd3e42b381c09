"""The shipped benchmark runs end to end and writes valid JSON (no timing is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

REQUIRED = {
    "scenario",
    "mode",
    "jobs",
    "jobs_per_s",
    "p50_ms",
    "p99_ms",
    "worker_cpu_us_per_job",
    "broker_cpu_us_per_job",
    "worker_rss_mb",
    "python",
    "cpus",
}


def test_bench_command_writes_its_figures(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    result = subprocess.run(
        [sys.executable, "-m", "sdk.bench", "--jobs", "40", "--json", str(out), "--no-progress"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(out.read_text())
    assert REQUIRED <= figures.keys()
    assert (figures["scenario"], figures["jobs"]) == ("noop", 40)
    assert figures["jobs_per_s"] > 0
    assert "jobs_per_s" in result.stdout


def test_unknown_mode_is_a_clear_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sdk.bench", "--mode", "turbo"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "invalid choice: 'turbo'" in result.stderr


def bench(tmp_path: Path, *args: str) -> dict[str, Any]:
    out = tmp_path / "result.json"
    result = subprocess.run(
        [sys.executable, "-m", "sdk.bench", *args, "--json", str(out), "--no-progress"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    figures: dict[str, Any] = json.loads(out.read_text())
    return figures


def test_latency_is_measured_from_each_creations_commit(tmp_path: Path) -> None:
    figures = bench(tmp_path, "--scenario", "latency", "--jobs", "30", "--rate", "100")

    assert figures["latency"] == "commit of creation → handler start"
    assert figures["jobs"] == 30
    assert 0 < figures["p50_ms"] <= figures["p99_ms"]


def test_hold_measures_a_worker_process_idle_and_holding_sleeping_jobs(tmp_path: Path) -> None:
    figures = bench(tmp_path, "--scenario", "hold", "--jobs", "200")

    assert figures["jobs"] == figures["concurrency"] == 200
    assert 0 < figures["worker_idle_rss_mb"] <= figures["worker_hold_rss_mb"]
    assert figures["worker_rss_mb"] == figures["worker_hold_rss_mb"]


def test_footprint_scenarios_need_the_embedded_broker() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sdk.bench", "--scenario", "idle", "--address", "http://x/v2"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "measures a worker of the embedded broker" in result.stderr
