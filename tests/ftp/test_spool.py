"""The hand-off to the API: files wait in the spool while the API is away, survive a gateway restart,
and a slow API never stalls the other camera connections."""

from __future__ import annotations

import ftplib
import io
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from eventlens.ftp.gateway import handoff
from eventlens.ftp.gateway.server import Gateway, GatewayError
from tests.ftp.conftest import StartGateway
from tests.ftp.harness import ApiServer, Camera, ftps, photos, spool_files, wait_for
from tests.ftp.test_uploads import small_jpeg


def _outbox(gateway: Gateway) -> list[str]:
    return sorted(p.name for p in spool_files(gateway) if p.parent.name == "outbox")


def test_uploads_wait_in_the_spool_while_the_api_is_down(
    client: TestClient, api: ApiServer, gateway: Gateway, camera: Camera, cafile: Path
) -> None:
    with ftps(gateway, cafile, camera) as ftp:
        api.stop()
        for i in range(3):
            assert ftp.storbinary(f"STOR away-{i}.jpg", io.BytesIO(small_jpeg(i))).startswith("226")
        time.sleep(1.0)  # a few attempts fail meanwhile
        assert photos(client, camera.event_id) == []
        assert len(_outbox(gateway)) == 6  # 3 files, each with its description
        api.start()
        wait_for("the spooled files to reach the API", lambda: len(photos(client, camera.event_id)) == 3, 20)
    assert sorted(p["original_filename"] for p in photos(client, camera.event_id)) == [
        f"away-{i}.jpg" for i in range(3)
    ]
    wait_for("the spool to empty", lambda: spool_files(gateway) == [])


def test_files_left_in_the_spool_are_sent_after_a_restart(
    client: TestClient, api: ApiServer, start_gateway: StartGateway, camera: Camera, cafile: Path
) -> None:
    first = start_gateway()
    with ftps(first, cafile, camera) as ftp:
        api.stop()
        ftp.storbinary("STOR before-restart.jpg", io.BytesIO(small_jpeg(1)))
    first.stop()
    assert len(_outbox(first)) == 2
    api.start()
    second = start_gateway()  # same data dir: it finds the outbox
    wait_for("the left-over file to be sent", lambda: len(photos(client, camera.event_id)) == 1, 20)
    assert photos(client, camera.event_id)[0]["original_filename"] == "before-restart.jpg"
    wait_for("the spool to empty", lambda: spool_files(second) == [])


def test_one_spool_one_gateway(gateway: Gateway, start_gateway: StartGateway) -> None:
    with pytest.raises(GatewayError, match="already uses"):
        start_gateway()


def test_a_slow_api_stalls_no_other_connection(
    client: TestClient, gateway: Gateway, camera: Camera, cafile: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_post = handoff.Poster.post

    def slow_post(self: handoff.Poster, item: handoff.Item) -> handoff.Answer:
        time.sleep(1.5)  # an API taking its time over every file
        return real_post(self, item)

    monkeypatch.setattr(handoff.Poster, "post", slow_post)
    with ftps(gateway, cafile, camera) as ftp, ftps(gateway, cafile, camera) as other:
        replies: list[str] = []
        uploading = threading.Thread(
            target=lambda: replies.extend(
                ftp.storbinary(f"STOR slow-{i}.jpg", io.BytesIO(small_jpeg(i))) for i in range(2)
            )
        )
        started = time.monotonic()
        uploading.start()
        for _ in range(5):  # the other connection answers at once while the uploads wait
            asked = time.monotonic()
            other.voidcmd("NOOP")
            assert time.monotonic() - asked < 0.5, "a connection waited for another one's upload"
            time.sleep(0.2)
        uploading.join(30)
        # Each 226 came once the API had the file: it is in the event when the camera hears of it.
        assert time.monotonic() - started >= 3.0 and [r[:3] for r in replies] == ["226", "226"]
    assert len(photos(client, camera.event_id)) == 2


def test_a_hanging_login_call_stalls_no_other_connection(
    start_gateway: StartGateway, camera: Camera, cafile: Path
) -> None:
    blackhole = socket.socket()  # accepts TCP connections (backlog) and never answers
    blackhole.bind(("127.0.0.1", 0))
    blackhole.listen(16)
    gateway = start_gateway(ftp_api_url=f"http://127.0.0.1:{blackhole.getsockname()[1]}")
    outcome: dict[str, Any] = {}

    def stuck_camera() -> None:
        try:
            ftps(gateway, cafile, camera).close()
        except ftplib.Error as exc:
            outcome["reply"] = str(exc)

    t = threading.Thread(target=stuck_camera)
    t.start()
    try:
        time.sleep(0.5)  # its PASS is now waiting on the API
        started = time.monotonic()
        with ftps(gateway, cafile) as other:
            assert other.voidcmd("NOOP").startswith("200")
        assert time.monotonic() - started < 2
        assert "reply" not in outcome
    finally:
        blackhole.close()  # the waiting call fails at once; the stuck camera gets its answer
        t.join(20)
    assert outcome["reply"].startswith("421")
