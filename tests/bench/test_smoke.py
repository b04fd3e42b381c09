"""The shipped benchmark runs end to end and writes valid JSON (no timing is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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
