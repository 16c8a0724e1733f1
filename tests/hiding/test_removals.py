"""A guest removes themselves with a selfie through the API; the photographer sees and decides."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from eventlens.db import session_scope, utcnow
from eventlens.events.service import purge_expired
from eventlens.models import Event, Face, FaceBlock
from tests.factories import assert_error, create_event, fetch, run_jobs, signup, upload
from tests.hiding.conftest import JOLIE, JOLIE_LATER, JOLIE_SELFIE, NO_FACE, OBAMA, OBAMA_SELFIE, search


def remove(
    client: TestClient, slug: str, selfie: bytes | None, confirm: str | None = "true", **kw: Any
) -> Any:
    files = [("selfie", ("me.jpg", selfie, "image/jpeg"))] if selfie is not None else []
    data = {"confirm": confirm} if confirm is not None else {}
    if not files:  # still multipart: a form without the file
        files = [("other", ("x.txt", b"x", "text/plain"))]
    return client.post(f"/api/public/events/{slug}/removals", files=files, data=data, **kw)


def _blocks(app: Any) -> int:
    with session_scope(app.state.ctx.sessions) as db:
        return int(db.scalar(select(func.count(FaceBlock.id))) or 0)


def test_a_guest_removes_themselves_and_the_photographer_decides(
    client: TestClient, new_client: Any, app: Any, gallery: dict[str, Any], dataset: Path
) -> None:
    guest, slug, ids, event_id = (
        new_client(),
        gallery["event"]["slug"],
        gallery["ids"],
        gallery["event"]["id"],
    )
    selfie = (dataset / JOLIE_SELFIE).read_bytes()
    jolie = {ids[n] for n in JOLIE}
    assert search(guest, slug, selfie) >= jolie

    r = remove(guest, slug, selfie)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["faces_hidden"] == 3 and body["photos_affected"] == 3 and body["selfies_used"] == 1
    assert not search(guest, slug, selfie) & jolie, "at once: search finds nothing of her"
    assert search(guest, slug, (dataset / OBAMA_SELFIE).read_bytes()) == {ids[OBAMA]}

    listed = client.get(f"/api/events/{event_id}/removals").json()["items"]
    assert len(listed) == 1
    req = listed[0]
    assert req["id"] == body["id"] and req["photo_decision"] == "pending"
    assert req["photo_count"] == 3 and {p["id"] for p in req["photos"]} == jolie
    assert fetch(client, req["photos"][0]["thumbnail_url"]).status_code == 200
    # Photos stay in the gallery until the photographer decides.
    assert fetch(guest, f"/api/public/events/{slug}/photos/{ids[JOLIE[0]]}/thumbnail").status_code == 200

    url = f"/api/events/{event_id}/removals/{req['id']}/photos"
    r = client.post(url, json={"action": "hide"})
    assert r.status_code == 200 and r.json()["photo_decision"] == "hidden", r.text
    assert fetch(guest, f"/api/public/events/{slug}/photos/{ids[JOLIE[0]]}/thumbnail").status_code == 404
    # A later photo of her is hidden on arrival, and out of the gallery too (the decision holds).
    later = upload(client, event_id, ("later.jpg", (dataset / JOLIE_LATER).read_bytes())).json()["items"][0][
        "id"
    ]
    run_jobs(app)
    assert client.get(f"/api/photos/{later}").json()["hidden"] is True
    assert client.get(f"/api/events/{event_id}/removals").json()["items"][0]["photo_count"] == 4

    r = client.post(url, json={"action": "keep"})
    assert r.status_code == 200 and r.json()["photo_decision"] == "kept"
    assert fetch(guest, f"/api/public/events/{slug}/photos/{ids[JOLIE[0]]}/thumbnail").status_code == 200
    assert not search(guest, slug, selfie) & {*jolie, later}, "her faces stay unsearchable"

    assert_error(client.post(url, json={"action": "delete"}), 422)
    assert_error(
        client.post(f"/api/events/{event_id}/removals/{uuid.uuid4()}/photos", json={"action": "hide"}), 404
    )
    stranger = new_client()
    signup(stranger, email="other@example.org")
    assert_error(stranger.get(f"/api/events/{event_id}/removals"), 404)


def test_no_face_no_confirm_and_no_access_record_nothing(
    client: TestClient, new_client: Any, app: Any, dataset: Path
) -> None:
    signup(client)
    event = create_event(client, name="Private", access_code="letmein")
    assert client.post(f"/api/events/{event['id']}/publish").status_code == 200
    guest, slug = new_client(), event["slug"]
    selfie = (dataset / JOLIE_SELFIE).read_bytes()
    code = {"X-Access-Code": "letmein"}

    assert_error(remove(guest, slug, selfie), 403, "access_code_required")
    assert_error(remove(guest, slug, selfie, params={"t": "123.bogus"}), 403, "access_code_required")
    assert_error(remove(guest, slug, selfie, headers={"X-Access-Code": "wrong"}), 403, "access_code_invalid")
    err = assert_error(remove(guest, slug, selfie, confirm=None, headers=code), 422, "confirmation_required")
    assert err["details"][0]["field"] == "confirm"
    assert_error(remove(guest, slug, selfie, confirm="false", headers=code), 422, "confirmation_required")
    assert_error(remove(guest, slug, (dataset / NO_FACE).read_bytes(), headers=code), 422, "no_face_found")
    assert_error(remove(guest, slug, None, headers=code), 422, "validation_error")
    assert_error(remove(guest, slug, selfie, confirm="true" * 20, headers=code), 413, "field_too_large")
    assert _blocks(app) == 0

    # With the code it works, on an event without any photo of her yet: the block waits for them.
    r = remove(guest, slug, selfie, headers=code)
    assert r.status_code == 201 and r.json()["faces_hidden"] == 0, r.text
    assert _blocks(app) == 1


def test_the_blocklist_is_deleted_with_the_event_and_at_retention_end(
    client: TestClient, new_client: Any, app: Any, gallery: dict[str, Any], dataset: Path
) -> None:
    selfie = (dataset / JOLIE_SELFIE).read_bytes()
    assert remove(new_client(), gallery["event"]["slug"], selfie).status_code == 201
    assert _blocks(app) == 1
    assert client.delete(f"/api/events/{gallery['event']['id']}").status_code == 204
    assert _blocks(app) == 0

    other = create_event(client, name="Short")
    assert client.post(f"/api/events/{other['id']}/publish").status_code == 200
    upload(client, other["id"], ("j.jpg", (dataset / JOLIE[0]).read_bytes()))
    run_jobs(app)
    assert remove(new_client(), other["slug"], selfie).status_code == 201
    ctx = app.state.ctx
    with session_scope(ctx.sessions) as db:
        assert db.scalar(select(func.count(Face.id)).where(Face.hidden_by.is_not(None))) == 1
        event = db.get(Event, uuid.UUID(other["id"]))
        assert event is not None
        event.expires_at = utcnow() - timedelta(hours=1)
    assert [e for e, _ in purge_expired(ctx.sessions, ctx.storage, utcnow())] == [uuid.UUID(other["id"])]
    assert _blocks(app) == 0
