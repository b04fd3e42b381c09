"""CPU time and memory of a process, read from /proc (Linux); ``None`` elsewhere."""

from __future__ import annotations

import os
import resource
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int | None = None) -> float | None:
    """User + system CPU seconds of ``pid`` (default: this process, children excluded)."""
    if pid is None or pid == os.getpid():
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICKS


def rss_mb(pid: int | None = None) -> float | None:
    """Resident memory of ``pid`` (default: this process) in MiB."""
    return _status_mb(pid, "VmRSS:")


def peak_rss_mb(pid: int | None = None) -> float | None:
    """The most resident memory ``pid`` (default: this process) has held, in MiB."""
    return _status_mb(pid, "VmHWM:")


def _status_mb(pid: int | None, field: str) -> float | None:
    try:
        for line in Path(f"/proc/{pid or os.getpid()}/status").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None
