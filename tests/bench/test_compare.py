"""bench/compare.py's pure parts: the ratio table, the targets, and a peer that cannot run."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import anyio
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import compare
import table
from peers import Peer, Skipped, version
from peers.drive import drive
from syscalls import parse_summary

ROWS: list[dict[str, Any]] = [
    {"system": table.OURS, "group": "ours", "mode": "exact", "setting": "e", "jobs_per_s": 1000.0,
     "jobs": 10, "worker_cpu_us_per_job": 100.0},
    {"system": table.OURS, "group": "ours", "mode": "batch", "setting": "b", "jobs_per_s": 4000.0,
     "jobs": 10},
    {"system": "dramatiq 2", "group": table.REDIS, "setting": "d", "jobs_per_s": 500.0, "jobs": 10},
    {"system": "saq 1", "group": table.REDIS, "setting": "s", "jobs_per_s": 800.0, "jobs": 10},
    {"system": "camunda-orchestration-sdk", "group": table.OFFICIAL, "setting": "o",
     "jobs_per_s": 100.0, "jobs": 10, "worker_cpu_us_per_job": 1000.0},
    {"system": "ceiling", "group": table.CEILING, "kind": "http", "setting": "h",
     "jobs_per_s": 2000.0, "jobs": 10},
    {"system": "arq", "group": table.REDIS, "setting": "a", "skipped": "arq is not installed"},
]  # fmt: skip


def test_ratios_are_to_ours_in_each_mode() -> None:
    rows = table.with_ratios([dict(r) for r in ROWS])
    saq = next(r for r in rows if r["system"] == "saq 1")
    assert (saq["vs_mode=exact"], saq["vs_mode=batch"]) == (0.8, 0.2)
    assert "vs_mode=exact" not in rows[-1]  # a skipped row has no ratio


def test_targets_say_met_missed_or_not_measured() -> None:
    found = {t["target"]: t for t in table.targets(table.with_ratios([dict(r) for r in ROWS]))}
    redis = found["batch ≥ 4x the fastest Redis peer"]
    assert (redis["ratio"], redis["met"]) == (5.0, True)  # against saq, the fastest
    assert redis["against"] == "saq 1, s"
    assert found["exact ≥ 1.5x dramatiq"]["ratio"] == 2.0
    cpu = found["exact worker CPU/job ≤ 0.2x the official worker's"]
    assert (cpu["ratio"], cpu["met"]) == (0.1, True)
    http = found["exact ≥ 60% of the HTTP ceiling"]
    assert (http["ratio"], http["met"]) == (0.5, False)
    assert found["ours on PostgreSQL ≥ 3x the fastest PostgreSQL peer"]["met"] is None
    text = table.targets_markdown(list(found.values()))
    assert "| exact ≥ 60% of the HTTP ceiling | 0.50 | no |" in text
    assert "not measured" in text


def test_table_names_a_peer_that_did_not_run() -> None:
    text = table.markdown(table.with_ratios([dict(r) for r in ROWS]))
    assert "| arq | a | - | not run: arq is not installed |" in text
    assert "| saq 1 | s | 10 | 800 | - | - | 0.80 | 0.20 |" in text


def test_a_failing_peer_is_a_row_not_the_end_of_the_run() -> None:
    async def missing() -> dict[str, Any]:
        raise Skipped("nope is not installed")

    async def broken() -> dict[str, Any]:
        raise RuntimeError("boom")

    skipped = anyio.run(compare.measured, "setting", missing)
    assert skipped == {"setting": "setting", "skipped": "nope is not installed"}
    failed = anyio.run(compare.measured, "setting", broken)
    assert failed["skipped"] == "failed: RuntimeError('boom')"


def test_a_peer_whose_enqueueing_fails_says_why(tmp_path: Path) -> None:
    peer = Peer(
        system="nothing",
        server="redis",
        setting="-",
        module="",
        enqueue="raise SystemExit('no broker here')",
        worker=(),
        remaining="LLEN x",
    )
    with pytest.raises(Skipped, match="enqueueing failed: no broker here"):
        anyio.run(drive, peer, "redis://127.0.0.1:1/0", tmp_path, 10)


def test_an_uninstalled_package_is_skipped_with_the_install_command() -> None:
    with pytest.raises(Skipped, match=r"pip install -e '\.\[bench\]'"):
        version("no-such-distribution-here")


def test_strace_summary_is_parsed_without_its_total() -> None:
    summary = """\
% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
 60.00    0.006000           3      2000           pwrite64
 40.00    0.004000           1      4000       12 getpid
------ ----------- ----------- --------- --------- ----------------
100.00    0.010000           1      6000        12 total
"""
    assert parse_summary(summary) == {"pwrite64": 2000, "getpid": 4000}


def test_ratios_use_the_mean_of_our_runs_at_the_start_and_at_the_end() -> None:
    again = {**ROWS[0], "group": "ours-again", "jobs_per_s": 3000.0, "worker_cpu_us_per_job": 300.0}
    rows = table.with_ratios([dict(r) for r in [*ROWS, again]])
    saq = next(r for r in rows if r["system"] == "saq 1")
    assert saq["vs_mode=exact"] == 0.4  # 800 / mean(1000, 3000)
    mean = table.ours_mean(rows, "exact")
    assert mean is not None
    assert (mean["jobs_per_s"], mean["worker_cpu_us_per_job"]) == (2000.0, 200.0)
