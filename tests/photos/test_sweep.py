"""The sweep finds photos whose job was lost and queues them again, and leaves queued ones alone."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update

from eventlens.db import utcnow
from eventlens.models import Photo, PhotoStatus
from eventlens.photos import processing
from eventlens.photos.lease import LeaseKeeper
from eventlens.photos.repository import PhotoRepository
from tests.factories import create_event, run_jobs, signup, upload


def _upload_two(client: TestClient, dataset: Path) -> list[str]:
    signup(client)
    event_id = create_event(client)["id"]
    photos = sorted(dataset.glob("identities/*/*.jpg"))[:2]
    r = upload(client, event_id, *[(p.name, p.read_bytes()) for p in photos])
    assert r.status_code == 201, r.text
    return [str(item["id"]) for item in r.json()["items"]]


def _drop_queued_jobs(app: Any) -> None:
    huey = app.state.ctx.queue.huey
    while huey.dequeue() is not None:
        pass


def _age(app: Any, photo_id: str, **values: Any) -> None:
    with app.state.ctx.sessions.begin() as db:
        db.execute(update(Photo).where(Photo.id == uuid.UUID(photo_id)).values(**values))


def _status(client: TestClient, photo_id: str) -> tuple[str, int]:
    body = client.get(f"/api/photos/{photo_id}").json()
    return body["status"], body["face_count"]


def test_a_lost_upload_and_an_expired_lease_are_queued_again(
    client: TestClient, app: Any, dataset: Path
) -> None:
    lost, crashed = _upload_two(client, dataset)
    _drop_queued_jobs(app)  # as if a worker took both jobs and died
    ctx = app.state.ctx
    assert processing.sweep(ctx) == 0  # too recent to call lost: a worker may be about to claim them

    long_ago = utcnow() - timedelta(seconds=ctx.site.job_lease_seconds + 5)
    _age(app, lost, updated_at=long_ago)
    _age(app, crashed, status=PhotoStatus.processing, lease_token="dead-worker", lease_until=long_ago)
    assert processing.sweep(ctx) == 2
    assert processing.sweep(ctx) == 0  # both now wait in the queue: not sent twice
    assert run_jobs(app) == 2
    for photo_id in (lost, crashed):
        status, faces = _status(client, photo_id)
        assert status == "indexed" and faces >= 1, (photo_id, status)


def test_a_live_lease_is_left_to_its_worker(client: TestClient, app: Any, dataset: Path) -> None:
    busy, _other = _upload_two(client, dataset)
    _drop_queued_jobs(app)
    soon = utcnow() + timedelta(seconds=60)
    _age(app, busy, status=PhotoStatus.processing, lease_token="live-worker", lease_until=soon)
    assert processing.sweep(app.state.ctx) == 0
    assert _status(client, busy)[0] == "processing"


def test_a_working_worker_keeps_its_lease_past_the_lease_time(
    client: TestClient, app: Any, dataset: Path
) -> None:
    """A photo slower than the lease (a crowd event's tiled pass) is not taken from a live worker."""
    busy, _other = _upload_two(client, dataset)
    _drop_queued_jobs(app)
    ctx = app.state.ctx
    lease = timedelta(seconds=1)
    photo_id = uuid.UUID(busy)
    with ctx.sessions.begin() as db:
        assert PhotoRepository(db).claim(photo_id, "slow-worker", utcnow(), lease)
    with LeaseKeeper(ctx.sessions, photo_id, "slow-worker", lease) as keeper:
        time.sleep(2.5)  # two and a half leases of work
        with ctx.sessions.begin() as db:
            assert not PhotoRepository(db).claim(photo_id, "other-worker", utcnow(), lease)
        assert not keeper.lost
    time.sleep(1.5)  # the keeper stopped with the work: now the lease runs out
    with ctx.sessions.begin() as db:
        assert PhotoRepository(db).claim(photo_id, "other-worker", utcnow(), lease)


def test_a_lease_taken_over_is_reported_lost(client: TestClient, app: Any, dataset: Path) -> None:
    busy, _other = _upload_two(client, dataset)
    _drop_queued_jobs(app)
    ctx = app.state.ctx
    photo_id = uuid.UUID(busy)
    with ctx.sessions.begin() as db:
        assert PhotoRepository(db).claim(photo_id, "stalled", utcnow(), timedelta(seconds=1))
    _age(app, busy, lease_token="someone-else")  # another worker took it over while we stalled
    with LeaseKeeper(ctx.sessions, photo_id, "stalled", timedelta(seconds=0.6)) as keeper:
        deadline = time.monotonic() + 5
        while not keeper.lost and time.monotonic() < deadline:
            time.sleep(0.05)
    assert keeper.lost
