"""Crowd events: small faces are found by the tiled pass, faces too small or blurred are kept out of search."""

from __future__ import annotations

import io
import itertools
import re
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from eventlens.faces.engine.base import FaceEngine, covered, merge_new, tile_grid
from eventlens.faces.engine.registry import load_engine
from eventlens.photos import imaging
from tests.faces.crowd_scene import Placed, crowd
from tests.factories import assert_error, create_event, run_jobs, signup, upload

# Eight people at 40-46 px: processing's ~1600 px copy of a 4000 px frame shrinks them to 16-18 px,
# under the detector's 20 px, so only the crowd pass can find them. (person, pasted photo, selfie, width)
SMALL = [
    ("Barack_Obama", "1.jpg", "2.jpg", 40),
    ("George_Clooney", "1.jpg", "3.jpg", 42),
    ("Jack_Dorsey", "1.jpg", "2.jpg", 44),
    ("Elon_Musk", "1.jpg", "3.jpg", 46),
    ("Katy_Perry", "6.jpg", "8.jpg", 40),
    ("Matt_Damon", "1.jpg", "4.jpg", 42),
    ("Angelina_Jolie", "3.jpg", "2.jpg", 44),
    ("Alex_Lacamoire", "2.jpg", "1.png", 46),
]
TINY = [("Jeff_Bezos", "2.jpg", 14), ("Marissa_Mayer", "1.jpg", 17)]  # found or not, never searchable
BLURRED = ("Joe_Biden", "1.jpg", "2.jpg", 64, 5.5)  # big enough, but blurred past recognition (sharpness < 6)


@pytest.fixture(scope="module")
def scene(dataset: Path) -> tuple[bytes, list[Placed]]:
    engine = load_engine()
    faces = [(f"identities/{p}/{photo}", float(w), 0.0) for p, photo, _selfie, w in SMALL]
    faces += [(f"identities/{p}/{photo}", float(w), 0.0) for p, photo, w in TINY]
    person, photo, _selfie, width, blur = BLURRED
    faces.append((f"identities/{person}/{photo}", float(width), blur))
    image, placed = crowd(engine, dataset, faces)
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=92)
    return buf.getvalue(), placed


def _faces_at(faces: list[dict[str, Any]], placed: Placed) -> list[dict[str, Any]]:
    return [f for f in faces if covered((f["x"], f["y"], f["width"], f["height"]), placed.box) > 0.5]


def _search(client: TestClient, slug: str, selfie: bytes) -> set[str]:
    r = client.post(f"/api/public/events/{slug}/search", files={"selfie": ("me.jpg", selfie)})
    assert r.status_code == 200, r.text
    return {m["photo_id"] for m in r.json()["matches"]}


def _event_with_scene(
    client: TestClient, app: Any, scene: bytes, face_detail: str
) -> tuple[dict[str, Any], str]:
    event = create_event(client, name=f"Finish line ({face_detail})", face_detail=face_detail)
    assert event["face_detail"] == face_detail
    r = upload(client, event["id"], ("crowd.jpg", scene))
    assert r.json()["stored"] == 1, r.text
    run_jobs(app)
    assert client.post(f"/api/events/{event['id']}/publish").status_code == 200
    return event, r.json()["items"][0]["id"]


