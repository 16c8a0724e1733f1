"""Uploads through the real gateway with Python's FTPS client: what cameras do, and what lands in the event."""

from __future__ import annotations

import ftplib
import hashlib
import io
import logging
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from eventlens.ftp.gateway.handler import UNCLEAN_GRACE_SECONDS
from eventlens.ftp.gateway.server import Gateway
from tests.factories import run_jobs
from tests.ftp.harness import Camera, ftps, photos, spool_files, wait_for

PORTRAIT = "identities/Barack_Obama/1.jpg"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def small_jpeg(i: int) -> bytes:
    """A tiny, valid JPEG whose bytes differ for every ``i``."""
    out = io.BytesIO()
    Image.new("RGB", (32, 24), ((i * 37) % 256, (i * 91) % 256, (i * 53) % 256)).save(out, "JPEG", quality=90)
    return out.getvalue()


def by_name(client: TestClient, camera: Camera) -> dict[str, dict[str, Any]]:
    return {p["original_filename"]: p for p in photos(client, camera.event_id)}


def test_a_photo_from_the_camera_becomes_an_indexed_photo_of_the_event(
    client: TestClient, app: Any, gateway: Gateway, camera: Camera, cafile: Path, dataset: Path
) -> None:
    data = (dataset / PORTRAIT).read_bytes()
    with ftps(gateway, cafile, camera) as ftp:
        assert ftp.storbinary("STOR DSC_0001.JPG", io.BytesIO(data)).startswith("226")
        assert gateway.handoff.wait_idle(20)
        [photo] = photos(client, camera.event_id)
    assert (photo["source"], photo["original_filename"], photo["album"]) == ("ftp", "DSC_0001.JPG", None)
    assert photo["sha256"] == sha256(data) and photo["size"] == len(data)
    assert run_jobs(app) >= 1
    [photo] = photos(client, camera.event_id)
    assert photo["status"] == "indexed", photo
    assert photo["face_count"] >= 1
    wait_for("the session's area to be removed", lambda: spool_files(gateway) == [])


def test_folders_become_albums_even_without_mkd(
    client: TestClient, gateway: Gateway, camera: Camera, cafile: Path
) -> None:
    with ftps(gateway, cafile, camera) as ftp:
        ftp.mkd("Ceremony")
        ftp.cwd("Ceremony")
        ftp.storbinary("STOR a.jpg", io.BytesIO(small_jpeg(1)))
        ftp.cwd("/Reception/Evening")  # a camera's configured target folder: made on the way
        assert ftp.pwd() == "/Reception/Evening"
        ftp.storbinary("STOR b.jpg", io.BytesIO(small_jpeg(2)))
        ftp.cwd("/")
        ftp.storbinary("STOR Dinner/c.jpg", io.BytesIO(small_jpeg(3)))  # a path in STOR, no MKD
        ftp.storbinary("STOR d.jpg", io.BytesIO(small_jpeg(4)))
        assert gateway.handoff.wait_idle(20)
    albums = {name: p["album"] for name, p in by_name(client, camera).items()}
    assert albums == {"a.jpg": "Ceremony", "b.jpg": "Reception/Evening", "c.jpg": "Dinner", "d.jpg": None}


def test_upload_under_a_temporary_name_then_rename(
    client: TestClient, gateway: Gateway, camera: Camera, cafile: Path
) -> None:
    with ftps(gateway, cafile, camera) as ftp:
        ftp.storbinary("STOR IMG_0001.JPG.part", io.BytesIO(small_jpeg(1)))
        ftp.storbinary("STOR ~IMG_0002.tmp", io.BytesIO(small_jpeg(2)))
        assert gateway.handoff.wait_idle(10)
        assert photos(client, camera.event_id) == []  # not under its final name yet: nothing sent
        assert ftp.rename("IMG_0001.JPG.part", "IMG_0001.JPG").startswith("250")
        assert gateway.handoff.wait_idle(10)
        assert set(by_name(client, camera)) == {"IMG_0001.JPG"}
        assert "IMG_0001.JPG" in ftp.nlst() and "IMG_0001.JPG.part" not in ftp.nlst()
    # The session ended with a file still under a temporary name: it arrived whole, so it is kept.
    wait_for("the leftover to be handed off", lambda: len(photos(client, camera.event_id)) == 2)
    assert set(by_name(client, camera)) == {"IMG_0001.JPG", "~IMG_0002.tmp"}


