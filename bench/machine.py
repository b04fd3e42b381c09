"""The machine a run was on: platform, CPUs, Python, and what its syscalls cost.

Per-job costs that grow with syscalls (HTTP requests, socket writes, wake-ups) differ most
between machines, so the two probes say how this one compares: a ``stat`` of a file, and one
small send and receive over a loopback TCP connection.
"""

from __future__ import annotations

import os
import platform
import socket
import sys
import time
from typing import Any

ROUNDS = 20_000


def stat_us(rounds: int = ROUNDS) -> float:
    path = sys.executable
    started = time.perf_counter()
    for _ in range(rounds):
        os.stat(path)
    return (time.perf_counter() - started) / rounds * 1e6


def loopback_us(rounds: int = ROUNDS) -> float:
    """One 64-byte ``send`` and the ``recv`` of it, over loopback TCP, in one thread."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        client = socket.create_connection(server.getsockname())
        peer, _ = server.accept()
        with client, peer:
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            message = b"x" * 64
            started = time.perf_counter()
            for _ in range(rounds):
                client.send(message)
                peer.recv(64)
            return (time.perf_counter() - started) / rounds * 1e6


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def describe() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "stat_us": round(stat_us(), 2),
        "loopback_send_recv_us": round(loopback_us(), 2),
    }


def line(machine: dict[str, Any]) -> str:
    """One sentence naming the machine, for the table's caption."""
    return (
        f"{machine['platform']}, {machine['cpus']} CPUs ({machine['cpu']}), Python"
        f" {machine['python']}; on this machine a stat costs {machine['stat_us']} µs and a"
        f" loopback TCP send+recv {machine['loopback_send_recv_us']} µs"
    )
