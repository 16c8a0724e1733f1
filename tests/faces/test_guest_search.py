"""Selfie search with real photos: the right person is found, others are not, and the selfie is not kept."""

from __future__ import annotations

import io
import os
import tempfile
import time
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select

from eventlens.app import create_app
from eventlens.config import Settings
from eventlens.db import Base
from eventlens.models import Face, GuestSearch
from tests.factories import assert_error, create_event, fetch, run_jobs, signup, upload

JOLIE = [f"identities/Angelina_Jolie/{n}.jpg" for n in (1, 2, 3, 4, 5)]
JOLIE_SELFIE = "identities/Angelina_Jolie/6.jpg"
OTHERS = ["identities/Barack_Obama/1.jpg", "identities/George_Clooney/1.jpg", "identities/Joe_Biden/1.jpg"]
NO_FACE = "nofaces/skimage_brick.png"
GROUP = "groups/fr_obama_and_biden.jpg"


def search(client: TestClient, slug: str, selfie: bytes, **headers: str) -> Any:
    return client.post(
        f"/api/public/events/{slug}/search", files={"selfie": ("me.jpg", selfie)}, headers=headers
    )


@pytest.fixture
def gallery(client: TestClient, app: Any, dataset: Path) -> dict[str, Any]:
    """A published event holding five photos of one person, three of others, a group and a no-face photo."""
    signup(client)
    event = create_event(client, name="Premiere")
    names = [*JOLIE, *OTHERS, GROUP, NO_FACE]
    r = upload(client, event["id"], *[(n.replace("/", "_"), (dataset / n).read_bytes()) for n in names])
    assert r.json()["stored"] == len(names), r.text
    ids = dict(zip(names, [i["id"] for i in r.json()["items"]], strict=True))
    run_jobs(app)
    assert client.post(f"/api/events/{event['id']}/publish").status_code == 200

    def photos() -> list[dict[str, Any]]:
        return list(client.get(f"/api/events/{event['id']}/photos").json()["items"])

    return {"event": event, "ids": ids, "photos": photos}


def test_the_same_person_is_found_and_others_are_not(
    client: TestClient, new_client: Any, gallery: dict[str, Any], dataset: Path
) -> None:
    guest = new_client()
    r = search(guest, gallery["event"]["slug"], (dataset / JOLIE_SELFIE).read_bytes())
    assert r.status_code == 200, r.text
    matches = r.json()["matches"]
    found = {m["photo_id"] for m in matches}
    ids = gallery["ids"]
    assert found >= {ids[n] for n in JOLIE[:4]}, "at least four of her five photos come back"
    assert not found & {ids[n] for n in [*OTHERS, GROUP, NO_FACE]}, "nobody else's photo"
    sims = [m["similarity"] for m in matches]
    assert sims == sorted(sims, reverse=True) and all(0 < s <= 1 for s in sims)
    box = matches[0]["face_box"]
    assert box["width"] > 20 and box["height"] > 20
    # the URLs in the answer work for the guest without an account
    assert fetch(guest, matches[0]["thumbnail_url"]).status_code == 200


def test_indexing_counts_faces_in_groups_and_none_in_no_face_photos(
    client: TestClient, gallery: dict[str, Any]
) -> None:
    ids = gallery["ids"]
    group = client.get(f"/api/photos/{ids[GROUP]}").json()
    assert group["status"] == "indexed" and group["face_count"] >= 2
    faces = client.get(f"/api/photos/{ids[GROUP]}/faces").json()["items"]
    assert len(faces) == group["face_count"]
    assert all(f["score"] >= 0.7 and f["engine_id"] == "yunet-sface" for f in faces)
    assert all(0 <= f["x"] < group["width"] and 0 <= f["y"] < group["height"] for f in faces)
    empty = client.get(f"/api/photos/{ids[NO_FACE]}").json()
    assert (empty["status"], empty["face_count"]) == ("indexed", 0)
    assert client.get(f"/api/photos/{ids[NO_FACE]}/faces").json()["items"] == []


