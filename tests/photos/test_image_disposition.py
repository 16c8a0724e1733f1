"""An original is always sent as a file to save (``attachment``), to its owner and to guests alike;
previews and thumbnails, which the app made itself, are shown in place (``inline``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.factories import create_event, fetch, run_jobs, signup, upload

from .names import check_disposition


def _kind(response: Any) -> str:
    assert response.status_code == 200, response.text
    return str(response.headers.get("content-disposition", "")).split(";", 1)[0]


def test_originals_are_attachments_and_previews_inline(
    client: TestClient, new_client: Any, app: Any, dataset: Path
) -> None:
    signup(client)
    event = create_event(client)
    photo = (dataset / "identities/Angelina_Jolie/1.jpg").read_bytes()
    photo_id = upload(client, event["id"], ("portrait.jpg", photo)).json()["items"][0]["id"]
    run_jobs(app)

    original = fetch(client, f"/api/photos/{photo_id}/original")
    assert original.content == photo
    assert check_disposition(original.headers["content-disposition"], "attachment") == "portrait.jpg"
    direct = client.get(f"/api/photos/{photo_id}/original", follow_redirects=False)
    if direct.status_code == 200:  # streamed by the app (a signed S3 URL answers with the store's headers)
        assert direct.headers["x-content-type-options"] == "nosniff"
        assert direct.headers["content-type"] == "image/jpeg"
    for variant in ("preview", "thumbnail"):
        # The app sends "inline" with the name; a signed S3 URL for a preview names no disposition.
        assert _kind(fetch(client, f"/api/photos/{photo_id}/{variant}")) in ("inline", ""), variant

    assert client.post(f"/api/events/{event['id']}/publish").status_code == 200
    guest = new_client()
    base = f"/api/public/events/{event['slug']}/photos/{photo_id}"
    download = fetch(guest, f"{base}/download")
    assert download.content == photo
    assert check_disposition(download.headers["content-disposition"], "attachment") == "portrait.jpg"
    for variant in ("preview", "thumbnail"):
        assert _kind(fetch(guest, f"{base}/{variant}")) in ("inline", ""), variant
