"""Unicode file names from cameras and FTP clients reach the event under their names, never dropped.

The issue's probe: ``STOR фото.jpg`` answered 226, then the API refused the hand-off (its multipart
parser could not read the name) and the photo was gone. Here real clients (ftplib, lftp) upload such
names through the real gateway into the test's API on a socket, and the photo is served back over that
socket (uvicorn with h11) with a ``Content-Disposition`` that decodes to the name.
"""

from __future__ import annotations

import io
import os
import subprocess
import unicodedata
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from eventlens.ftp.gateway.handoff import Handoff, Outbox, Poster, UploadMeta
from eventlens.ftp.gateway.server import Gateway
from tests.factories import api_token
from tests.ftp.conftest import ApiServer
from tests.ftp.harness import Camera, ftps, photos, require_tool, spool_files, wait_for
from tests.photos.names import ARABIC, NFD_CAFE, THAI, check_disposition, jpeg

NAMES = {
    "фото.jpg": "фото.jpg",
    "写真.JPG": "写真.JPG",
    f"{THAI}.jpg": f"{THAI}.jpg",
    f"{ARABIC}.jpg": unicodedata.normalize("NFC", f"{ARABIC}.jpg"),
    f"{NFD_CAFE}.jpg": "café ü.jpg",
    "🎉 party.jpg": "🎉 party.jpg",
    'quote"name.jpg': 'quote"name.jpg',
}


def _served_name(api: ApiServer, token: str, photo_id: str) -> str:
    """The original's download over a real socket: the header must pass h11 and decode to the name."""
    r = httpx.get(
        f"{api.url}/api/photos/{photo_id}/original",
        params={"download": "true"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=20,
        follow_redirects=True,  # with the S3 store: to the signed URL, which answers the same header
    )
    assert r.status_code == 200 and r.content[:2] == b"\xff\xd8"
    return check_disposition(r.headers["content-disposition"], "attachment")


def test_ftplib_uploads_unicode_names_and_folders(
    client: TestClient, api: ApiServer, gateway: Gateway, camera: Camera, cafile: Path
) -> None:
    with ftps(gateway, cafile, camera) as ftp:
        assert ftp.encoding == "utf-8"
        for i, name in enumerate(NAMES):
            assert ftp.storbinary(f"STOR {name}", io.BytesIO(jpeg(i))).startswith("226")
        ftp.mkd("Свадьба")
        ftp.storbinary("STOR Свадьба/ภาพ.jpg", io.BytesIO(jpeg(50)))
        # An old camera sending Latin-1: its accents survive instead of turning into U+FFFD.
        ftp.encoding = "latin-1"
        ftp.storbinary("STOR café latin.jpg", io.BytesIO(jpeg(51)))
        ftp.encoding = "utf-8"
        assert sorted(ftp.nlst()) == sorted([*NAMES, "Свадьба", "café latin.jpg"])
        assert gateway.handoff.wait_idle(30)
    got = {p["original_filename"]: p for p in photos(client, camera.event_id)}
    assert set(got) == {*NAMES.values(), "ภาพ.jpg", "café latin.jpg"}
    assert got["ภาพ.jpg"]["album"] == "Свадьба"
    token = api_token(client)
    for name in ("фото.jpg", "café ü.jpg", 'quote"name.jpg'):
        assert _served_name(api, token, got[name]["id"]) == name
    wait_for("the outbox to empty", lambda: not any("outbox" in p.parts for p in spool_files(gateway)))


def test_lftp_mirrors_unicode_names(
    client: TestClient, gateway: Gateway, camera: Camera, cafile: Path, tmp_path: Path
) -> None:
    lftp = require_tool("lftp")
    card = tmp_path / "card"
    (card / "Día 1").mkdir(parents=True)
    names = {"фото.jpg": None, "写真.jpg": None, f"{THAI}.jpg": None, "niño.jpg": "Día 1"}
    for i, (name, folder) in enumerate(names.items()):
        (card / (folder or "") / name).write_bytes(jpeg(100 + i))
    host, port = gateway.address
    script = "; ".join(
        [
            f"set ssl:ca-file {cafile}",
            "set ftp:ssl-force true",
            "set ftp:ssl-protect-data true",
            "set ftp:passive-mode true",
            "set xfer:use-temp-file true",
            "set net:max-retries 2",
            f"open -u {camera.username},{camera.password} -p {port} {host}",
            f"mirror -R {card} /",
        ]
    )
    env = {**os.environ, "LC_ALL": "C.UTF-8"}
    done = subprocess.run(
        [lftp, "-c", script], capture_output=True, text=True, timeout=90, env=env, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert gateway.handoff.wait_idle(30)
    got = {p["original_filename"]: p["album"] for p in photos(client, camera.event_id)}
    assert got == names


class _StubbedPoster(Poster):
    """The real Poster (its multipart, its reading of answers) talking to a stand-in for the API."""

    def __init__(self, answer: Callable[[httpx.Request], httpx.Response]) -> None:
        super().__init__("http://api.invalid", "token")
        self.transport = httpx.MockTransport(answer)

    def _client(self) -> httpx.Client:
        return httpx.Client(base_url=self.api_url, headers=self.headers, transport=self.transport)


def test_a_hand_off_the_api_cannot_read_stays_in_the_outbox_until_it_can(tmp_path: Path) -> None:
    """A 400 (the API could not read the request) is no verdict on the photo: the file is kept and sent
    again; only a refusal of the photo itself (corrupt, wrong type) ends its way."""
    unreadable = {"error": {"code": "bad_upload", "message": "unreadable", "details": None}}
    answers = [httpx.Response(400, json=unreadable), httpx.Response(201, json={"stored": 1})]
    sent: list[bytes] = []

    def api(request: httpx.Request) -> httpx.Response:
        sent.append(request.read())
        return answers[min(len(sent), len(answers)) - 1]

    source = tmp_path / "фото.jpg"
    source.write_bytes(jpeg(1))
    meta = UploadMeta(str(uuid.uuid4()), str(uuid.uuid4()), "cam", "192.0.2.1", source.name, None, 0.0)
    handoff = Handoff(Outbox(tmp_path / "outbox"), _StubbedPoster(api), threads=1)
    handoff.start()
    try:
        handoff.submit(source, meta)
        wait_for("the second attempt", lambda: len(sent) >= 2, timeout=10)
        assert handoff.wait_idle(10)
    finally:
        handoff.stop()
    assert len(sent) == 2  # kept after the 400, delivered on the retry
    assert 'filename="фото.jpg"'.encode() in sent[0]
    assert list((tmp_path / "outbox").iterdir()) == []
