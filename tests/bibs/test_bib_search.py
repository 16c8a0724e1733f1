"""Bib numbers: read after indexing (events with bib_search on), found by a guest's bib search."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import func, select

from eventlens.app import create_app
from eventlens.bibs.service import READ_EVENT_JOB, READ_JOB
from eventlens.config import Settings
from eventlens.models import PhotoBib
from tests.factories import assert_error, create_event, fetch, run_jobs, signup, upload

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
JOLIE = "identities/Angelina_Jolie/1.jpg"
JOLIE_SELFIE = "identities/Angelina_Jolie/6.jpg"


def with_bib(
    base: Image.Image, number: str, *, digit_px: int = 90, at: tuple[int, int] | None = None
) -> bytes:
    """``base`` with a race bib (white card, black digits) pinned on: a JPEG."""
    im = base.convert("RGB").copy()
    font = ImageFont.truetype(FONT, int(digit_px / 0.73))  # DejaVu's digits are ~0.73 of the size
    text = ImageDraw.Draw(im).textbbox((0, 0), number, font=font)
    w, h = text[2] - text[0] + digit_px, text[3] - text[1] + digit_px
    x, y = at or ((im.width - w) // 2, int(im.height * 0.7))
    card = ImageDraw.Draw(im)
    card.rectangle((x, y, x + w, y + h), fill="white", outline=(40, 40, 40), width=3)
    card.text((x + digit_px // 2 - text[0], y + digit_px // 2 - text[1]), number, fill="black", font=font)
    out = io.BytesIO()
    im.save(out, "JPEG", quality=90)
    return out.getvalue()


def plain(color: tuple[int, int, int] = (70, 110, 160)) -> Image.Image:
    return Image.new("RGB", (1200, 800), color)


def bib_search(client: TestClient, slug: str, bib: str, **headers: str) -> Any:
    return client.get(f"/api/public/events/{slug}/search", params={"bib": bib}, headers=headers)


def bib_count(app: Any) -> int:
    with app.state.ctx.sessions() as db:
        return int(db.scalar(select(func.count(PhotoBib.id))) or 0)


@pytest.fixture
def race(client: TestClient, app: Any, dataset: Path) -> dict[str, Any]:
    """A published event reading bibs: Jolie wearing 4817, a runner (no face) wearing 4817, one
    wearing 2391, and Jolie without a bib."""
    signup(client)
    event = create_event(client, name="City Run")
    r = client.patch(f"/api/events/{event['id']}", json={"bib_search": True, "bib_digits": "2-5"})
    assert r.status_code == 200, r.text
    assert (r.json()["bib_search"], r.json()["bib_digits"]) == (True, "2-5")
    jolie = Image.open(dataset / JOLIE)
    files = {
        "jolie_bib": with_bib(jolie, "4817"),
        "runner_bib": with_bib(plain(), "4817", digit_px=40),
        "other_bib": with_bib(plain((150, 60, 60)), "2391", digit_px=60),
        "jolie_plain": (dataset / JOLIE).read_bytes(),
    }
    r = upload(client, event["id"], *[(f"{n}.jpg", data) for n, data in files.items()])
    assert r.json()["stored"] == len(files), r.text
    ids = dict(zip(files, [i["id"] for i in r.json()["items"]], strict=True))
    run_jobs(app)
    assert client.post(f"/api/events/{event['id']}/publish").status_code == 200
    return {"event": event, "ids": ids}


def test_a_bib_finds_the_photos_it_is_on_and_no_others(
    race: dict[str, Any], new_client: Any, app: Any
) -> None:
    guest = new_client()
    slug, ids = race["event"]["slug"], race["ids"]
    assert guest.get(f"/api/public/events/{slug}").json()["bib_search"] is True
    r = bib_search(guest, slug, "4817")
    assert r.status_code == 200, r.text
    matches = r.json()["matches"]
    assert {m["photo_id"] for m in matches} == {ids["jolie_bib"], ids["runner_bib"]}
    for m in matches:
        assert m["bib"]["number"] == "4817" and m["bib"]["confidence"] >= 0.85
        assert m["face_box"] is None and m["similarity"] == 0 and m["tier"] == "high"
        assert m["bib"]["box"]["width"] > m["bib"]["box"]["height"] > 0
    assert [m["photo_id"] for m in bib_search(guest, slug, "2391").json()["matches"]] == [ids["other_bib"]]
    # Numbers nobody wears, and a prefix of a real one, find nothing.
    for wrong in ("5555", "481", "48170"[:5]):
        assert bib_search(guest, slug, wrong).json()["matches"] == [], wrong
    # The image URLs of a bib hit work with the guest pass of the answer.
    assert fetch(guest, matches[0]["thumbnail_url"]).status_code == 200


def test_a_selfie_and_a_bib_rank_photos_with_both_first(
    race: dict[str, Any], new_client: Any, dataset: Path
) -> None:
    slug, ids = race["event"]["slug"], race["ids"]
    selfie = (dataset / JOLIE_SELFIE).read_bytes()
    r = new_client().post(
        f"/api/public/events/{slug}/search", params={"bib": "4817"}, files={"selfie": ("me.jpg", selfie)}
    )
    assert r.status_code == 200, r.text
    matches = r.json()["matches"]
    order = [m["photo_id"] for m in matches]
    assert order == [ids["jolie_bib"], ids["jolie_plain"], ids["runner_bib"]], order
    both, face_only, bib_only = matches
    assert both["bib"]["number"] == "4817" and both["face_box"] is not None and both["similarity"] > 0
    assert face_only["bib"] is None and face_only["face_box"] is not None
    assert bib_only["bib"]["number"] == "4817" and bib_only["face_box"] is None
    # The same bib by POST without any selfie: the bib's photos alone.
    r = new_client().post(f"/api/public/events/{slug}/search", params={"bib": "4817"})
    assert {m["photo_id"] for m in r.json()["matches"]} == {ids["jolie_bib"], ids["runner_bib"]}


def test_a_malformed_bib_is_refused(client: TestClient, new_client: Any) -> None:
    # An empty published event reading bibs: validation comes before any lookup, so no photos are needed.
    signup(client)
    event = create_event(client, name="City Run")
    assert client.patch(
        f"/api/events/{event['id']}", json={"bib_search": True, "bib_digits": "2-5"}
    ).is_success
    assert client.post(f"/api/events/{event['id']}/publish").status_code == 200
    guest = new_client()
    for bad in ["12ab", "123456", "1", "", " ", "١٢٣٤", "12-34", "9" * 40]:
        r = bib_search(guest, event["slug"], bad)
        assert r.status_code == 422, (bad, r.text)
        assert_error(r, 422)
        assert_error(guest.post(f"/api/public/events/{event['slug']}/search", params={"bib": bad}), 422)


def test_without_bib_search_nothing_is_read(client: TestClient, app: Any, new_client: Any) -> None:
    signup(client)
    event = create_event(client, name="Gala")
    assert event["bib_search"] is False and event["bib_digits"] == "2-6"
    r = upload(client, event["id"], ("runner.jpg", with_bib(plain(), "7350", digit_px=60)))
    assert r.json()["stored"] == 1
    queue = app.state.ctx.queue
    queue.huey.execute(queue.huey.dequeue())  # the processing job
    assert not queue.pending_args(READ_JOB), "no bib reading queued for an event without bib search"
    run_jobs(app)
    assert bib_count(app) == 0
    client.post(f"/api/events/{event['id']}/publish")
    assert_error(bib_search(new_client(), event["slug"], "7350"), 422, "bib_search_off")
    assert new_client().get(f"/api/public/events/{event['slug']}").json()["bib_search"] is False

    # Turning it on reads the photos already there, by a job of its own (no face re-indexing).
    r = client.patch(f"/api/events/{event['id']}", json={"bib_search": True})
    assert r.json()["bib_search"] is True
    assert queue.pending_args(READ_EVENT_JOB) == {(event["id"],)}
    assert not queue.pending_args("photos.process")
    run_jobs(app)
    assert [
        m["bib"]["number"] for m in bib_search(new_client(), event["slug"], "7350").json()["matches"]
    ] == ["7350"]


@pytest.mark.parametrize("digits", ["0", "2-", "6-2", "1-9", "abc", "2-6-8"])
def test_a_bad_bib_format_is_refused(client: TestClient, digits: str) -> None:
    signup(client)
    event = create_event(client)
    assert_error(client.patch(f"/api/events/{event['id']}", json={"bib_digits": digits}), 422)
    assert client.get(f"/api/events/{event['id']}").json()["bib_digits"] == "2-6"


def test_bib_searches_are_rate_limited_and_need_the_access_code(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"search_rate_limit": "3/minute"}))
    with TestClient(app, base_url="https://testserver") as c:
        signup(c)
        event = create_event(c, access_code="sesame-42")
        c.patch(f"/api/events/{event['id']}", json={"bib_search": True})
        c.post(f"/api/events/{event['id']}/publish")
        assert_error(bib_search(c, event["slug"], "1234"), 403, "access_code_required")
        code = {"X-Access-Code": "sesame-42"}
        assert bib_search(c, event["slug"], "1234", **code).json()["matches"] == []
        r = c.post(f"/api/public/events/{event['slug']}/search", params={"bib": "1234"}, headers=code)
        assert r.status_code == 200, r.text
        r = bib_search(c, event["slug"], "1234", **code)
        assert_error(r, 429, "rate_limited")
