"""The people of an event, for locust (run by bench/load.py; not on its own).

- ``ApiCamera``: a camera's uploader pushing photos through the API at ``LOAD_CAMERA_RATE`` photos/s.
- ``FtpCamera``: a camera on FTPS (one long session, as cameras keep one), at the same rate.
- ``Guest``: opens the guest page, searches with a selfie, looks at a few thumbnails; then waits.
- ``Photographer``: keeps the dashboard's live stream open and reads the event's counts.

Every upload carries a few random bytes after the JPEG's end so that no two are duplicates.
"""

from __future__ import annotations

import ftplib
import io
import json
import os
import random
import ssl
import time
from pathlib import Path
from typing import Any

from locust import HttpUser, User, between, constant_throughput, events, task

SCENE: dict[str, Any] = json.loads(Path(os.environ["LOAD_SCENE"]).read_text())
RATE = float(os.environ.get("LOAD_CAMERA_RATE", "0.5"))
PHOTOS = [Path(p).read_bytes() for p in SCENE["photos"]]
SELFIES = [Path(p).read_bytes() for p in SCENE["selfies"]]


def unique_photo() -> bytes:
    return random.choice(PHOTOS) + os.urandom(16)


class ApiCamera(HttpUser):
    wait_time = constant_throughput(RATE)  # type: ignore[no-untyped-call]
    fixed_count = int(os.environ.get("LOAD_API_CAMERAS", "1"))

    @task
    def upload(self) -> None:
        name = f"api-{time.monotonic_ns()}.jpg"
        self.client.post(
            f"/api/events/{SCENE['event_id']}/photos",
            files=[("files", (name, unique_photo(), "image/jpeg"))],
            headers={"Authorization": f"Bearer {SCENE['token']}"},
            name="upload (API)",
        )


class FtpCamera(User):
    wait_time = constant_throughput(RATE)  # type: ignore[no-untyped-call]
    fixed_count = int(os.environ.get("LOAD_FTP_CAMERAS", "1"))

    def on_start(self) -> None:
        cred = SCENE["ftp"].pop()  # one login per camera
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE  # the gateway's self-signed certificate
        self.ftp = ftplib.FTP_TLS(context=ctx, timeout=60)  # noqa: S321 (FTPS is what is measured)
        self.ftp.connect("127.0.0.1", SCENE["ftp_port"])
        self.ftp.login(cred["username"], cred["password"])
        self.ftp.prot_p()

    def on_stop(self) -> None:
        self.ftp.close()

    @task
    def store(self) -> None:
        data = unique_photo()
        started = time.perf_counter()
        error: Exception | None = None
        try:
            self.ftp.storbinary(f"STOR ftp-{time.monotonic_ns()}.jpg", io.BytesIO(data))
        except Exception as exc:  # reported to locust as a failed request
            error = exc
        events.request.fire(
            request_type="FTPS",
            name="STOR (camera)",
            response_time=1000 * (time.perf_counter() - started),
            response_length=len(data),
            exception=error,
            context={},
        )


class Guest(HttpUser):
    wait_time = between(5, 15)  # type: ignore[no-untyped-call]
    fixed_count = int(os.environ.get("LOAD_GUESTS", "10"))

    def on_start(self) -> None:
        self.client.get(f"/e/{SCENE['slug']}", name="guest page")
        self.client.get(f"/api/public/events/{SCENE['slug']}", name="event (public)")

    @task
    def search(self) -> None:
        r = self.client.post(
            f"/api/public/events/{SCENE['slug']}/search",
            files={"selfie": ("me.jpg", random.choice(SELFIES), "image/jpeg")},
            name="search",
        )
        if r.status_code == 200:
            for match in r.json()["matches"][:4]:
                self.client.get(match["thumbnail_url"], name="thumbnail")


class Photographer(HttpUser):
    wait_time = between(4, 6)  # type: ignore[no-untyped-call]
    fixed_count = int(os.environ.get("LOAD_PHOTOGRAPHERS", "1"))

    @task
    def watch(self) -> None:
        headers = {"Authorization": f"Bearer {SCENE['token']}"}
        self.client.get(f"/api/events/{SCENE['event_id']}", headers=headers, name="event (dashboard)")
        # The live stream: open it, read for a few seconds, as a dashboard tab does between reconnects.
        with self.client.get(
            f"/api/events/{SCENE['event_id']}/stream",
            headers=headers,
            stream=True,
            catch_response=True,
            name="live stream (open)",
        ) as r:
            deadline = time.monotonic() + 3
            for _line in r.iter_lines():
                if time.monotonic() > deadline:
                    break
            r.success() if r.status_code == 200 else r.failure(f"status {r.status_code}")
