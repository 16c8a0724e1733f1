"""The event page's forms: edit details, set and clear the access code, the uploads chart."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from fastapi.testclient import TestClient

from tests.factories import create_event, signup, upload


def _csrf(client: TestClient, event_id: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', client.get(f"/events/{event_id}").text)
    assert m
    return m.group(1)


def test_edit_the_details_and_clear_a_date(client: TestClient) -> None:
    signup(client)
    event = create_event(client, name="Old name", starts_at="2026-06-01T18:00:00Z")
    csrf = _csrf(client, event["id"])
    form = {
        "name": "New name",
        "description": "At the pier",
        "starts_at": "",
        "ends_at": "2026-06-02T01:00",
        "csrf_token": csrf,
    }
    r = client.post(f"/events/{event['id']}/edit", data=form, follow_redirects=False)
    assert r.status_code == 303
    got = client.get(f"/api/events/{event['id']}").json()
    assert (got["name"], got["description"], got["starts_at"]) == ("New name", "At the pier", None)
    assert got["ends_at"].startswith("2026-06-02T01:00")
    bad = client.post(f"/events/{event['id']}/edit", data=form | {"name": " "})
    assert bad.status_code == 422 and client.get(f"/api/events/{event['id']}").json()["name"] == "New name"
    forged = client.post(f"/events/{event['id']}/edit", data=form | {"name": "X", "csrf_token": "no"})
    assert forged.status_code == 200 and client.get(f"/api/events/{event['id']}").json()["name"] == "New name"


def test_set_and_clear_the_access_code(client: TestClient) -> None:
    signup(client)
    event = create_event(client)
    csrf = _csrf(client, event["id"])
    url = f"/events/{event['id']}/access-code"
    assert client.post(url, data={"access_code": "sesame", "csrf_token": csrf}).status_code == 200
    assert client.get(f"/api/events/{event['id']}").json()["has_access_code"] is True
    assert "An access code is set" in client.get(f"/events/{event['id']}").text
    short = client.post(url, data={"access_code": "abc", "csrf_token": csrf})
    assert short.status_code == 422
    assert client.post(url, data={"clear": "1", "csrf_token": csrf}).status_code == 200
    assert client.get(f"/api/events/{event['id']}").json()["has_access_code"] is False


def test_the_uploads_chart_is_svg_with_one_bar_per_period(
    client: TestClient, dataset: Path, new_client: Any
) -> None:
    signup(client)
    event = create_event(client)
    empty = client.get(f"/events/{event['id']}/uploads.svg")
    assert empty.headers["content-type"].startswith("image/svg+xml") and "No uploads yet" in empty.text
    photos = sorted(dataset.glob("identities/*/*.jpg"))[:3]
    assert upload(client, event["id"], *[(p.name, p.read_bytes()) for p in photos]).status_code == 201
    svg = ElementTree.fromstring(client.get(f"/events/{event['id']}/uploads.svg").text)  # noqa: S314 (our own output)
    bars = svg.findall("{http://www.w3.org/2000/svg}rect")
    assert len(bars) == 1 and bars[0].findtext("{http://www.w3.org/2000/svg}title", "").endswith(": 3")
    stranger = new_client()
    signup(stranger)
    assert stranger.get(f"/events/{event['id']}/uploads.svg").status_code == 404
    assert new_client().get(f"/events/{event['id']}/uploads.svg").status_code == 401
