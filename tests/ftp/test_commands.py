"""`eventlens ftp` and `eventlens serve` as real processes: a self-signed certificate whose fingerprint
is printed, a camera upload through each, and a clean stop."""

from __future__ import annotations

import ftplib
import hashlib
import io
import os
import signal
import ssl
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

from fastapi.testclient import TestClient

from eventlens.config import Settings
from tests.factories import settings_env
from tests.ftp.harness import ApiServer, Camera, free_port, photos, wait_for

EVENTLENS = Path(sys.executable).parent / "eventlens"


class Process:
    """An ``eventlens`` command in its own process group, its output in a file."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path) -> None:
        self.log = cwd / f"{args[0]}.log"
        self._out: IO[bytes] = self.log.open("wb")
        self.proc = subprocess.Popen(
            [str(EVENTLENS), *args],
            env=env,
            cwd=cwd,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        assert self.proc.poll() is None, f"exited with {self.proc.returncode}:\n{self.output()[-4000:]}"
        return True

    def terminate(self) -> int:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self._out.close()
        return self.proc.returncode


def _accepts(port: int) -> bool:
    import socket

    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _untrusted_context() -> ssl.SSLContext:
    """What a camera does on first contact with a self-signed server: no CA, the fingerprint decides."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def _upload_and_fingerprint(port: int, camera: Camera, name: str, data: bytes) -> str:
    ftp = ftplib.FTP_TLS(context=_untrusted_context(), timeout=20)  # noqa: S321 (FTPS under test)
    ftp.connect("127.0.0.1", port)
    ftp.login(camera.username, camera.password)
    ftp.prot_p()
    der = ftp.sock.getpeercert(binary_form=True)
    assert der is not None
    ftp.storbinary(f"STOR {name}", io.BytesIO(data))
    ftp.quit()
    return ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())


def test_eventlens_ftp_runs_the_gateway_alone(
    client: TestClient, api: ApiServer, settings: Settings, camera: Camera, dataset: Path, tmp_path: Path
) -> None:
    port = free_port()
    env = settings_env(
        settings, ftp_host="127.0.0.1", ftp_port=port, ftp_passive_ports="", ftp_api_url=api.url
    )
    gateway = Process(["ftp"], env, tmp_path)
    try:
        wait_for("`eventlens ftp` to listen", lambda: gateway.alive() and _accepts(port), 30)
        data = (dataset / "identities/Barack_Obama/1.jpg").read_bytes()
        fingerprint = _upload_and_fingerprint(port, camera, "from-ftp-command.jpg", data)
        wait_for("the photo to reach the API", lambda: len(photos(client, camera.event_id)) == 1, 20)
    finally:
        code = gateway.terminate()
    out = gateway.output()
    assert f"SHA-256 fingerprint {fingerprint}" in out, out  # what the photographer compares
    assert "made now, self-signed" in out
    assert (settings.data_dir / "ftp" / "cert.pem").is_file()
    assert code == 0, out
    assert photos(client, camera.event_id)[0]["original_filename"] == "from-ftp-command.jpg"


def test_eventlens_serve_starts_the_gateway_too(
    client: TestClient, app: Any, settings: Settings, camera: Camera, dataset: Path, tmp_path: Path
) -> None:
    http, ftp_port = free_port(), free_port()
    env = settings_env(settings, port=http, ftp_host="127.0.0.1", ftp_port=ftp_port, ftp_passive_ports="")
    server = Process(["serve"], env, tmp_path)
    try:
        wait_for(
            "`eventlens serve` to listen",
            lambda: server.alive() and _accepts(http) and _accepts(ftp_port),
            60,
        )
        data = (dataset / "identities/Barack_Obama/2.jpg").read_bytes()
        _upload_and_fingerprint(ftp_port, camera, "from-serve.jpg", data)

        def indexed() -> bool:
            return [p["status"] for p in photos(client, camera.event_id)] == ["indexed"]

        wait_for("serve to store and index the photo", indexed, 60)  # serve's own worker threads
    finally:
        code = server.terminate()
    out = server.output()
    assert "FTPS gateway on 127.0.0.1" in out and "SHA-256 fingerprint" in out, out
    assert code in (0, -signal.SIGTERM), out
    [photo] = photos(client, camera.event_id)
    assert photo["source"] == "ftp" and photo["face_count"] >= 1
