"""An FTPS upload is never acknowledged and then dropped: the 226 comes once the API has the photo; a
photo the API refuses gets a 55x with its reason; with the API away (or too slow) the file is
acknowledged, kept in the spool and delivered later; a refusal after the 226 sets the file aside."""

from __future__ import annotations

import ftplib
import io
import json
import logging
import os
import subprocess
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from eventlens.config import Settings
from eventlens.ftp.gateway import handoff
from eventlens.ftp.gateway.handler import refusal_reply
from eventlens.ftp.gateway.server import Gateway
from tests.ftp.conftest import StartGateway
from tests.ftp.harness import ApiServer, Camera, ftps, photos, require_tool, spool_files, wait_for
from tests.ftp.test_uploads import small_jpeg

MAX_PIXELS = 5_000  # small_jpeg (32x24) passes, big_jpeg (100x100) does not


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"max_pixels": MAX_PIXELS})


def big_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (100, 100), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def test_an_accepted_file_is_in_the_event_when_the_camera_hears_226(
    client: TestClient, gateway: Gateway, camera: Camera, cafile: Path
) -> None:
    with ftps(gateway, cafile, camera) as ftp:
        reply = ftp.storbinary("STOR ok.jpg", io.BytesIO(small_jpeg(1)))
        assert reply.startswith("226")
        # No waiting for the hand-off: the 226 itself means the API has it.
        assert [p["original_filename"] for p in photos(client, camera.event_id)] == ["ok.jpg"]
    assert gateway.status()["accepted"] == 1


def test_a_file_the_api_refuses_gets_a_55x_with_the_reason(
    client: TestClient, gateway: Gateway, camera: Camera, cafile: Path
) -> None:
    with ftps(gateway, cafile, camera) as ftp:
        with pytest.raises(ftplib.error_perm) as too_big:
            ftp.storbinary("STOR huge.jpg", io.BytesIO(big_jpeg()))
        assert str(too_big.value).startswith("552 ") and "pixels" in str(too_big.value)
        # The connection carries on: the next photo goes through.
        assert ftp.storbinary("STOR fine.jpg", io.BytesIO(small_jpeg(2))).startswith("226")
        assert client.post(f"/api/events/{camera.event_id}/archive").status_code == 200
        with pytest.raises(ftplib.error_perm) as archived:
            ftp.storbinary("STOR late.jpg", io.BytesIO(small_jpeg(3)))
        assert str(archived.value).startswith("550 ") and "archived" in str(archived.value)
        # Neither refused file is left anywhere: the camera knows they were not taken.
        assert sorted(ftp.nlst()) == ["fine.jpg"]
    assert [p["original_filename"] for p in photos(client, camera.event_id)] == ["fine.jpg"]
    wait_for("the spool to empty", lambda: spool_files(gateway) == [])
    status = gateway.status()
    assert status["refused"] == 2 and status["set_aside"] == 0


def test_lftp_sees_the_refusal(
    client: TestClient, gateway: Gateway, camera: Camera, cafile: Path, tmp_path: Path
) -> None:
    lftp = require_tool("lftp")
    (tmp_path / "huge.jpg").write_bytes(big_jpeg())
    (tmp_path / "ok.jpg").write_bytes(small_jpeg(4))
    host, port = gateway.address
    script = "; ".join(
        [
            f"set ssl:ca-file {cafile}",
            "set ftp:ssl-force true",
            "set ftp:ssl-protect-data true",
            "set ftp:passive-mode true",
            "set net:max-retries 1",
            f"open -u {camera.username},{camera.password} -p {port} {host}",
            f"put {tmp_path / 'ok.jpg'}",
            f"put {tmp_path / 'huge.jpg'}",
        ]
    )
    env = {**os.environ, "LC_ALL": "C.UTF-8"}
    done = subprocess.run(
        [lftp, "-c", script], capture_output=True, text=True, timeout=90, env=env, check=False
    )
    assert done.returncode != 0, done.stdout + done.stderr
    assert "552" in done.stderr and "pixels" in done.stderr, done.stderr
    assert [p["original_filename"] for p in photos(client, camera.event_id)] == ["ok.jpg"]


def test_with_the_api_away_the_file_is_acknowledged_kept_and_delivered_later(
    client: TestClient,
    api: ApiServer,
    gateway: Gateway,
    camera: Camera,
    cafile: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="eventlens.ftp.gateway")
    with ftps(gateway, cafile, camera) as ftp:
        api.stop()
        try:
            assert ftp.storbinary("STOR away.jpg", io.BytesIO(small_jpeg(5))).startswith("226")
            assert gateway.status()["waiting"] == 1 and gateway.status()["kept"] == 1
            assert any("ftp.kept_in_spool" in r.getMessage() for r in caplog.records)
            gateway.report()
            assert any("ftp.spool_status waiting=1" in r.getMessage() for r in caplog.records)
        finally:
            api.start()
    wait_for("the kept file to reach the API", lambda: len(photos(client, camera.event_id)) == 1, 30)
    assert photos(client, camera.event_id)[0]["original_filename"] == "away.jpg"


def test_a_refusal_after_the_answer_timed_out_sets_the_file_aside(
    client: TestClient,
    start_gateway: StartGateway,
    camera: Camera,
    cafile: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR, logger="eventlens.ftp.gateway")
    real_post = handoff.Poster.post

    def slow_post(self: handoff.Poster, item: handoff.Item) -> handoff.Answer:
        time.sleep(1.5)  # slower than the camera is willing to wait
        return real_post(self, item)

    monkeypatch.setattr(handoff.Poster, "post", slow_post)
    gateway = start_gateway(ftp_answer_timeout=0.3)
    with ftps(gateway, cafile, camera) as ftp:
        started = time.monotonic()
        assert ftp.storbinary("STOR slow.jpg", io.BytesIO(big_jpeg())).startswith("226")
        assert time.monotonic() - started < 1.4  # answered at the timeout, not after the API
    assert gateway.handoff.wait_idle(20)
    aside = gateway.settings.data_dir.resolve() / "ftp" / "spool" / "refused"
    [desc] = aside.glob("*.json")
    kept = json.loads(desc.read_text())
    assert kept["filename"] == "slow.jpg" and kept["refused"]["code"] == "too_many_pixels"
    assert (aside / f"{desc.stem}.jpg").read_bytes() == big_jpeg()
    assert gateway.status()["set_aside_files"] == 1
    assert any("ftp.refused_after_ack" in r.getMessage() for r in caplog.records)
    assert photos(client, camera.event_id) == []


def test_refusal_replies() -> None:
    assert refusal_reply(handoff.Answer("refused", 413, "file_too_large", "Too\r\nbig.")) == "552 Too big."
    assert refusal_reply(handoff.Answer("refused", 422, "bad_name", "No.")) == "553 No."
    assert refusal_reply(handoff.Answer("refused", 409, "event_archived", "")).startswith("550 ")
    assert len(refusal_reply(handoff.Answer("refused", 415, "x", "y" * 1000))) == 204
