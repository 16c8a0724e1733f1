"""What the FTP tests drive: the test's app on a real socket, the real gateway, real FTPS clients."""

from __future__ import annotations

import ftplib
import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from fastapi.testclient import TestClient

from eventlens.ftp.gateway.server import Gateway
from tests.support.processes import free_port


class ApiServer:
    """The test's app served by uvicorn in a thread, so the gateway reaches it over HTTP.

    It can be stopped and started again on the same port (the API going away during uploads).
    """

    def __init__(self, app: Any, port: int | None = None) -> None:
        self.app = app
        self.port = port or free_port()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="test-api", daemon=True)
        self._thread.start()
        wait_for("the API to listen", lambda: self._server is not None and self._server.started, 15)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(15)
            assert not self._thread.is_alive(), "the test API did not stop"
        self._server = None


def wait_for(what: str, done: Callable[[], bool], timeout: float = 20, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        time.sleep(interval)


@dataclass
class Camera:
    """One FTP credential of one event, as a photographer would hand it to a camera."""

    event_id: str
    username: str
    password: str
    credential_id: str


def make_camera(client: TestClient, event_id: str, **body: Any) -> Camera:
    r = client.post(f"/api/events/{event_id}/ftp-credentials", json=body)
    assert r.status_code == 201, r.text
    c = r.json()
    return Camera(event_id, c["username"], c["password"], c["id"])


def tls_context(cafile: Path) -> ssl.SSLContext:
    """Verifies the gateway's certificate for real (it names 127.0.0.1)."""
    return ssl.create_default_context(cafile=str(cafile))


def ftps(
    gateway: Gateway, cafile: Path, camera: Camera | None = None, *, password: str | None = None
) -> ftplib.FTP_TLS:
    """ftplib's FTPS client, logged in (when a camera is given) with a private data channel."""
    host, port = gateway.address
    ftp = ftplib.FTP_TLS(context=tls_context(cafile), timeout=20)  # noqa: S321 (FTPS is what is tested)
    ftp.connect(host, port)
    if camera is not None:
        ftp.login(camera.username, camera.password if password is None else password)
        ftp.prot_p()
    return ftp


def photos(client: TestClient, event_id: str) -> list[dict[str, Any]]:
    r = client.get(f"/api/events/{event_id}/photos", params={"limit": 500})
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def spool_files(gateway: Gateway) -> list[Path]:
    """Every file left in the gateway's spool (sessions and outbox), lock file aside."""
    spool = gateway.settings.data_dir.resolve() / "ftp" / "spool"
    return sorted(p for p in spool.rglob("*") if p.is_file() and p.name != ".lock")


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise AssertionError(
            f"`{name}` is not installed: the FTP tests drive it for real (apt-get install {name})"
        )
    return path


def run(cmd: list[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