def test_a_rotated_photo_still_finds_its_face(
    client: TestClient, app: Any, new_client: Any, dataset: Path
) -> None:
    signup(client)
    event = create_event(client)
    with Image.open(dataset / JOLIE[0]) as im:
        upright = im.convert("RGB")
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # what a camera held sideways writes
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    buf = io.BytesIO()
    stored.save(buf, "JPEG", quality=92, exif=exif.tobytes())
    photo_id = upload(client, event["id"], ("sideways.jpg", buf.getvalue())).json()["items"][0]["id"]
    run_jobs(app)
    photo = client.get(f"/api/photos/{photo_id}").json()
    assert (photo["width"], photo["height"]) == upright.size and photo["face_count"] >= 1
    face = client.get(f"/api/photos/{photo_id}/faces").json()["items"][0]
    # the box is in upright pixels: the face sits in the upper half of the portrait
    assert face["y"] + face["height"] / 2 < upright.size[1] * 0.7
    client.post(f"/api/events/{event['id']}/publish")
    r = search(new_client(), event["slug"], (dataset / JOLIE_SELFIE).read_bytes())
    assert [m["photo_id"] for m in r.json()["matches"]] == [photo_id]


def test_a_selfie_without_a_face_is_a_clear_422(
    new_client: Any, gallery: dict[str, Any], dataset: Path
) -> None:
    r = search(new_client(), gallery["event"]["slug"], (dataset / NO_FACE).read_bytes())
    assert_error(r, 422, "no_face_found")
    r = search(new_client(), gallery["event"]["slug"], b"this is not an image")
    assert_error(r, 422, "invalid_image")


def test_unpublished_and_unknown_events_are_404(
    client: TestClient, new_client: Any, gallery: dict[str, Any], dataset: Path
) -> None:
    slug = gallery["event"]["slug"]
    client.post(f"/api/events/{gallery['event']['id']}/unpublish")
    guest = new_client()
    assert_error(search(guest, slug, (dataset / JOLIE_SELFIE).read_bytes()), 404)
    assert_error(guest.get(f"/api/public/events/{slug}"), 404)
    assert_error(guest.get("/api/public/events/no-such-event"), 404)


def test_access_code_is_enforced(
    client: TestClient, new_client: Any, gallery: dict[str, Any], dataset: Path
) -> None:
    event = gallery["event"]
    client.patch(f"/api/events/{event['id']}", json={"access_code": "sesame-42"})
    guest = new_client()
    public = guest.get(f"/api/public/events/{event['slug']}").json()
    assert public["access_code_required"] is True and public["name"] == "Premiere"
    assert public["photographer"] == "Pat Photographer"
    selfie = (dataset / JOLIE_SELFIE).read_bytes()
    assert_error(search(guest, event["slug"], selfie), 403, "access_code_required")
    assert_error(
        search(guest, event["slug"], selfie, **{"X-Access-Code": "wrong"}), 403, "access_code_invalid"
    )
    r = search(guest, event["slug"], selfie, **{"X-Access-Code": "sesame-42"})
    assert r.status_code == 200 and r.json()["matches"]
    photo_id = r.json()["matches"][0]["photo_id"]
    # image URLs carry the guest pass; without it (or the code) they are refused
    assert fetch(guest, r.json()["matches"][0]["download_url"]).status_code == 200
    assert_error(guest.get(f"/api/public/events/{event['slug']}/photos/{photo_id}/download"), 403)
    forged = f"/api/public/events/{event['slug']}/photos/{photo_id}/preview?t=9999999999.deadbeef"
    assert_error(guest.get(forged), 403)


def test_searches_are_rate_limited(settings: Settings, dataset: Path) -> None:
    app = create_app(settings.model_copy(update={"search_rate_limit": "2/minute"}))
    with TestClient(app, base_url="https://testserver") as c:
        signup(c)
        event = create_event(c)
        c.post(f"/api/events/{event['id']}/publish")
        selfie = (dataset / JOLIE_SELFIE).read_bytes()
        assert search(c, event["slug"], selfie).status_code == 200
        assert search(c, event["slug"], selfie).status_code == 200
        r = search(c, event["slug"], selfie)
        assert_error(r, 429, "rate_limited")
        assert int(r.headers["Retry-After"]) >= 1


