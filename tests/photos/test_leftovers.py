"""Crash leftovers (spool parts, work files, temp objects, orphan objects) are removed once old enough;
a live photo's objects and anything recent are kept."""

from __future__ import annotations

import io
import os
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from eventlens.db import utcnow
from eventlens.photos import keys, leftovers
from eventlens.photos.tasks import sweep_leftovers
from tests.factories import create_event, run_jobs, signup, upload


def _age(path: Path, hours: float) -> None:
    then = time.time() - hours * 3600
    os.utime(path, (then, then))


def test_old_leftovers_go_and_live_photos_stay(client: TestClient, app: Any, dataset: Path) -> None:
    ctx = app.state.ctx
    signup(client)
    event = create_event(client)
    photo = (dataset / "identities/Angelina_Jolie/1.jpg").read_bytes()
    stored = upload(client, event["id"], ("a.jpg", photo)).json()["items"][0]
    run_jobs(app)

    data = ctx.site.data_dir
    spool = data / "spool" / "uploads"
    spool.mkdir(parents=True, exist_ok=True)
    old_part, new_part = spool / "upload-old.part", spool / "upload-new.part"
    for p in (old_part, new_part):
        p.write_bytes(b"half an upload")
    _age(old_part, 2)
    work = data / "work"
    work.mkdir(parents=True, exist_ok=True)
    (work / "tmpabc.jpg").write_bytes(b"copy")
    _age(work / "tmpabc.jpg", 2)

    event_id = uuid.UUID(event["id"])
    ghost = keys.original_key(event_id, uuid.uuid4(), "jpg")  # an object whose row never committed
    ctx.storage.put_stream(ghost, io.BytesIO(b"orphan"), "image/jpeg")

    # "Now" two hours ahead: the orphan and the old files are past the grace period, the new part is
    # within it when the clock is real (checked below with the real time).
    removed = leftovers.sweep(
        ctx.storage,
        lambda ids: _existing(app, ids),
        data_dir=data,
        now=utcnow() + timedelta(hours=2),
    )
    assert removed.spool_parts == 2 and removed.work_files == 1 and removed.orphan_objects == 1
    assert not ctx.storage.exists(ghost)
    live = [k for k, _ in ctx.storage.list_objects(keys.event_prefix(event_id))]
    assert any(str(stored["id"]) in k for k in live) and len(live) == 3  # original, preview, thumbnail
    r = client.get(f"/api/photos/{stored['id']}/original", follow_redirects=False)
    assert r.status_code in (200, 302, 307), r.text


def test_the_hourly_job_keeps_what_is_recent(client: TestClient, app: Any) -> None:
    ctx = app.state.ctx
    spool = ctx.site.data_dir / "spool" / "uploads"
    spool.mkdir(parents=True, exist_ok=True)
    (spool / "upload-now.part").write_bytes(b"arriving")
    recent = keys.original_key(uuid.uuid4(), uuid.uuid4(), "jpg")
    ctx.storage.put_stream(recent, io.BytesIO(b"being stored"), "image/jpeg")
    sweep_leftovers(ctx)
    assert (spool / "upload-now.part").exists()
    assert ctx.storage.exists(recent)


def _existing(app: Any, ids: Any) -> set[uuid.UUID]:
    from eventlens.db import session_scope
    from eventlens.photos.repository import PhotoRepository

    with session_scope(app.state.ctx.read_sessions) as db:
        return PhotoRepository(db).existing_ids(list(ids))
