"""The dashboard's watermark form: saves through the same rules as the API, with a live sample."""

from __future__ import annotations

import io
import re
from typing import Any

import numpy as np
from fastapi.testclient import TestClient
from PIL import Image

from tests.factories import create_event, signup


def _csrf(client: TestClient, event_id: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', client.get(f"/events/{event_id}").text)
    assert m
    return m.group(1)


def _pixels(response: Any) -> np.ndarray:
    assert response.status_code == 200 and response.headers["content-type"] == "image/webp", response.text
    return np.asarray(Image.open(io.BytesIO(response.content)).convert("RGB")).astype(np.int16)


def test_the_form_saves_the_watermark_and_downloads(client: TestClient) -> None:
    signup(client)
    event = create_event(client, name="Form Day")
    page = client.get(f"/events/{event['id']}").text
    assert 'id="watermark-form"' in page and "watermark-form.js" in page
    form = {
        "enabled": "1",
        "kind": "text",
        "text": "© Form Day",
        "position": "tiled",
        "size": "30",
        "opacity": "45",
        "downloads": "watermarked",
        "csrf_token": _csrf(client, event["id"]),
    }
    r = client.post(f"/events/{event['id']}/watermark", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    got = client.get(f"/api/events/{event['id']}").json()
    assert got["watermark"] == {
        "enabled": True,
        "kind": "text",
        "text": "© Form Day",
        "position": "tiled",
        "size": 0.3,
        "opacity": 0.45,
    }
    assert got["downloads"] == "watermarked"
    # Refused like the API: watermarked downloads without a watermark; the saved settings stay.
    bad = client.post(f"/events/{event['id']}/watermark", data=form | {"enabled": ""})
    assert bad.status_code == 422
    assert client.get(f"/api/events/{event['id']}").json()["watermark"]["enabled"] is True


def test_the_live_sample_draws_the_unsaved_settings(client: TestClient, new_client: Any) -> None:
    signup(client)
    event = create_event(client)
    url = f"/events/{event['id']}/watermark-sample.webp"
    blank = _pixels(client.get(url, params={"text": ""}))
    corner = _pixels(client.get(url, params={"text": "PROOF", "position": "top-left", "size": "40"}))
    diff = np.abs(blank - corner).max(axis=2)
    h, w = diff.shape
    assert diff[: h // 3, : w // 2].mean() > 10 and diff[h // 2 :, w // 2 :].mean() < 2
    assert client.get(url, params={"opacity": "300"}).status_code == 422
    stranger = new_client()
    signup(stranger)
    assert stranger.get(url, params={"text": "x"}).status_code == 404