def test_strangers_without_the_code_do_not_use_up_the_events_search_budget(
    settings: Settings, dataset: Path
) -> None:
    app = create_app(settings.model_copy(update={"search_rate_limit_event": "2/minute"}))
    with TestClient(app, base_url="https://testserver") as c:
        signup(c)
        event = create_event(c, access_code="sesame-42")
        c.post(f"/api/events/{event['id']}/publish")
        selfie = (dataset / JOLIE_SELFIE).read_bytes()
        for _ in range(3):
            assert_error(search(c, event["slug"], selfie), 403, "access_code_required")
        code = {"X-Access-Code": "sesame-42"}
        assert search(c, event["slug"], selfie, **code).status_code == 200
        assert search(c, event["slug"], selfie, **code).status_code == 200
        assert_error(search(c, event["slug"], selfie, **code), 429, "rate_limited")


def _files_containing(roots: list[Path], marker: bytes, since: float) -> list[Path]:
    hits = []
    for root in roots:
        for dirpath, _dirs, files in os.walk(root):
            for name in files:
                path = Path(dirpath) / name
                try:
                    if path.stat().st_mtime >= since and marker in path.read_bytes():
                        hits.append(path)
                except OSError:
                    continue
    return hits


def test_the_selfie_is_never_written_anywhere(
    new_client: Any, app: Any, gallery: dict[str, Any], dataset: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    marker = f"SELFIE-MARKER-{uuid.uuid4().hex}".encode()
    with Image.open(dataset / JOLIE_SELFIE) as im:
        buf = io.BytesIO()
        # big enough that a framework would spool it to a temporary file (over 1 MB)
        im.convert("RGB").resize((2400, 2400)).save(buf, "JPEG", quality=97, comment=marker)
    selfie = buf.getvalue()
    assert len(selfie) > 1024 * 1024 and marker in selfie
    since = time.time() - 1
    r = search(new_client(), gallery["event"]["slug"], selfie)
    assert r.status_code == 200 and r.json()["matches"]
    roots = [Path(app.state.ctx.site.data_dir), Path(tempfile.gettempdir())]
    assert _files_containing(roots, marker, since) == []
    assert marker.decode() not in caplog.text
    with app.state.ctx.sessions() as db:
        assert db.scalar(select(func.count()).select_from(GuestSearch)) == 1
        row = db.scalar(select(GuestSearch))
        assert row.result_count == len(r.json()["matches"])
        # no row anywhere holds the selfie, and no face was added for it (only the photos' own)
        for table in Base.metadata.sorted_tables:
            for values in db.execute(table.select()):
                for value in values:
                    assert not (isinstance(value, bytes | str) and marker.decode() in str(value))
        faces = db.scalar(select(func.count()).select_from(Face))
    assert faces == sum(p["face_count"] for p in gallery["photos"]())


def test_guests_download_one_original_or_a_zip_of_them(
    new_client: Any, app: Any, gallery: dict[str, Any], dataset: Path
) -> None:
    guest = new_client()
    slug = gallery["event"]["slug"]
    matches = search(guest, slug, (dataset / JOLIE_SELFIE).read_bytes()).json()["matches"]
    ids = [m["photo_id"] for m in matches]
    one = fetch(guest, matches[0]["download_url"])
    originals = {gallery["ids"][n]: (dataset / n).read_bytes() for n in JOLIE}
    assert one.content == originals[ids[0]]
    r = guest.post(f"/api/public/events/{slug}/download", json={"photo_ids": ids})
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        contents = sorted(z.read(n) for n in z.namelist())
    assert contents == sorted(originals[i] for i in ids)
    assert_error(guest.post(f"/api/public/events/{slug}/download", json={"photo_ids": []}), 422)
    assert_error(
        guest.post(f"/api/public/events/{slug}/download", json={"photo_ids": [str(uuid.uuid4())]}), 404
    )
