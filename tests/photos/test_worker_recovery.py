"""A worker killed with SIGKILL mid-batch: every photo still gets processed, none twice over.

Real processes on the real queue: the in-process app enqueues the jobs (its queue is the same SQLite
file, or the same Redis prefix, as the worker's, since both come from one Settings), ``eventlens worker``
consumes them, and is killed without warning while it holds a photo's lease; a second worker takes
the photo over within seconds (short lease renewed while working, frequent sweep), not minutes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from eventlens.config import Settings
from eventlens.models import Face, Photo, PhotoStatus
from eventlens.photos import keys
from tests.factories import create_event, settings_env, signup, upload

PHOTOS = 12
LEASE_SECONDS = 3
SWEEP_SECONDS = 1
TAKEOVER_SECONDS = 30  # the target for a cluster: a killed worker's photos move on within 30 s
EVENTLENS = Path(sys.executable).parent / "eventlens"


def _largest_photos(dataset: Path, n: int) -> list[Path]:
    """The biggest dataset JPEGs (1-3 MP and up): each takes a few tenths of a second to process."""
    return sorted(dataset.glob("identities/*/*.jpg"), key=lambda p: (-p.stat().st_size, str(p)))[:n]


class Worker:
    """``eventlens worker`` in its own process group, its output in a log file."""

    def __init__(self, env: dict[str, str], cwd: Path, log: Path) -> None:
        self.log = log
        self._out = log.open("ab")
        self.proc = subprocess.Popen(
            [str(EVENTLENS), "worker"],
            env=env,
            cwd=cwd,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        """Ctrl-C (finish the current job), then SIGKILL when it takes too long."""
        try:
            if self.proc.poll() is None:
                try:
                    os.killpg(self.proc.pid, signal.SIGINT)
                    self.proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait(timeout=10)
                except ProcessLookupError:
                    pass
        finally:
            self._out.close()

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-6000:]


def _wait_for(
    what: str, done: Callable[[], bool], timeout: float, workers: list[Worker], interval: float = 0.05
) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        live = workers[-1]
        if live.proc.poll() is not None:
            raise AssertionError(
                f"the worker exited ({live.proc.returncode}) while waiting for {what}; log:\n{live.output()}"
            )
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- {w.log.name}\n{w.output()}" for w in workers)
            raise AssertionError(f"{what} did not happen within {timeout:.0f} s; worker logs:\n{logs}")
        time.sleep(interval)


def test_a_worker_killed_mid_batch_loses_no_photo_and_processes_none_twice(
    client: TestClient, app: Any, settings: Settings, dataset: Path, tmp_path: Path
) -> None:
    signup(client)
    event_id = create_event(client, name="Crash test")["id"]
    sources = _largest_photos(dataset, PHOTOS)
    for i, path in enumerate(sources):
        r = upload(client, event_id, (f"{i:02d}-{path.parent.name}.jpg", path.read_bytes()))
        assert r.status_code == 201, r.text
    listed = client.get(f"/api/events/{event_id}/photos", params={"limit": 100}).json()["items"]
    assert len(listed) == PHOTOS
    assert app.state.ctx.queue.pending_count() >= PHOTOS  # the jobs wait in the shared queue

    def count(status: str) -> int:
        r = client.get(f"/api/events/{event_id}/photos", params={"status": status, "limit": 100})
        assert r.status_code == 200, r.text
        return len(r.json()["items"])

    def held() -> list[Photo]:
        with app.state.ctx.sessions() as db:
            return list(
                db.scalars(
                    select(Photo).where(
                        Photo.event_id == uuid.UUID(event_id), Photo.status == PhotoStatus.processing
                    )
                )
            )

    env = settings_env(
        settings, job_lease_seconds=LEASE_SECONDS, sweep_seconds=SWEEP_SECONDS, worker_threads=1
    )
    workers: list[Worker] = []
    try:
        workers.append(Worker(env, tmp_path, tmp_path / "worker-1.log"))
        _wait_for(
            "the first worker mid-photo after 2 indexed",
            lambda: count("indexed") >= 2 and bool(held()),
            60,
            workers,
            interval=0.02,
        )
        workers[0].kill()
        killed_at = time.monotonic()
        orphans = {p.id: p.lease_token for p in held()}
        indexed_at_kill = count("indexed")
        assert indexed_at_kill < PHOTOS, "the worker finished the batch before it could be killed"
        assert orphans, "the worker was killed between two photos"
        assert count("failed") == 0

        # No waiting for the lease: the second worker takes the orphan over once the short lease runs
        # out (the killed worker no longer renews it) and its own sweep, every SWEEP_SECONDS, sees it.
        workers.append(Worker(env, tmp_path, tmp_path / "worker-2.log"))

        def taken_over() -> bool:
            with app.state.ctx.sessions() as db:
                tokens = {p.id: p.lease_token for p in db.scalars(select(Photo).where(Photo.id.in_(orphans)))}
            return all(tokens[pid] != token for pid, token in orphans.items())

        _wait_for("the killed worker's photo taken over", taken_over, TAKEOVER_SECONDS, workers)
        took = time.monotonic() - killed_at
        assert took <= TAKEOVER_SECONDS, took
        _wait_for("every photo indexed", lambda: count("indexed") == PHOTOS, 120, workers)
    finally:
        for w in workers:
            w.stop()

    assert count("failed") == 0
    storage = app.state.ctx.storage
    with app.state.ctx.sessions() as db:
        photos = list(db.scalars(select(Photo).where(Photo.event_id == uuid.UUID(event_id))))
        faces = dict(db.execute(select(Face.photo_id, func.count()).group_by(Face.photo_id)).all())
    assert len(photos) == PHOTOS
    for photo in photos:
        name = photo.original_filename
        assert photo.status == PhotoStatus.indexed, (name, photo.status, photo.error)
        assert photo.error is None and photo.has_preview, name
        assert photo.lease_token is None and photo.lease_until is None, name
        assert storage.exists(keys.preview_key(photo.event_id, photo.id)), name
        assert storage.exists(keys.thumbnail_key(photo.event_id, photo.id)), name
        # 1: done by one worker; 2: the killed worker's photo, taken over once its lease ran out.
        assert photo.attempts in (1, 2), (name, photo.attempts)
        assert faces.get(photo.id, 0) == photo.face_count, (name, faces.get(photo.id), photo.face_count)
    # The photos done before the kill were not done again.
    assert sum(p.attempts for p in photos) <= PHOTOS + 1, [(p.original_filename, p.attempts) for p in photos]
    assert sum(p.face_count for p in photos) > 0  # the photos are portraits: faces were really indexed