def test_crowd_events_find_and_index_small_faces_standard_events_do_not(
    client: TestClient, app: Any, new_client: Any, dataset: Path, scene: tuple[bytes, list[Placed]]
) -> None:
    data, placed = scene
    small, tiny, blurred = placed[: len(SMALL)], placed[len(SMALL) : -1], placed[-1]
    signup(client)
    crowd_event, crowd_photo = _event_with_scene(client, app, data, "crowd")
    std_event, std_photo = _event_with_scene(client, app, data, "standard")

    crowd_faces = client.get(f"/api/photos/{crowd_photo}/faces").json()["items"]
    std_faces = client.get(f"/api/photos/{std_photo}/faces").json()["items"]
    found = [p for p in small if any(f["searchable"] for f in _faces_at(crowd_faces, p))]
    assert len(found) >= len(small) - 1, f"crowd pass found only {[p.person for p in found]}"
    assert not any(_faces_at(std_faces, p) for p in small), "the standard pass should miss 40-46 px faces"
    for f in crowd_faces:
        assert f["searchable"] == (f["skip_reason"] is None)
        assert f["landmarks"] is None or all(
            f["x"] - 2 <= px <= f["x"] + f["width"] + 2 and f["y"] - 2 <= py <= f["y"] + f["height"] + 2
            for px, py in f["landmarks"]
        ), "landmarks are in the original's pixels, inside their face"

    # Never searchable: the 14 and 17 px faces (if detected at all), the blurred one (found, but blurry).
    for p in tiny:
        assert all(not f["searchable"] and f["skip_reason"] == "too_small" for f in _faces_at(crowd_faces, p))
    blurry = _faces_at(crowd_faces, blurred)
    assert blurry and all(not f["searchable"] and f["skip_reason"] == "blurry" for f in blurry)
    photo = client.get(f"/api/photos/{crowd_photo}").json()
    assert photo["face_count"] == sum(f["searchable"] for f in crowd_faces) < len(crowd_faces)

    # A guest finds themselves in the crowd event only; the blurred guest is not found at all.
    guest = new_client()
    person = found[0].person
    selfie_of = {p: selfie for p, _photo, selfie, _w in SMALL}
    selfie = (dataset / f"identities/{person}/{selfie_of[person]}").read_bytes()
    assert crowd_photo in _search(guest, crowd_event["slug"], selfie)
    assert std_photo not in _search(guest, std_event["slug"], selfie)
    blurred_selfie = (dataset / f"identities/{BLURRED[0]}/{BLURRED[2]}").read_bytes()
    assert crowd_photo not in _search(guest, crowd_event["slug"], blurred_selfie)


def test_the_index_loads_only_searchable_faces(
    client: TestClient, app: Any, scene: tuple[bytes, list[Placed]]
) -> None:
    signup(client)
    event, photo_id = _event_with_scene(client, app, scene[0], "crowd")
    faces = client.get(f"/api/photos/{photo_id}/faces").json()["items"]
    searchable = sum(f["searchable"] for f in faces)
    assert 0 < searchable < len(faces)
    search = app.state.ctx.face_search
    index = search.cache.get(uuid.UUID(event["id"]), search.engine.engine_id)
    assert len(index) == searchable
    assert client.get(f"/api/events/{event['id']}").json()["counts"]["faces"] == searchable


def test_the_generic_tiled_pass_finds_what_the_yunet_one_does(
    dataset: Path, scene: tuple[bytes, list[Placed]]
) -> None:
    engine = load_engine()
    pixels = np.asarray(Image.open(io.BytesIO(scene[0])).convert("RGB"))
    small = scene[1][: len(SMALL)]

    def hits(faces: list[Any]) -> int:
        return sum(any(covered(f.box, p.box) > 0.5 for f in faces) for p in small)

    own = engine.detect_and_embed(pixels, tiles=True)
    generic = FaceEngine._detect_and_embed_tiled(engine, pixels)  # what dlib and InsightFace inherit
    assert hits(own) >= len(small) - 1 and hits(generic) >= len(small) - 1
    assert hits(engine.detect_and_embed(pixels[::3, ::3].copy())) == 0  # shrunk: too small to detect
    boxes = [f.box for f in own]
    assert all(covered(a, b) < 0.5 for i, a in enumerate(boxes) for b in boxes[i + 1 :]), "no face twice"
    assert all(f.sharpness is not None for f in own)


