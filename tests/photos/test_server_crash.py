"""``eventlens serve`` killed with SIGKILL in the middle of a batch of uploads, then started again.

After the restart and the sweeps (the lost-job sweep ``photos.sweep`` and the crash-leftovers sweep
``photos.leftovers``, run an hour later than the crash as its grace period requires): every photo whose
upload was acknowledged is indexed exactly once, and no spool part, work file, half-written object or
object without a photo row is left.

A real server process on a real socket, sharing the test's settings (database, object store, queue),
so it runs on both profiles; the in-process app only prepares the account and reads the result.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select

from eventlens.config import Settings
from eventlens.db import session_scope, utcnow
from eventlens.models import Face, Photo, PhotoStatus
from eventlens.photos import keys, leftovers, processing
from eventlens.photos.repository import PhotoRepository
from eventlens.storage.local import LocalObjectStore
from tests.factories import api_token, create_event, settings_env, signup
from tests.support.processes import free_port, wait_healthy

EVENTLENS = Path(sys.executable).parent / "eventlens"
PHOTOS = 30
ACKED_BEFORE_KILL = 6  # uploads answered before the kill; the rest are in flight or never sent
LEASE_SECONDS = 3
BOUNDARY = "crash-test-boundary"


class Server:
    """``eventlens serve`` in its own process group, its output in a log file."""

    def __init__(self, env: dict[str, str], cwd: Path, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._out = log.open("ab")
        self.proc = subprocess.Popen(
            [str(EVENTLENS), "serve"],
            env=env | {"EVENTLENS_PORT": str(self.port)},
            cwd=cwd,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_healthy(self.url, self.proc, self.output, timeout=90)

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        try:
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGTERM)
                try:
                    self.proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait(timeout=10)
        finally:
            self._out.close()

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-6000:]


class Batch(threading.Thread):
    """Uploads the photos one request each, recording the id of every photo whose upload was answered."""

    def __init__(self, url: str, token: str, event_id: str, photos: list[Path]) -> None:
        super().__init__(daemon=True)
        self.url, self.token, self.event_id, self.photos = url, token, event_id, photos
        self.acked: dict[str, str] = {}  # photo id -> file name
        self.failures: list[str] = []

    def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=self.url, headers=headers, timeout=30) as http:
            for i, path in enumerate(self.photos):
                name = f"{i:02d}-{path.parent.name}-{path.name}"
                try:
                    r = http.post(
                        f"/api/events/{self.event_id}/photos",
                        files=[("files", (name, path.read_bytes(), "image/jpeg"))],
                    )
                except httpx.TransportError:
                    return  # the server was killed: this upload was never acknowledged
                if r.status_code not in (200, 201):
                    self.failures.append(f"{name}: {r.status_code} {r.text}")
                    return
                for item in r.json()["items"]:
                    self.acked[item["id"]] = name


def _slow_body(photo: bytes, started: threading.Event, stop: threading.Event) -> Iterator[bytes]:
    """A multipart upload that sends its first bytes, then stalls: the server holds a spool part."""
    yield (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="slow.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode() + photo[: len(photo) // 2]
    started.set()
    stop.wait(120)


def _stalled_upload(
    url: str, token: str, event_id: str, photo: bytes, stop: threading.Event
) -> threading.Event:
    started = threading.Event()

    def send() -> None:
        with contextlib.suppress(httpx.TransportError):  # the server is killed under it
            httpx.post(
                f"{url}/api/events/{event_id}/photos",
                content=_slow_body(photo, started, stop),
                headers={
                    "Authorization": f"Bearer {token}",
                    "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
                },
                timeout=120,
            )

    threading.Thread(target=send, daemon=True).start()
    return started


def _wait(what: str, done: Callable[[], bool], timeout: float, server: Server) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert server.proc.poll() is None, f"serve exited while waiting for {what}:\n{server.output()}"
        assert time.monotonic() < deadline, (
            f"{what} did not happen within {timeout:.0f} s:\n{server.output()}"
        )
        time.sleep(0.1)


def _photo_ids_of(object_keys: Iterable[str]) -> set[uuid.UUID]:
    """The photo id of every ``events/{event}/photos/{photo}.{variant}`` key."""
    return {uuid.UUID(k.split("/")[3].split(".", 1)[0]) for k in object_keys if k.count("/") == 3}


def test_serve_killed_mid_batch_leaves_nothing_behind_and_loses_no_acknowledged_photo(
    client: TestClient, app: Any, settings: Settings, dataset: Path, tmp_path: Path
) -> None:
    ctx = app.state.ctx
    signup(client)
    event_id = create_event(client, name="Crash test")["id"]
    token = api_token(client)
    photos = sorted(dataset.glob("identities/*/*.jpg"), key=lambda p: (-p.stat().st_size, str(p)))[:PHOTOS]
    env = settings_env(
        settings, job_lease_seconds=LEASE_SECONDS, worker_threads=1, ftp_enabled=False, cookie_secure=False
    )
    data = settings.data_dir
    spool = data / "spool" / "uploads"

    stop_slow = threading.Event()
    servers = [Server(env, tmp_path, tmp_path / "serve-1.log")]
    try:
        stalled = _stalled_upload(servers[0].url, token, event_id, photos[-1].read_bytes(), stop_slow)
        assert stalled.wait(30)
        batch = Batch(servers[0].url, token, event_id, photos[:-1])
        batch.start()
        _wait(
            f"{ACKED_BEFORE_KILL} uploads answered",
            lambda: len(batch.acked) >= ACKED_BEFORE_KILL,
            120,
            servers[0],
        )
        servers[0].kill()
        batch.join(30)
        stop_slow.set()
        assert not batch.failures, batch.failures
        acked = dict(batch.acked)
        assert ACKED_BEFORE_KILL <= len(acked) < PHOTOS - 1, "the batch ended before the kill"
        # The stalled upload's spool part is one crash leftover this test makes sure of.
        assert list(spool.glob("upload-*.part")), "no spool part left by the killed upload"

        time.sleep(LEASE_SECONDS + 1)  # the killed server's lease on the photo it was processing runs out
        servers.append(Server(env, tmp_path, tmp_path / "serve-2.log"))
        processing.sweep(ctx)  # the lost-job sweep (the restarted server also runs it at start)

        def rows() -> list[Photo]:
            with session_scope(ctx.read_sessions) as db:
                return list(db.scalars(select(Photo).where(Photo.event_id == uuid.UUID(event_id))))

        _wait(
            "every photo indexed after the restart",
            lambda: all(p.status == PhotoStatus.indexed for p in rows()),
            180,
            servers[-1],
        )
    finally:
        stop_slow.set()
        for server in servers:
            server.stop()

    # An hour after the crash (its grace period), with no server running: the leftovers sweep.
    def existing(ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
        with session_scope(ctx.read_sessions) as db:
            return PhotoRepository(db).existing_ids(list(ids))

    later = utcnow() + leftovers.GRACE + timedelta(minutes=5)
    removed = leftovers.sweep(ctx.storage, existing, data_dir=data, now=later)
    assert removed.spool_parts >= 1, removed

    photos_left = rows()
    by_id = {str(p.id): p for p in photos_left}
    assert set(acked) <= set(by_id), sorted(set(acked) - set(by_id))  # no acknowledged photo lost
    # A photo committed just before the kill (its answer lost) is kept and processed like the others.
    assert len({p.sha256 for p in photos_left}) == len(photos_left)
    with session_scope(ctx.read_sessions) as db:
        face_rows = db.execute(
            select(Face.photo_id, Face.engine_id, Face.box_x, Face.box_y, Face.box_w, Face.box_h).where(
                Face.event_id == uuid.UUID(event_id)
            )
        ).all()
    faces: dict[uuid.UUID, list[tuple[Any, ...]]] = {}
    for photo_id, *box in face_rows:
        faces.setdefault(photo_id, []).append(tuple(box))
    for photo in photos_left:
        name = photo.original_filename
        assert photo.status == PhotoStatus.indexed and photo.error is None, (name, photo.status, photo.error)
        assert photo.lease_token is None, name
        boxes = faces.get(photo.id, [])
        # Indexed exactly once: one face row per face found, none twice over.
        assert len(boxes) == len(set(boxes)), (name, boxes)
        assert len(boxes) >= photo.face_count, name
        for key in (
            photo.object_key,
            keys.preview_key(photo.event_id, photo.id),
            keys.thumbnail_key(photo.event_id, photo.id),
        ):
            assert ctx.storage.exists(key), (name, key)
    assert sum(p.face_count for p in photos_left) > 0  # the photos are portraits: faces were really indexed

    # Nothing left behind.
    assert list(spool.glob("upload-*.part")) == []
    work = data / "work"
    assert not work.is_dir() or [p for p in work.rglob("*") if p.is_file()] == []
    stored = [k for k, _ in ctx.storage.list_objects("events/")]
    assert _photo_ids_of(stored) <= {p.id for p in photos_left}, "an object without a photo row"
    assert len(stored) == 3 * len(photos_left)  # original, preview, thumbnail: nothing else
    if isinstance(ctx.storage, LocalObjectStore):
        assert list(ctx.storage.root.rglob(".tmp-*")) == []
    assert ctx.storage.sweep_temporary(later) == 0  # S3: no unfinished multipart upload either
