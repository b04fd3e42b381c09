"""Loopback ports for servers a test starts itself."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A loopback port free right now (bound, then released), for a server that takes a port
    number rather than a socket; also a port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
