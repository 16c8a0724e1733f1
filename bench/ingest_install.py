"""A throw-away EventLens install on loopback for the ingest benchmarks: its environment, its processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

EVENTLENS = Path(sys.executable).parent / "eventlens"


def environment(tmp: Path) -> dict[str, str]:
    """This process's environment without any EVENTLENS_ setting, plus an embedded install in ``tmp``
    (SQLite, local storage), migrated. PYTHONPATH passes through: it picks the tree that runs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVENTLENS_")}
    env |= {
        "EVENTLENS_DATA_DIR": str(tmp / "data"),
        "EVENTLENS_SECRET_KEY": "bench",
        "EVENTLENS_COOKIE_SECURE": "false",  # the bench client talks plain http on loopback
        "EVENTLENS_LOG_LEVEL": "WARNING",
    }
    subprocess.run([str(EVENTLENS), "db", "upgrade"], env=env, check=True, capture_output=True)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([str(EVENTLENS), *args], env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/healthz").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit("the server did not start within 60 s")


def sign_up(client: httpx.Client) -> None:
    """The bench's organiser account; the client keeps its session and CSRF token."""
    r = client.post(
        "/api/auth/signup",
        json={"email": "bench@example.com", "password": "bench password 123", "name": "Bench"},
    )
    r.raise_for_status()
    client.headers["X-CSRF-Token"] = r.headers["X-CSRF-Token"]
