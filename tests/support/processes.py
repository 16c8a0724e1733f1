"""Helpers for tests that run EventLens as a real process (``eventlens serve`` / ``api``)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable

import httpx


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
