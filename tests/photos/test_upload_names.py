"""File names through the API: any Unicode name is stored cleaned, and every answer sends it back safely.

Three ways a name arrives: raw multipart bytes as browsers and curl send them, the RFC 2231 / 5987
``filename*`` form, and httpx's encoding (the CLI's and the FTP gateway's client). Each photo is then
read back (API), served (original, preview, guest download: a header h11 accepts, whose ``filename*``
decodes to the stored name) and zipped (entries cleaned, unique, UTF-8).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from eventlens.models import Photo
from eventlens.photos.filenames import clean_name
from tests.factories import create_event, fetch, run_jobs, signup

from .names import CORPUS, check_disposition, check_zip, form_quoted, jpeg, raw_multipart


def _post_raw(client: TestClient, event_id: str, parts: list[bytes], start: int) -> Any:
    ctype, body = raw_multipart(parts, start=start)
    return client.post(f"/api/events/{event_id}/photos", content=body, headers={"Content-Type": ctype})


def _stored(client: TestClient, response: Any, expected: list[str | None]) -> dict[str, str]:
    """Photo id → stored name, after checking the answer's and the photo's name against ``expected``."""
    assert response.status_code == 201, response.text
    items = response.json()["items"]
    assert [i["error"] for i in items] == [None] * len(expected), items
    names = {}
    for item, want in zip(items, expected, strict=True):
        name = want if want is not None else f"{item['id']}.jpg"
        assert item["filename"] == name
        assert client.get(f"/api/photos/{item['id']}").json()["original_filename"] == name
        names[item["id"]] = name
    return names


@pytest.fixture
def event(client: TestClient) -> dict[str, Any]:
    signup(client)
    return create_event(client, name="Names")


def test_names_in_every_encoding_are_stored_cleaned_and_served_safely(
    client: TestClient, new_client: Any, app: Any, event: dict[str, Any]
) -> None:
    eid = event["id"]
    # 1. Raw bytes as a browser or curl sends them (the probes: Cyrillic, CJK, controls).
    raw = _post_raw(client, eid, [b'filename="%s"' % form_quoted(c.raw) for c in CORPUS], start=0)
    names = _stored(client, raw, [c.expected for c in CORPUS])

    # 2. RFC 2231 / 5987 filename* (with or without a plain fallback), and a Latin-1 client.
    star = [
        b"filename=\"fallback.jpg\"; filename*=UTF-8''%s" % quote("фото 2.jpg").encode(),
        b"filename*=utf-8'ru'%s" % quote(f"{clean_name('写真')} 2.jpg").encode(),
        b"filename*=UTF-8''%s" % quote("a\x01\x0bb/../c.jpg").encode(),
        b"filename*=iso-8859-1''caf%E9.jpg",
        b'filename="caf\xe9 latin.jpg"',  # not UTF-8: read as Latin-1
    ]
    expected_star: list[str | None] = ["фото 2.jpg", "写真 2.jpg", "c.jpg", "café.jpg", "café latin.jpg"]
    names |= _stored(client, _post_raw(client, eid, star, start=100), expected_star)

    # 3. httpx's multipart encoding (" as %22, \ as \\, control characters as %XX; it cannot send "").
    named = [c for c in CORPUS if c.raw]
    parts = [("files", (c.raw, jpeg(200 + i), "image/jpeg")) for i, c in enumerate(named)]
    via_httpx = client.post(f"/api/events/{eid}/photos", files=parts)
    names |= _stored(client, via_httpx, [c.expected for c in named])

    assert run_jobs(app) >= len(names)
    for photo_id, name in names.items():
        original = fetch(client, f"/api/photos/{photo_id}/original")
        assert original.status_code == 200 and original.content[:2] == b"\xff\xd8"
        # An original is always a file to save (the issue: originals were served inline).
        assert check_disposition(original.headers["content-disposition"], "attachment") == name
        download = fetch(client, f"/api/photos/{photo_id}/original?download=true")
        assert check_disposition(download.headers["content-disposition"], "attachment") == name
        preview = fetch(client, f"/api/photos/{photo_id}/preview")
        assert preview.status_code == 200, preview.text
        preview_name = check_disposition(preview.headers["content-disposition"], "inline")
        assert preview_name == clean_name(f"{name.rsplit('.', 1)[0]}-preview.webp")

    assert client.post(f"/api/events/{eid}/publish").status_code == 200
    guest = new_client()
    base = f"/api/public/events/{event['slug']}"
    for photo_id, name in names.items():
        r = fetch(guest, f"{base}/photos/{photo_id}/download")
        assert r.status_code == 200
        assert check_disposition(r.headers["content-disposition"], "attachment") == name
    r = guest.post(f"{base}/download", json={"photo_ids": list(names)})
    assert r.status_code == 200
    assert check_disposition(r.headers["content-disposition"], "attachment") == f"{event['slug']}-photos.zip"
    entries = check_zip(r.content)
    assert len(entries) == len(names)
    # Every distinct stored name is in the archive as it is; its repeat (raw and httpx) got " (2)".
    assert set(names.values()) <= set(entries)
    assert "фото (2).jpg" in entries and "x (2).jpg" in entries


def test_names_stored_before_the_rule_are_still_served_safely(
    client: TestClient, new_client: Any, app: Any, event: dict[str, Any]
) -> None:
    """The issue's probe: a row holding control characters and a path. Its downloads used to drop the
    connection (h11 "Illegal header value") and its ZIP entry held the controls and the '..'."""
    r = client.post(f"/api/events/{event['id']}/photos", files=[("files", ("x.jpg", jpeg(1), "image/jpeg"))])
    photo_id = r.json()["items"][0]["id"]
    run_jobs(app)
    with app.state.ctx.sessions() as db, db.begin():
        photo = db.get(Photo, uuid.UUID(photo_id))
        assert photo is not None
        photo.original_filename = "../ctl\x01\x0b\x7f\r\nname.jpg"
    download = fetch(client, f"/api/photos/{photo_id}/original?download=true")
    assert check_disposition(download.headers["content-disposition"], "attachment") == "ctlname.jpg"
    preview = fetch(client, f"/api/photos/{photo_id}/preview")
    assert check_disposition(preview.headers["content-disposition"], "inline") == "ctlname-preview.webp"
    client.post(f"/api/events/{event['id']}/publish")
    r = new_client().post(f"/api/public/events/{event['slug']}/download", json={"photo_ids": [photo_id]})
    assert check_zip(r.content) == ["ctlname.jpg"]


def test_the_event_page_form_stores_unicode_names(client: TestClient, event: dict[str, Any]) -> None:
    """The dashboard's plain form (no script) posts raw UTF-8 names as the browser writes them."""
    page = client.get(f"/events/{event['id']}").text
    token = re.search(r'action="/events/[^"]+/upload".*?name="csrf_token" value="([^"]+)"', page, re.S)
    assert token is not None
    ctype, body = raw_multipart(
        [b'filename="%s"' % form_quoted(c.raw) for c in CORPUS], start=300, fields={"csrf_token": token[1]}
    )
    r = client.post(f"/events/{event['id']}/upload", content=body, headers={"Content-Type": ctype})
    assert r.status_code == 200, r.text
    assert f"{len(CORPUS)} photos uploaded" in r.text
    stored = client.get(f"/api/events/{event['id']}/photos", params={"limit": 100}).json()["items"]
    by_sha = {p["sha256"]: p for p in stored}
    for i, case in enumerate(CORPUS):
        photo = by_sha[hashlib.sha256(jpeg(300 + i)).hexdigest()]
        assert photo["original_filename"] == case.stored_as(photo["id"]), case
