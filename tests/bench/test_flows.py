"""``python -m sdk.bench --scenario process``: instances of BPMN models beside plain jobs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sdk.bench", "--no-progress", "--scenario", "process", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_every_instance_of_both_models_completes_beside_the_plain_figures(
    tmp_path: Path,
) -> None:
    out = tmp_path / "result.json"
    result = bench("--instances", "8", "--json", str(out))
    assert result.returncode == 0, result.stderr
    figures = json.loads(out.read_text())
    assert (figures["scenario"], figures["instances"], figures["jobs"]) == ("process", 8, 24)
    assert figures["plain"]["scenario"] == "noop"
    assert figures["plain"]["jobs"] == 24
    assert figures["plain"]["jobs_per_s"] > 0
    for model in ("sequence", "parallel"):
        row = figures[model]
        assert row["completed_instances"] == row["instances"] == 8
        assert row["jobs"] == 24
        assert row["instances_per_s"] > 0
        assert row["jobs_per_s"] > 0
        assert row["broker_cpu_us_per_job"] > 0
        assert figures[f"ratio_{model}"] > 0
        assert f"process/{model}" in result.stdout
    assert "process jobs/s ÷ plain jobs/s: sequence" in result.stdout


def test_jobs_are_spread_over_each_models_tasks(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    result = bench("--jobs", "15", "--mode", "batch", "--json", str(out))
    assert result.returncode == 0, result.stderr
    figures = json.loads(out.read_text())
    assert (figures["instances"], figures["jobs"], figures["mode"]) == (5, 15, "batch")
    assert figures["sequence"]["completed_instances"] == 5
    assert figures["parallel"]["completed_instances"] == 5


def test_what_the_process_scenario_cannot_measure_is_a_clear_error() -> None:
    result = bench("--address", "http://127.0.0.1:1/v2")
    assert result.returncode == 2
    assert "embedded broker's store" in result.stderr
    result = subprocess.run(
        [sys.executable, "-m", "sdk.bench", "--instances", "5"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "--instances is for --scenario process" in result.stderr
