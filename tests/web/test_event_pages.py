"""The events list, the create form and an event's page, driven like a browser (forms + HTML parser)."""

from __future__ import annotations

import io
import re
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image

from tests.factories import create_event, signup, upload

from .test_account_pages import form, parse


def test_create_publish_and_delete_an_event_through_the_pages(client: TestClient) -> None:
    signup(client)
    page = parse(client.get("/events").text)
    assert "No events yet. Create your first one below." in page.text
    token = form(page, "/events")["csrf_token"]
    r = client.post(
        "/events",
        data={
            "csrf_token": token,
            "name": "Garden Party",
            "starts_at": "2026-07-01T15:00",
            "access_code": "roses",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    event_url = r.headers["location"]
    event_page = parse(client.get(event_url).text)
    assert "Garden Party" in event_page.text and "Draft" in event_page.text
    link = re.search(r'id="guest-link" readonly value="([^"]+)"', client.get(event_url).text)
    assert link is not None and re.fullmatch(r"https://testserver/e/garden-party-[a-z2-9]{5}", link[1])

    publish = form(event_page, f"{event_url}/publish")
    assert client.post(f"{event_url}/publish", data=publish, follow_redirects=False).status_code == 303
    assert "Published" in parse(client.get(event_url).text).text

    listing = parse(client.get("/events").text)
    assert "Garden Party" in listing.text

    delete = form(parse(client.get(event_url).text), f"{event_url}/delete")
    # without ticking the confirmation box nothing happens
    client.post(f"{event_url}/delete", data={"csrf_token": delete["csrf_token"]})
    assert client.get(event_url).status_code == 200
    client.post(f"{event_url}/delete", data={"csrf_token": delete["csrf_token"], "confirm": "yes"})
    assert client.get(event_url).status_code == 404
    assert client.get("/api/events").json()["items"] == []


def test_create_form_shows_validation_errors(client: TestClient) -> None:
    signup(client)
    token = form(parse(client.get("/events").text), "/events")["csrf_token"]
    r = client.post(
        "/events",
        data={
            "csrf_token": token,
            "name": "Late",
            "starts_at": "2026-07-02T10:00",
            "ends_at": "2026-07-01T10:00",
        },
    )
    assert r.status_code == 422
    page = parse(r.text)
    assert any("ends_at must not be before starts_at" in line for line in page.text)
    assert form(page, "/events")["name"] == "Late"


def test_pages_need_a_session_and_hide_other_peoples_events(client: TestClient, new_client: Any) -> None:
    signup(client)
    event = create_event(client)
    anonymous = new_client()
    assert anonymous.get("/events", follow_redirects=False).headers["location"] == "/"
    assert anonymous.get(f"/events/{event['id']}", follow_redirects=False).status_code == 303
    other = new_client()
    signup(other)
    assert other.get(f"/events/{event['id']}").status_code == 404
    r = other.post(f"/events/{event['id']}/publish", data={"csrf_token": "x"}, follow_redirects=False)
    assert r.status_code == 404  # whose event it is is checked before the form's token
    assert client.get(f"/api/events/{event['id']}").json()["status"] == "draft"


def test_the_event_page_uploads_photos_and_lists_them(client: TestClient, app: Any, dataset: Any) -> None:
    from tests.factories import run_jobs

    signup(client)
    event = create_event(client, name="Form upload")
    url = f"/events/{event['id']}"
    token = form(parse(client.get(url).text), f"{url}/upload")["csrf_token"]
    files = [
        ("files", ("a.jpg", (dataset / "identities/Barack_Obama/1.jpg").read_bytes(), "image/jpeg")),
        ("files", ("b.jpg", (dataset / "identities/Barack_Obama/2.jpg").read_bytes(), "image/jpeg")),
        ("files", ("notes.jpg", b"not a photo at all", "image/jpeg")),
    ]
    r = client.post(f"{url}/upload", data={"csrf_token": token}, files=files)
    assert r.status_code == 200
    page = parse(r.text)
    assert "2 photos uploaded. They are being processed now." in page.text
    assert any(line.startswith("notes.jpg: Only JPEG, PNG, WebP and HEIC/HEIF") for line in page.text)
    run_jobs(app)
    html = client.get(url).text
    assert html.count('src="/api/photos/') == 2 and 'alt="Photo a.jpg"' in html
    # without the form's token nothing is stored
    client.post(f"{url}/upload", files=[files[0]])
    assert client.get(f"/api/events/{event['id']}").json()["counts"]["photos"]["total"] == 2


def test_the_page_shows_60_photos_and_hands_the_script_the_cursor_for_the_rest(client: TestClient) -> None:
    signup(client)
    event = create_event(client)

    def png(i: int) -> bytes:
        buf = io.BytesIO()
        Image.new("RGB", (8, 8), (i, 255 - i, 7)).save(buf, format="PNG")
        return buf.getvalue()

    assert upload(client, event["id"], *[(f"{i}.png", png(i)) for i in range(61)]).json()["stored"] == 61
    html = client.get(f"/events/{event['id']}").text
    shown = set(re.findall(r'<li data-photo-id="([0-9a-f-]+)"', html))
    assert len(shown) == 60
    button = re.search(r'id="load-more" class="secondary" data-cursor="([^"]+)" data-page="60"', html)
    assert button, "no load-more button with a cursor"
    rest = client.get(
        f"/api/events/{event['id']}/photos", params={"limit": 60, "cursor": button.group(1)}
    ).json()
    assert len(rest["items"]) == 1 and rest["items"][0]["id"] not in shown and rest["next_cursor"] is None

    one_page = create_event(client, name="Small")
    assert upload(client, one_page["id"], ("a.png", png(1))).status_code == 201
    assert 'id="load-more"' not in client.get(f"/events/{one_page['id']}").text
