"""Retention: the hourly ``events.retention`` job deletes an event once its ``expires_at`` has passed,
with everything in it, as ``DELETE /api/events/{id}`` does; the dashboard warns a week before."""

from __future__ import annotations

import logging
import re
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from eventlens.db import utcnow
from eventlens.models import Face, FtpCredential, Photo
from eventlens.photos import keys
from tests.factories import create_event, run_jobs, signup, upload

from ..web.test_account_pages import parse


def _metric(text: str, name: str) -> float:
    m = re.search(rf"^{re.escape(name)} ([0-9.e+]+)$", text, re.MULTILINE)
    return float(m.group(1)) if m else 0.0


def _ago(days: float) -> str:
    return (utcnow() - timedelta(days=days)).isoformat()


def _rows(app: Any, event_id: str) -> dict[str, int]:
    eid = uuid.UUID(event_id)
    with app.state.ctx.read_sessions() as db:
        return {
            model.__name__: int(db.scalar(select(func.count()).where(model.event_id == eid)) or 0)
            for model in (Photo, Face, FtpCredential)
        }


def test_the_hourly_job_purges_expired_events_and_keeps_the_others(
    client: TestClient, app: Any, dataset: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ctx = app.state.ctx
    signup(client)
    # Ended 3 days ago, kept 1 day: expired two days ago.
    expired = create_event(client, name="Old party", starts_at=_ago(4), ends_at=_ago(3), retention_days=1)
    # Ended 3 days ago, kept 30 days; and one kept until its owner deletes it.
    kept = create_event(client, name="Recent party", starts_at=_ago(4), ends_at=_ago(3), retention_days=30)
    forever = create_event(client, name="Keep forever", starts_at=_ago(4000))
    photo = (dataset / "identities/Angelina_Jolie/1.jpg").read_bytes()
    for event in (expired, kept, forever):
        assert upload(client, event["id"], ("a.jpg", photo)).status_code == 201
        r = client.post(f"/api/events/{event['id']}/ftp-credentials", json={"label": "camera"})
        assert r.status_code == 201, r.text
    run_jobs(app)
    assert _rows(app, expired["id"]) == {"Photo": 1, "Face": 1, "FtpCredential": 1}

    # A guest search loads the expired event's face index into this process.
    assert client.post(f"/api/events/{expired['id']}/publish").status_code == 200
    selfie = {"selfie": ("me.jpg", (dataset / "identities/Angelina_Jolie/6.jpg").read_bytes())}
    found = client.post(f"/api/public/events/{expired['slug']}/search", files=selfie)
    assert found.status_code == 200 and found.json()["matches"], found.text
    assert ctx.face_search.cache.sizes()["events"] == 1
    before = client.get("/metrics").text

    with caplog.at_level(logging.INFO, logger="eventlens.events"):
        ctx.queue.enqueue("events.retention")  # the job as the scheduler sends it
        assert run_jobs(app) == 1

    assert client.get(f"/api/events/{expired['id']}").status_code == 404
    assert _rows(app, expired["id"]) == {"Photo": 0, "Face": 0, "FtpCredential": 0}
    assert list(ctx.storage.list_objects(keys.event_prefix(uuid.UUID(expired["id"])))) == []
    assert ctx.face_search.cache.sizes()["events"] == 0
    assert client.get(f"/e/{expired['slug']}").status_code == 404
    assert f"event.expired id={expired['id']} photos=1" in caplog.text
    after = client.get("/metrics").text
    assert (
        _metric(after, "eventlens_events_expired_total") - _metric(before, "eventlens_events_expired_total")
        == 1
    )
    assert (
        _metric(after, "eventlens_expired_photos_total") - _metric(before, "eventlens_expired_photos_total")
        == 1
    )

    for event in (kept, forever):
        assert client.get(f"/api/events/{event['id']}").status_code == 200
        assert _rows(app, event["id"]) == {"Photo": 1, "Face": 1, "FtpCredential": 1}
        assert len(list(ctx.storage.list_objects(keys.event_prefix(uuid.UUID(event["id"]))))) == 3

    # Nothing more to do the next hour.
    ctx.queue.enqueue("events.retention")
    run_jobs(app)
    assert _metric(client.get("/metrics").text, "eventlens_events_expired_total") == _metric(
        after, "eventlens_events_expired_total"
    )


def test_a_longer_retention_saves_an_event_before_the_job_runs(client: TestClient, app: Any) -> None:
    signup(client)
    event = create_event(client, starts_at=_ago(10), ends_at=_ago(10), retention_days=2)
    assert event["expires_at"] < utcnow().isoformat()
    r = client.patch(f"/api/events/{event['id']}", json={"retention_days": 365})
    assert r.status_code == 200 and r.json()["expires_at"] > utcnow().isoformat()
    app.state.ctx.queue.enqueue("events.retention")
    run_jobs(app)
    assert client.get(f"/api/events/{event['id']}").status_code == 200


def test_the_dashboard_warns_a_week_before_the_deletion(client: TestClient) -> None:
    signup(client)
    # Expires in about 3 days (ended 27 days ago, kept 30), in about 23 days, and never.
    soon = create_event(client, name="Soon gone", ends_at=_ago(27), retention_days=30)
    later = create_event(client, name="Later gone", ends_at=_ago(7), retention_days=30)
    never = create_event(client, name="Never gone")

    page = " ".join(parse(client.get(f"/events/{soon['id']}").text).text)
    date = soon["expires_at"][:10]
    assert f"This event and its photos will be deleted on {date}" in page
    assert "(retention)" in page
    for other in (later, never):
        text = " ".join(parse(client.get(f"/events/{other['id']}").text).text)
        assert "will be deleted on" not in text, other["name"]

    listing = client.get("/events").text
    cards = {
        m[1]: m[0]
        for m in re.findall(r'(<a class="card" href="/events/([0-9a-f-]+)">.*?</a>)', listing, re.S)
    }
    assert f"Deleted on {date}" in cards[soon["id"]]
    assert "Deleted on" not in cards[later["id"]] and "Deleted on" not in cards[never["id"]]
