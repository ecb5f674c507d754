"""Local network helpers for servers the tests start."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A TCP port on loopback nobody listens on right now, for a server a test starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
