"""Other real clients (curl, lftp), a client killed mid-transfer, implicit FTPS, NAT and plain-FTP settings."""

from __future__ import annotations

import ftplib
import io
import logging
import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from eventlens.ftp.gateway.server import Gateway
from tests.ftp.conftest import StartGateway
from tests.ftp.harness import Camera, free_port, ftps, photos, require_tool, run, spool_files, wait_for
from tests.ftp.test_uploads import small_jpeg


def _curl(
    cafile: Path, camera: Camera, url: str, upload: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    curl = require_tool("curl")
    auth = f"{camera.username}:{camera.password}"
    return run(
        [curl, "-sS", "--ssl-reqd", "--cacert", str(cafile), "--user", auth, "-T", str(upload), *extra, url]
    )


def test_curl_uploads_into_a_folder(
    client: TestClient, gateway: Gateway, camera: Camera, cafile: Path, dataset: Path
) -> None:
    host, port = gateway.address
    photo = dataset / "identities/Barack_Obama/1.jpg"
    done = _curl(cafile, camera, f"ftp://{host}:{port}/Ceremony/IMG_0100.JPG", photo)
    assert done.returncode == 0, done.stderr
    assert gateway.handoff.wait_idle(20)
    [stored] = photos(client, camera.event_id)
    assert (stored["original_filename"], stored["album"], stored["source"]) == (
        "IMG_0100.JPG",
        "Ceremony",
        "ftp",
    )


def test_curl_over_implicit_ftps(
    client: TestClient, start_gateway: StartGateway, camera: Camera, cafile: Path, dataset: Path
) -> None:
    gateway = start_gateway(ftp_implicit_port=0)
    assert gateway.implicit_address is not None
    host, port = gateway.implicit_address
    done = _curl(
        cafile, camera, f"ftps://{host}:{port}/implicit.jpg", dataset / "identities/Barack_Obama/2.jpg"
    )
    assert done.returncode == 0, done.stderr
    assert gateway.handoff.wait_idle(20)
    assert [p["original_filename"] for p in photos(client, camera.event_id)] == ["implicit.jpg"]


def _big_jpeg(dataset: Path, path: Path) -> Path:
    """A 3000 x 2000 JPEG (about 2 MB): big enough to be killed in the middle of."""
    with Image.open(dataset / "identities/Angelina_Jolie/3.jpg") as im:
        im.convert("RGB").resize((3000, 2000)).save(path, quality=95)
    return path


def test_a_client_killed_mid_transfer_leaves_nothing(
    client: TestClient,
    gateway: Gateway,
    camera: Camera,
    cafile: Path,
    dataset: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="eventlens.ftp")
    big = _big_jpeg(dataset, tmp_path / "big.jpg")
    host, port = gateway.address
    curl = require_tool("curl")
    auth = f"{camera.username}:{camera.password}"
    proc = subprocess.Popen(
        [
            *(curl, "-sS", "--ssl-reqd", "--cacert", str(cafile), "--user", auth, "--limit-rate", "300K"),
            *("-T", str(big), f"ftp://{host}:{port}/killed.jpg"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def received() -> int:
        return sum(p.stat().st_size for p in gateway.runtime.sessions_dir.glob("*/killed.jpg"))

    try:
        wait_for("part of the file to arrive", lambda: received() > 100_000, 20)
        assert received() < big.stat().st_size
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    wait_for("the session and its partial file to be gone", lambda: spool_files(gateway) == [], 10)
    assert gateway.handoff.wait_idle(10)
    assert photos(client, camera.event_id) == []
    # The gateway itself saw the transfer was cut (no TLS close, then the connection gone): the
    # partial file never went to the API at all.
    messages = [r.getMessage() for r in caplog.records]
    assert any("ftp.upload_incomplete" in m and "killed.jpg" in m for m in messages), messages
    assert not any("ftp.handed_off" in m for m in messages)


def test_lftp_mirrors_a_folder_with_temporary_names(
    client: TestClient, gateway: Gateway, camera: Camera, cafile: Path, dataset: Path, tmp_path: Path
) -> None:
    lftp = require_tool("lftp")
    card = tmp_path / "DCIM"
    (card / "100CANON").mkdir(parents=True)
    # A 273 kB photo: lftp ends its data stream without a TLS close; under TLS 1.3 its unread session
    # tickets made that close a reset, and the end of the file was lost (corrupt_image). Data
    # connections are TLS 1.2 for that reason (ftp/gateway/tls.py).
    shutil.copy(dataset / "identities/Barack_Obama/1.jpg", card / "100CANON" / "IMG_0001.JPG")
    shutil.copy(dataset / "identities/George_Clooney/1.jpg", card / "100CANON" / "IMG_0002.JPG")
    shutil.copy(dataset / "identities/John_Savage/1.jpg", card / "cover.jpg")
    host, port = gateway.address
    script = "; ".join(
        [
            f"set ssl:ca-file {cafile}",
            "set ftp:ssl-force true",
            "set ftp:ssl-protect-data true",
            "set ftp:passive-mode true",
            "set xfer:use-temp-file true",  # upload as .in.NAME. then rename, as many cameras do
            "set net:max-retries 2",
            "set net:reconnect-interval-base 1",
            f"open -u {camera.username},{camera.password} -p {port} {host}",
            f"mirror -R {card} /",
        ]
    )
    done = run([lftp, "-c", script], timeout=90)
    assert done.returncode == 0, done.stdout + done.stderr
    assert gateway.handoff.wait_idle(20)
    got = {p["original_filename"]: p["album"] for p in photos(client, camera.event_id)}
    assert got == {"IMG_0001.JPG": "100CANON", "IMG_0002.JPG": "100CANON", "cover.jpg": None}


def test_passive_port_range_and_masquerade_address(
    client: TestClient, start_gateway: StartGateway, camera: Camera, cafile: Path
) -> None:
    first = free_port()
    gateway = start_gateway(ftp_passive_ports=f"{first}-{first + 4}", ftp_masquerade_address="203.0.113.9")
    with ftps(gateway, cafile, camera) as ftp:
        reply = ftp.sendcmd("PASV")
        m = re.search(r"\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)", reply)
        assert m, reply
        assert ".".join(m.groups()[:4]) == "203.0.113.9"  # what a camera behind NAT must be told
        assert first <= int(m.group(5)) * 256 + int(m.group(6)) <= first + 4
        ftp.sendcmd("ABOR")
        # ftplib connects to the control connection's address, not the announced one: the upload
        # goes through one of the configured ports on loopback.
        ftp.storbinary("STOR nat.jpg", io.BytesIO(small_jpeg(1)))
        assert gateway.handoff.wait_idle(10)
    assert [p["original_filename"] for p in photos(client, camera.event_id)] == ["nat.jpg"]


def test_plain_ftp_when_allowed_works_and_warns(
    client: TestClient, start_gateway: StartGateway, camera: Camera, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="eventlens.ftp")
    gateway = start_gateway(ftp_allow_plain=True)
    assert any("ftp.plain_allowed" in r.getMessage() for r in caplog.records)
    host, port = gateway.address
    with ftplib.FTP() as plain:  # noqa: S321 (plain FTP, allowed on purpose here)
        plain.connect(host, port, timeout=10)
        plain.login(camera.username, camera.password)
        plain.storbinary("STOR old-camera.jpg", io.BytesIO(small_jpeg(2)))
        assert gateway.handoff.wait_idle(10)
    assert [p["original_filename"] for p in photos(client, camera.event_id)] == ["old-camera.jpg"]


def test_active_mode_works_too(client: TestClient, gateway: Gateway, camera: Camera, cafile: Path) -> None:
    with ftps(gateway, cafile, camera) as ftp:
        ftp.set_pasv(False)  # PORT: the gateway connects back to the client
        assert ftp.storbinary("STOR active.jpg", io.BytesIO(small_jpeg(5))).startswith("226")
        assert gateway.handoff.wait_idle(10)
    assert [p["original_filename"] for p in photos(client, camera.event_id)] == ["active.jpg"]