def test_tiles_cover_the_image_and_overlap() -> None:
    tiles = tile_grid(6000, 4000, 1600, 200)
    assert len(tiles) == 5 * 3
    assert all(x1 - x0 <= 1600 and y1 - y0 <= 1600 for x0, y0, x1, y1 in tiles)
    assert min(t[0] for t in tiles) == 0 and max(t[2] for t in tiles) == 6000
    assert min(t[1] for t in tiles) == 0 and max(t[3] for t in tiles) == 4000
    row = sorted({(t[0], t[2]) for t in tiles})
    assert all(a[1] - b[0] >= 200 for a, b in itertools.pairwise(row)), "neighbours overlap >= 200 px"
    assert sum((x1 - x0) * (y1 - y0) for x0, y0, x1, y1 in tiles) < 1.3 * 6000 * 4000, "no needless pixels"
    assert tile_grid(800, 600, 1600, 200) == [(0, 0, 800, 600)]
    # the same face from two tiles, and a partial one inside a kept face, are not new
    kept = [(100.0, 100.0, 50.0, 60.0)]
    candidates = [
        ((102.0, 101.0, 49.0, 58.0), 0.9),
        ((110.0, 100.0, 20.0, 30.0), 0.8),
        ((400.0, 0, 40, 40), 0.7),
    ]
    assert merge_new(kept, candidates) == [2]


def test_face_detail_round_trips_through_the_api_and_reprocesses(
    client: TestClient, app: Any, dataset: Path
) -> None:
    signup(client)
    event = create_event(client)
    assert event["face_detail"] == "standard"
    r = upload(client, event["id"], ("obama.jpg", (dataset / "identities/Barack_Obama/1.jpg").read_bytes()))
    photo_id = r.json()["items"][0]["id"]
    run_jobs(app)
    assert client.get(f"/api/photos/{photo_id}").json()["status"] == "indexed"

    r = client.patch(f"/api/events/{event['id']}", json={"face_detail": "crowd"})
    assert r.status_code == 200 and r.json()["face_detail"] == "crowd"
    assert client.get(f"/api/events/{event['id']}").json()["face_detail"] == "crowd"
    assert client.get(f"/api/photos/{photo_id}").json()["status"] == "uploaded", "queued again"
    assert run_jobs(app) == 1
    assert client.get(f"/api/photos/{photo_id}").json()["status"] == "indexed"

    unchanged = client.patch(f"/api/events/{event['id']}", json={"face_detail": "crowd"})
    assert unchanged.status_code == 200 and run_jobs(app) == 0, "same value: nothing to redo"
    assert_error(client.patch(f"/api/events/{event['id']}", json={"face_detail": "huge"}), 422)
    assert_error(client.patch(f"/api/events/{event['id']}", json={"face_detail": None}), 422)
    assert_error(client.post("/api/events", json={"name": "X", "face_detail": "max"}), 422)
    assert client.get(f"/api/events/{event['id']}").json()["face_detail"] == "crowd"


def test_the_dashboard_edit_form_sets_face_detail(client: TestClient) -> None:
    signup(client)
    event = create_event(client)
    page = client.get(f"/events/{event['id']}").text
    assert 'name="face_detail"' in page and "per 24 MP photo" in page
    m = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert m
    form = {"name": event["name"], "face_detail": "crowd", "csrf_token": m.group(1)}
    r = client.post(f"/events/{event['id']}/edit", data=form, follow_redirects=False)
    assert r.status_code == 303
    assert client.get(f"/api/events/{event['id']}").json()["face_detail"] == "crowd"
    assert re.search(r'<option value="crowd"\s+selected', client.get(f"/events/{event['id']}").text)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_the_full_resolution_decode_is_capped(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"big.{fmt.lower()}"
    Image.new("RGB", (2000, 1500), (200, 120, 40)).save(path, format=fmt)
    whole = imaging.load_full_resolution(path)
    assert whole.image.size == (2000, 1500) and whole.scale == 1.0
    capped = imaging.load_full_resolution(path, decode_max_pixels=1_000_000)
    assert capped.image.size == (1000, 750), "a JPEG decodes at 1/2; other formats are shrunk after"
    assert capped.original_size == (2000, 1500) and capped.scale == 2.0
    assert capped.to_original((10.0, 10.0, 20.0, 20.0)) == (20.0, 20.0, 40.0, 40.0)
