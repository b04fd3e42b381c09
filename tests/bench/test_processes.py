"""``python -m sdk.bench --processes N``: the worker measured as ``python -m sdk.worker``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sdk.bench", "--no-progress", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_two_worker_processes_work_every_job_and_stop_cleanly(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    result = bench("--mode", "batch", "--processes", "2", "--jobs", "200", "--json", str(out))
    assert result.returncode == 0, result.stderr
    figures = json.loads(out.read_text())
    assert (figures["processes"], figures["worker"], figures["jobs"]) == (2, "2 processes", 200)
    assert figures["worker_exit_code"] == 0  # drained on SIGTERM
    assert figures["jobs_per_s"] > 0
    assert figures["worker_cpu_us_per_job"] > 0  # read from the worker's processes
    assert "2 processes" in result.stdout


def test_what_processes_cannot_measure_is_a_clear_error() -> None:
    result = bench("--processes", "2", "--mode", "exact")
    assert result.returncode == 2
    assert "use --mode batch" in result.stderr
    result = bench("--processes", "2", "--mode", "batch", "--address", "http://127.0.0.1:1/v2")
    assert result.returncode == 2
    assert "leave out --address" in result.stderr
