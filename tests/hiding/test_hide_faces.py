"""The hiding primitive with real faces: hidden faces leave the search (in every process), stay hidden
for new uploads and reprocessing, and come back with unhide."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import numpy as np
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select

from eventlens.db import session_scope
from eventlens.faces.service import FaceSearch
from eventlens.hiding import service
from eventlens.models import Event, FaceBlock
from tests.factories import fetch, run_jobs, upload
from tests.hiding.conftest import JOLIE, JOLIE_LATER, JOLIE_SELFIE, OBAMA, OBAMA_SELFIE, faces_of, search


def _hide(app: Any, gallery: dict[str, Any], client: TestClient, *, photos_too: bool) -> service.Hidden:
    face_ids = [uuid.UUID(f["id"]) for name in JOLIE for f in faces_of(client, gallery["ids"][name])]
    assert len(face_ids) >= 3
    with session_scope(app.state.ctx.sessions) as db:
        return service.hide_faces(
            db, uuid.UUID(gallery["event"]["id"]), face_ids, photos_too=photos_too, source="photographer"
        )


def test_hidden_faces_leave_the_search_and_unhide_brings_them_back(
    client: TestClient, new_client: Any, app: Any, gallery: dict[str, Any], dataset: Path
) -> None:
    guest, slug, ids = new_client(), gallery["event"]["slug"], gallery["ids"]
    selfie = (dataset / JOLIE_SELFIE).read_bytes()
    jolie = {ids[n] for n in JOLIE}
    assert search(guest, slug, selfie) >= jolie  # the index is warm in this process before the hide
    with session_scope(app.state.ctx.sessions) as db:
        before = db.get(Event, uuid.UUID(gallery["event"]["id"]))
        assert before is not None
        removals = before.face_removals

    hidden = _hide(app, gallery, client, photos_too=False)

    assert set(map(str, hidden.photo_ids)) == jolie
    with session_scope(app.state.ctx.sessions) as db:
        after = db.get(Event, uuid.UUID(gallery["event"]["id"]))
        assert after is not None and after.face_removals == removals + 1  # other processes reload
    assert not search(guest, slug, selfie) & jolie
    assert search(guest, slug, (dataset / OBAMA_SELFIE).read_bytes()) == {ids[OBAMA]}
    assert all(f["hidden"] for f in faces_of(client, ids[JOLIE[0]]))
    # Photos stay in the gallery unless asked: a guest can still open them.
    assert fetch(guest, f"/api/public/events/{slug}/photos/{ids[JOLIE[0]]}/thumbnail").status_code == 200

    with session_scope(app.state.ctx.sessions) as db:
        assert service.unhide(db, uuid.UUID(gallery["event"]["id"]), hidden.block_id) == len(hidden.face_ids)
    assert search(guest, slug, selfie) >= jolie
    with session_scope(app.state.ctx.sessions) as db:
        assert db.scalar(select(func.count(FaceBlock.id))) == 0  # the embeddings went with the unhide


def test_photos_too_takes_the_photos_out_of_the_gallery(
    client: TestClient, new_client: Any, app: Any, gallery: dict[str, Any]
) -> None:
    guest, slug, ids = new_client(), gallery["event"]["slug"], gallery["ids"]
    _hide(app, gallery, client, photos_too=True)
    for name in JOLIE:
        assert client.get(f"/api/photos/{ids[name]}").json()["hidden"] is True
        assert fetch(guest, f"/api/public/events/{slug}/photos/{ids[name]}/thumbnail").status_code == 404
    assert client.get(f"/api/photos/{ids[OBAMA]}").json()["hidden"] is False


def test_new_uploads_and_reprocessing_keep_the_person_hidden(
    client: TestClient, new_client: Any, app: Any, gallery: dict[str, Any], dataset: Path
) -> None:
    guest, slug, ids = new_client(), gallery["event"]["slug"], gallery["ids"]
    event_id = gallery["event"]["id"]
    selfie = (dataset / JOLIE_SELFIE).read_bytes()
    _hide(app, gallery, client, photos_too=True)

    r = upload(client, event_id, ("later.jpg", (dataset / JOLIE_LATER).read_bytes()))
    later = r.json()["items"][0]["id"]
    run_jobs(app)
    faces = faces_of(client, later)
    assert faces and all(f["hidden"] for f in faces), "her new photo is hidden on arrival"
    assert client.get(f"/api/photos/{later}").json()["hidden"] is True, "photos_too holds for new photos"
    assert not search(guest, slug, selfie) & {*map(ids.get, JOLIE), later}

    assert client.post(f"/api/events/{event_id}/reprocess", json={"scope": "all"}).json()["queued"] == 5
    run_jobs(app)
    for name in JOLIE:
        assert all(f["hidden"] for f in faces_of(client, ids[name])), "reprocessing re-applies the hide"
    assert not any(f["hidden"] for f in faces_of(client, ids[OBAMA]))
    assert not search(guest, slug, selfie) & {*map(ids.get, JOLIE), later}
    assert search(guest, slug, (dataset / OBAMA_SELFIE).read_bytes()) == {ids[OBAMA]}


def test_another_process_index_drops_the_hidden_faces_at_its_next_search(
    client: TestClient, app: Any, gallery: dict[str, Any], dataset: Path
) -> None:
    """Another api process's index (its own cache over the same database) sees the counters move."""
    ctx = app.state.ctx
    other = FaceSearch(ctx.sessions, ctx.face_engine)
    event_id = uuid.UUID(gallery["event"]["id"])
    selfie = ctx.face_engine.embed_largest(_pixels(dataset / JOLIE_SELFIE))
    assert selfie is not None
    jolie = {gallery["ids"][n] for n in JOLIE}
    found = {str(m.photo_id) for m in other.search(event_id, selfie.embedding).matches}
    assert found >= jolie
    _hide(app, gallery, client, photos_too=False)
    found = {str(m.photo_id) for m in other.search(event_id, selfie.embedding).matches}
    assert not found & jolie


def _pixels(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"), dtype=np.uint8)