def test_resume_with_rest_and_with_appe(
    client: TestClient,
    gateway: Gateway,
    camera: Camera,
    cafile: Path,
    dataset: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="eventlens.ftp")
    first = (dataset / PORTRAIT).read_bytes()
    second = (dataset / "identities/John_Savage/1.jpg").read_bytes()
    with ftps(gateway, cafile, camera) as ftp:
        ftp.voidcmd("TYPE I")
        # Under its final name, a part of a photo goes to the API at once, which refuses it: the camera
        # hears so (550) and nothing of it is kept.
        with pytest.raises(ftplib.error_perm, match=r"^550 .*damaged"):
            ftp.storbinary("STOR cut.jpg", io.BytesIO(first[: len(first) // 3]))
        assert "cut.jpg" not in ftp.nlst()
        # Under a temporary name (as lftp and cameras that resume do), a part waits for the rest:
        # REST from where SIZE says it stopped, or APPE; the rename hands the whole photo over.
        ftp.storbinary("STOR rest.jpg.part", io.BytesIO(first[: len(first) // 3]))
        offset = ftp.size("rest.jpg.part")
        assert offset == len(first) // 3
        ftp.storbinary("STOR rest.jpg.part", io.BytesIO(first[offset:]), rest=offset)
        assert ftp.size("rest.jpg.part") == len(first)
        assert ftp.rename("rest.jpg.part", "rest.jpg").startswith("250")
        half = len(second) // 2
        ftp.storbinary("STOR appe.jpg.part", io.BytesIO(second[:half]))
        ftp.storbinary("APPE appe.jpg.part", io.BytesIO(second[half:]))
        assert ftp.size("appe.jpg.part") == len(second)
        assert ftp.rename("appe.jpg.part", "appe.jpg").startswith("250")
    stored = by_name(client, camera)
    assert {name: p["sha256"] for name, p in stored.items()} == {
        "rest.jpg": sha256(first),
        "appe.jpg": sha256(second),
    }
    refusals = [r.getMessage() for r in caplog.records if "ftp.handoff_refused" in r.getMessage()]
    assert len(refusals) == 1 and "corrupt_image" in refusals[0], refusals


def test_size_list_and_nlst_show_what_this_session_uploaded(
    gateway: Gateway, camera: Camera, cafile: Path
) -> None:
    with ftps(gateway, cafile, camera) as other:
        other.storbinary("STOR theirs.jpg", io.BytesIO(small_jpeg(9)))
    with ftps(gateway, cafile, camera) as ftp:
        assert ftp.nlst() == []  # each login has its own area, even on the same credential
        data = small_jpeg(1)
        ftp.storbinary("STOR one.jpg", io.BytesIO(data))
        ftp.mkd("Sub")
        ftp.storbinary("STOR Sub/two.jpg", io.BytesIO(small_jpeg(2)))
        assert gateway.handoff.wait_idle(20)
        gateway.runtime.drain_released()  # what the loop does twice a second: shrink what the API has
        [kept] = gateway.runtime.sessions_dir.glob("*/one.jpg")
        assert kept.stat().st_size == len(data) and kept.stat().st_blocks == 0  # a sparse placeholder
        ftp.voidcmd("TYPE I")
        assert ftp.size("one.jpg") == len(data)
        assert sorted(ftp.nlst()) == ["Sub", "one.jpg"]
        listing: list[str] = []
        ftp.retrlines("LIST", listing.append)
        assert any(line.endswith(" one.jpg") and f" {len(data)} " in line for line in listing), listing
        assert [name for name, _facts in ftp.mlsd("Sub")] == ["two.jpg"]
        assert ftp.voidcmd("NOOP").startswith("200")


def test_a_long_session_with_many_files(
    client: TestClient, gateway: Gateway, camera: Camera, cafile: Path
) -> None:
    count = 120
    with ftps(gateway, cafile, camera) as ftp:
        for i in range(count):
            ftp.storbinary(f"STOR IMG_{i:04d}.JPG", io.BytesIO(small_jpeg(i)))
            if i % 25 == 0:
                ftp.voidcmd("NOOP")  # the keep-alive cameras send between shots
        assert len(ftp.nlst()) == count
        assert gateway.handoff.wait_idle(60)
    assert len(photos(client, camera.event_id)) == count


def test_a_damaged_photo_is_refused_by_the_api_with_a_550(
    client: TestClient,
    gateway: Gateway,
    camera: Camera,
    cafile: Path,
    dataset: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="eventlens.ftp")
    data = (dataset / PORTRAIT).read_bytes()
    # A JPEG header and then nothing: the gateway's quick look passes it, the API's checks do not,
    # and the camera is told so instead of a 226.
    with (
        ftps(gateway, cafile, camera) as ftp,
        pytest.raises(ftplib.error_perm, match=r"^550 The image is damaged"),
    ):
        ftp.storbinary("STOR broken.jpg", io.BytesIO(data[: len(data) // 2]))
    assert photos(client, camera.event_id) == []
    assert any("corrupt_image" in r.getMessage() and "broken.jpg" in r.getMessage() for r in caplog.records)
    wait_for("nothing left in the spool", lambda: spool_files(gateway) == [])


def test_a_client_that_skips_the_tls_close_still_gets_its_upload(
    client: TestClient, gateway: Gateway, camera: Camera, cafile: Path
) -> None:
    """Some clients end the data stream without TLS's close_notify. A killed client looks the same
    (see test_clients); one whose control connection lives on has finished, and is answered 226."""
    with ftps(gateway, cafile, camera) as ftp:
        ftp.voidcmd("TYPE I")
        conn = ftp.transfercmd("STOR abrupt.jpg")
        conn.sendall(small_jpeg(1))
        started = time.monotonic()
        conn.close()  # no unwrap(): the TCP stream just ends
        assert ftp.voidresp().startswith("226")
        assert time.monotonic() - started >= UNCLEAN_GRACE_SECONDS * 0.9  # it waited to be sure
        assert ftp.voidcmd("NOOP").startswith("200")
        assert gateway.handoff.wait_idle(10)
    assert sorted(by_name(client, camera)) == ["abrupt.jpg"]
