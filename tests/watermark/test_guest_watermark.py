"""The watermark on what guests see and download, cached in the object store; the downloads setting."""

from __future__ import annotations

import io
import threading
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from eventlens import metrics
from eventlens.photos import keys, leftovers
from eventlens.watermark import fonts, render
from eventlens.watermark.settings import Watermark
from tests.factories import assert_error, create_event, fetch, gradient_jpeg, run_jobs, signup, upload

MARK = {
    "enabled": True,
    "kind": "text",
    "text": "EVENTLENS",
    "position": "bottom-right",
    "size": 0.4,
    "opacity": 1,
}
# WebP macroblocks are 16 px: a block the mark touches is re-encoded differently around it too.
BLOCK = 16


@pytest.fixture
def published(client: TestClient, app: Any) -> tuple[dict[str, Any], list[str]]:
    signup(client)
    event = create_event(client, name="Mark Day")
    made = upload(client, event["id"], ("a.jpg", gradient_jpeg(seed=1)), ("b.jpg", gradient_jpeg(seed=2)))
    assert made.status_code in (200, 201, 207), made.text
    ids = [item["id"] for item in made.json()["items"]]
    run_jobs(app)
    assert client.post(f"/api/events/{event['id']}/publish").status_code == 200
    return event, ids


def _image(response: Any) -> np.ndarray:
    assert response.status_code == 200, response.text
    with Image.open(io.BytesIO(response.content)) as im:
        return np.asarray(im.convert("RGB")).astype(np.int16)


def _url(event: dict[str, Any], photo: str, variant: str) -> str:
    return f"/api/public/events/{event['slug']}/photos/{photo}/{variant}"


def _renders(size: str) -> float:
    return metrics.WATERMARK_RENDERS.labels(size)._value.get()


def _stored(app: Any, event: dict[str, Any]) -> dict[str, Any]:
    return dict(app.state.ctx.storage.list_objects(f"events/{event['id']}/watermarked/"))


def _inside(shape: tuple[int, ...], boxes: list[tuple[int, int, int, int]], grow: int) -> np.ndarray:
    mask = np.zeros(shape[:2], dtype=bool)
    for left, top, right, bottom in boxes:
        mask[max(0, top - grow) : max(0, bottom + grow), max(0, left - grow) : max(0, right + grow)] = True
    return mask


def _assert_marked_only_there(clean: np.ndarray, marked: np.ndarray, mark: dict[str, Any]) -> None:
    assert clean.shape == marked.shape
    spec = Watermark.model_validate(mark)
    size = (clean.shape[1], clean.shape[0])
    boxes = render.mark_box(spec, size, font=fonts.font_for(spec.text), logo=None)
    diff = np.abs(clean - marked).max(axis=2)
    inside = _inside(clean.shape, boxes, 0)
    outside = ~_inside(clean.shape, boxes, BLOCK)
    assert diff[inside].mean() > 30, "the mark is not where it should be"
    # Elsewhere only the noise of encoding the preview once more.
    assert diff[outside].mean() < 1.5, diff[outside].mean()
    assert np.percentile(diff[outside], 99.9) < 16


def test_guest_previews_carry_the_mark_where_it_is_and_are_drawn_once(
    client: TestClient, app: Any, new_client: Any, published: tuple[dict[str, Any], list[str]]
) -> None:
    event, (photo, _other) = published
    guest = new_client()
    clean = _image(fetch(guest, _url(event, photo, "preview")))
    own_before = fetch(client, f"/api/photos/{photo}/preview").content

    r = client.patch(f"/api/events/{event['id']}", json={"watermark": MARK})
    assert r.status_code == 200, r.text
    assert r.json()["watermark"] == MARK | {"opacity": 1.0} and r.json()["downloads"] == "original"

    before = _renders("small")
    marked = _image(fetch(guest, _url(event, photo, "preview")))
    _assert_marked_only_there(clean, marked, MARK)
    assert _renders("small") == before + 1
    stored = _stored(app, event)
    assert sorted(k.rsplit(".", 2)[-2] + "." + k.rsplit(".", 1)[-1] for k in stored) == [
        "preview.webp",
        "thumb.webp",
    ]
    assert all(f"/watermarked/{photo}/" in k for k in stored)

    # The second request (and the thumbnail, drawn with it) come from the store: nothing drawn again.
    again = fetch(guest, _url(event, photo, "preview"))
    thumb = _image(fetch(guest, _url(event, photo, "thumbnail")))
    assert _renders("small") == before + 1
    assert _stored(app, event) == stored  # same keys, same modification times
    assert np.array_equal(_image(again), marked)
    assert max(thumb.shape[:2]) == 400 and thumb.shape[0] * 4 == thumb.shape[1] * 3

    # The photographer's own views stay clean.
    assert fetch(client, f"/api/photos/{photo}/preview").content == own_before


