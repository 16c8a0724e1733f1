"""Helpers for tests that run EventLens as a real process (``eventlens serve`` / ``api``)."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Callable

import httpx


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clean_env() -> dict[str, str]:
    """This process's environment without any ``EVENTLENS_*`` variable, for a server started by a test."""
    return {k: v for k, v in os.environ.items() if not k.startswith("EVENTLENS_")}


def wait_healthy(
    base: str, proc: subprocess.Popen[str], output: Callable[[], str], timeout: float = 60
) -> None:
    """Return once ``base``/healthz answers 200; fail with the process's output if it exits or is late."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert proc.poll() is None, f"the server exited at start:\n{output()}"
        assert time.monotonic() < deadline, f"the server did not come up within {timeout:.0f} s:\n{output()}"
        time.sleep(0.2)
