"""Handlers of the cancellation tests, importable by child processes (the process strategy)."""

from __future__ import annotations

import os
import time
from pathlib import Path

STEP_S = 0.01


def write_pid_and_hang(pid_file: str) -> dict[str, str]:
    """Say which process runs the job, then run far longer than any test."""
    Path(pid_file).write_text(str(os.getpid()))
    time.sleep(600)
    return {"finished": "yes"}


def quick(n: int) -> dict[str, int]:
    return {"n": n + 1}