def test_a_settings_change_draws_a_new_rendition_and_the_old_one_goes(
    client: TestClient, app: Any, new_client: Any, published: tuple[dict[str, Any], list[str]]
) -> None:
    event, (photo, _other) = published
    guest = new_client()
    client.patch(f"/api/events/{event['id']}", json={"watermark": MARK})
    first = _image(fetch(guest, _url(event, photo, "preview")))
    old_keys = set(_stored(app, event))

    before = _renders("small")
    r = client.patch(f"/api/events/{event['id']}", json={"watermark": {"position": "top-left"}})
    assert r.json()["watermark"]["position"] == "top-left" and r.json()["watermark"]["text"] == "EVENTLENS"
    moved = _image(fetch(guest, _url(event, photo, "preview")))
    assert _renders("small") == before + 1
    assert not np.array_equal(first, moved)
    top_left = moved[: moved.shape[0] // 4, : moved.shape[1] // 4]
    assert np.abs(top_left - first[: moved.shape[0] // 4, : moved.shape[1] // 4]).mean() > 5
    new_keys = set(_stored(app, event)) - old_keys
    assert len(new_keys) == 2
    run_jobs(app)  # the settings change queued the clean-up of what the old look drew
    assert set(_stored(app, event)) == new_keys

    # Off again: clean previews, and the renditions go.
    client.patch(f"/api/events/{event['id']}", json={"watermark": None})
    assert client.get(f"/api/events/{event['id']}").json()["watermark"]["enabled"] is False
    run_jobs(app)
    assert _stored(app, event) == {}
    assert (
        fetch(guest, _url(event, photo, "preview")).content
        == fetch(client, f"/api/photos/{photo}/preview").content
    )


def test_downloads_off_is_refused_for_one_photo_and_the_zip(
    client: TestClient, new_client: Any, published: tuple[dict[str, Any], list[str]]
) -> None:
    event, ids = published
    r = client.patch(f"/api/events/{event['id']}", json={"downloads": "off"})
    assert r.status_code == 200 and r.json()["downloads"] == "off"
    guest = new_client()
    err = assert_error(guest.get(_url(event, ids[0], "download")), 403, "downloads_off")
    assert "turned off downloads" in err["message"]
    zip_url = f"/api/public/events/{event['slug']}/download"
    assert_error(guest.post(zip_url, json={"photo_ids": ids}), 403, "downloads_off")
    assert_error(guest.post(zip_url, data={"photo_ids": ids}), 403, "downloads_off")
    # Previews still show; the guest page offers no download buttons.
    assert fetch(guest, _url(event, ids[0], "preview")).status_code == 200
    assert guest.get(f"/api/public/events/{event['slug']}").json()["downloads"] == "off"
    page = guest.get(f"/e/{event['slug']}").text
    assert 'data-downloads="off"' in page and 'id="zip-form"' not in page


def test_watermarked_downloads_are_full_size_jpegs_with_the_mark(
    client: TestClient, app: Any, new_client: Any, published: tuple[dict[str, Any], list[str]]
) -> None:
    event, ids = published
    guest = new_client()
    original = _image(fetch(guest, _url(event, ids[0], "download")))  # "original" by default
    r = client.patch(f"/api/events/{event['id']}", json={"watermark": MARK, "downloads": "watermarked"})
    assert r.status_code == 200, r.text

    before = _renders("full")
    got = fetch(guest, _url(event, ids[0], "download"))
    assert got.headers["content-type"] == "image/jpeg"
    assert "attachment" in got.headers["content-disposition"] and ".jpg" in got.headers["content-disposition"]
    marked = _image(got)
    assert marked.shape == original.shape == (600, 800, 3)
    spec = Watermark.model_validate(MARK)
    boxes = render.mark_box(spec, (800, 600), font=fonts.font_for(spec.text), logo=None)
    diff = np.abs(original - marked).max(axis=2)
    assert diff[_inside(diff.shape, boxes, 0)].mean() > 30
    assert diff[~_inside(diff.shape, boxes, 8)].mean() < 2  # JPEG noise only
    assert _renders("full") == before + 1
    fetch(guest, _url(event, ids[0], "download"))
    assert _renders("full") == before + 1  # served from the store the second time

    zipped = guest.post(f"/api/public/events/{event['slug']}/download", json={"photo_ids": ids})
    assert zipped.status_code == 200
    with zipfile.ZipFile(io.BytesIO(zipped.content)) as zf:
        assert sorted(zf.namelist()) == ["a.jpg", "b.jpg"]
        first = np.asarray(Image.open(io.BytesIO(zf.read("a.jpg"))).convert("RGB")).astype(np.int16)
    assert np.array_equal(first, marked)
    assert _renders("full") == before + 2  # b.jpg was drawn for the ZIP, a.jpg came from the store


BAD_SETTINGS = [
    {"watermark": {"opacity": 2}},
    {"watermark": {"opacity": 0}},
    {"watermark": {"size": 0}},
    {"watermark": {"size": 1.5}},
    {"watermark": {"position": "middle"}},
    {"watermark": {"kind": "svg"}},
    {"watermark": {"text": "x" * 81}},
    {"watermark": {"text": "two\nlines"}},
    {"watermark": {"enabled": None}},
    {"watermark": {"colour": "red"}},
    {"watermark": "on"},
    {"downloads": "maybe"},
    {"downloads": None},
]


@pytest.mark.parametrize("body", BAD_SETTINGS)
def test_bad_settings_are_refused(client: TestClient, body: dict[str, Any]) -> None:
    signup(client)
    event = create_event(client)
    assert_error(client.patch(f"/api/events/{event['id']}", json=body), 422, "validation_error")
    read = client.get(f"/api/events/{event['id']}").json()
    assert read["watermark"]["enabled"] is False and read["downloads"] == "original"


def test_settings_that_cannot_be_honoured_are_refused_with_the_field(client: TestClient) -> None:
    signup(client)
    event = create_event(client)
    url = f"/api/events/{event['id']}"
    cases = [
        ({"watermark": {"enabled": True, "text": "  "}}, "watermark.text"),
        ({"watermark": {"enabled": True, "kind": "logo"}}, "watermark.kind"),
        ({"downloads": "watermarked"}, "downloads"),
    ]
    for body, field in cases:
        err = assert_error(client.patch(url, json=body), 422, "validation_error")
        assert err["details"][0]["field"] == field, err
    assert "logo" in assert_error(client.patch(url, json=cases[1][0]), 422)["message"]
    read = client.get(url).json()
    assert read["watermark"]["enabled"] is False and read["downloads"] == "original"


def test_thai_text_is_drawn_when_a_font_has_it_and_refused_clearly_otherwise(
    client: TestClient, new_client: Any, published: tuple[dict[str, Any], list[str]]
) -> None:
    event, (photo, _other) = published
    thai = "งานแต่งงาน"
    r = client.patch(f"/api/events/{event['id']}", json={"watermark": MARK | {"text": thai}})
    if fonts.font_for(thai) is None:
        err = assert_error(r, 422, "validation_error")
        assert "ง" in err["message"] and "font" in err["message"]
        return
    assert r.status_code == 200, r.text
    guest = new_client()
    clean = _image(fetch(client, f"/api/photos/{photo}/preview"))
    _assert_marked_only_there(
        clean, _image(fetch(guest, _url(event, photo, "preview"))), MARK | {"text": thai}
    )


def test_a_logo_mark_uses_the_branding_logo(
    client: TestClient, app: Any, new_client: Any, published: tuple[dict[str, Any], list[str]]
) -> None:
    event, (photo, logo) = published
    url = f"/api/events/{event['id']}"
    assert client.patch(url, json={"branding": {"logo_photo_id": logo}}).status_code == 200
    r = client.patch(url, json={"watermark": MARK | {"kind": "logo", "position": "center"}})
    assert r.status_code == 200, r.text
    guest = new_client()
    clean = _image(fetch(client, f"/api/photos/{photo}/preview"))
    marked = _image(fetch(guest, _url(event, photo, "preview")))
    h, w = clean.shape[:2]
    middle = (slice(h * 2 // 5, h * 3 // 5), slice(w * 2 // 5, w * 3 // 5))
    assert np.abs(clean[middle] - marked[middle]).mean() > 10
    corner = (slice(0, h // 8), slice(0, w // 8))
    assert np.abs(clean[corner] - marked[corner]).mean() < 1.5
    # The logo cannot go while the mark uses it.
    err = assert_error(client.patch(url, json={"branding": None}), 422, "validation_error")
    assert err["details"][0]["field"] == "watermark.kind"


def test_renditions_go_with_the_photo_and_the_event(
    client: TestClient, app: Any, new_client: Any, published: tuple[dict[str, Any], list[str]]
) -> None:
    event, (photo, other) = published
    client.patch(f"/api/events/{event['id']}", json={"watermark": MARK})
    guest = new_client()
    for pid in (photo, other):
        assert fetch(guest, _url(event, pid, "preview")).status_code == 200
    assert len(_stored(app, event)) == 4
    assert client.delete(f"/api/photos/{photo}").status_code in (200, 204)
    assert all(f"/{other}/" in k for k in _stored(app, event)) and len(_stored(app, event)) == 2
    assert client.delete(f"/api/events/{event['id']}").status_code in (200, 204)
    assert _stored(app, event) == {}


def test_text_no_font_can_draw_is_refused_naming_the_characters(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A server with no system fonts: only Pillow's bundled one, which has plain ASCII letters only.
    monkeypatch.setattr(fonts, "available", lambda: (fonts.PILLOW_DEFAULT,))
    signup(client)
    event = create_event(client)
    url = f"/api/events/{event['id']}"
    assert client.patch(url, json={"watermark": MARK | {"text": "(c) Pat 2026"}}).status_code == 200
    for text, named in (("Café", "é"), ("งาน", "ง")):
        err = assert_error(client.patch(url, json={"watermark": {"text": text}}), 422, "validation_error")
        assert named in err["message"] and err["details"][0]["field"] == "watermark.text"
    assert client.get(url).json()["watermark"]["text"] == "(c) Pat 2026"


def test_first_requests_at_once_draw_once(
    client: TestClient, app: Any, new_client: Any, published: tuple[dict[str, Any], list[str]]
) -> None:
    event, (photo, _other) = published
    client.patch(f"/api/events/{event['id']}", json={"watermark": MARK, "downloads": "watermarked"})
    guests = [new_client() for _ in range(4)]
    barrier = threading.Barrier(len(guests))
    before = (_renders("small"), _renders("full"))

    def ask(guest: TestClient, variant: str) -> bytes:
        barrier.wait()
        got = fetch(guest, _url(event, photo, variant))
        assert got.status_code == 200, got.text
        return bytes(got.content)

    for variant in ("preview", "download"):
        with ThreadPoolExecutor(len(guests)) as pool:
            bodies = list(pool.map(ask, guests, [variant] * len(guests)))
        assert len(set(bodies)) == 1  # every guest got the same, whole rendition
        barrier.reset()
    assert (_renders("small"), _renders("full")) == (before[0] + 1, before[1] + 1)


def test_the_leftovers_sweep_knows_whose_rendition_it_is() -> None:
    photo = uuid.uuid4()
    key = keys.watermarked_key(uuid.uuid4(), photo, "0123456789abcdef", "preview.webp")
    assert leftovers._photo_of(key) == photo
    assert leftovers._photo_of(f"events/{uuid.uuid4()}/watermarked/not-a-photo/x.webp") is None
