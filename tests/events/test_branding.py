"""The event's own look: logo and accent colour through PATCH /api/events/{id}, on the guest page and
the live screen (a stylesheet route, since the pages allow no inline style), and the dashboard's form."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import assert_error, create_event, fetch, run_jobs, signup, upload

PHOTO = "identities/Angelina_Jolie/1.jpg"


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(html: str, name: str) -> list[dict[str, str | None]]:
    parser = _Tags()
    parser.feed(html)
    return [attrs for tag, attrs in parser.tags if tag == name]


@pytest.fixture
def event_with_photo(client: TestClient, app: Any, dataset: Path) -> tuple[dict[str, Any], str]:
    signup(client)
    event = create_event(client, name="Brand Day")
    photo = upload(client, event["id"], ("logo.jpg", (dataset / PHOTO).read_bytes())).json()["items"][0]["id"]
    run_jobs(app)
    return event, photo


@pytest.mark.parametrize("accent", ["red", "#abc", "#gggggg", "#1234567", "1f5fbf", " #1f5fbf", ""])
def test_a_bad_colour_is_refused(client: TestClient, accent: str) -> None:
    signup(client)
    event = create_event(client)
    r = client.patch(f"/api/events/{event['id']}", json={"branding": {"accent": accent}})
    assert_error(r, 422, "validation_error")
    assert client.get(f"/api/events/{event['id']}").json()["branding"] == {
        "logo_photo_id": None,
        "accent": None,
    }


def test_unknown_branding_fields_are_refused(client: TestClient) -> None:
    signup(client)
    event = create_event(client)
    r = client.patch(f"/api/events/{event['id']}", json={"branding": {"colour": "#000000"}})
    assert_error(r, 422, "validation_error")


def test_the_logo_must_be_a_photo_of_the_event(
    client: TestClient, app: Any, dataset: Path, event_with_photo: tuple[dict[str, Any], str], new_client: Any
) -> None:
    event, _photo = event_with_photo
    other = create_event(client, name="Other")
    theirs = upload(client, other["id"], ("x.jpg", (dataset / PHOTO).read_bytes())).json()["items"][0]["id"]
    for bad in (theirs, "00000000-0000-4000-8000-000000000000"):
        r = client.patch(f"/api/events/{event['id']}", json={"branding": {"logo_photo_id": bad}})
        body = assert_error(r, 422, "validation_error")
        assert body["details"][0]["field"] == "branding.logo_photo_id"
    assert_error(
        client.patch(f"/api/events/{event['id']}", json={"branding": {"logo_photo_id": "nope"}}), 422
    )
    # Another photographer cannot brand this event at all.
    stranger = new_client()
    signup(stranger)
    assert_error(stranger.patch(f"/api/events/{event['id']}", json={"branding": {"accent": "#000000"}}), 404)


def test_logo_and_accent_reach_the_guest_page_and_the_live_screen(
    client: TestClient, event_with_photo: tuple[dict[str, Any], str], new_client: Any
) -> None:
    event, photo = event_with_photo
    # The logo is often uploaded as a photo and hidden from guests: it still shows as the logo.
    assert client.patch(f"/api/photos/{photo}", json={"hidden": True}).status_code == 200
    r = client.patch(
        f"/api/events/{event['id']}", json={"branding": {"logo_photo_id": photo, "accent": "#C0FFEE"}}
    )
    assert r.status_code == 200, r.text
    assert r.json()["branding"] == {"logo_photo_id": photo, "accent": "#c0ffee"}
    # A partial change keeps the other field.
    r = client.patch(f"/api/events/{event['id']}", json={"branding": {"accent": "#112233"}})
    assert r.json()["branding"] == {"logo_photo_id": photo, "accent": "#112233"}
    assert client.post(f"/api/events/{event['id']}/publish").status_code == 200

    guest = new_client()
    public = guest.get(f"/api/public/events/{event['slug']}").json()
    assert public["accent"] == "#112233" and public["logo_url"] == f"/api/public/events/{event['slug']}/logo"
    logo = fetch(guest, public["logo_url"])
    assert logo.status_code == 200 and logo.headers["content-type"] == "image/webp"
    css = guest.get(f"/e/{event['slug']}/theme.css")
    assert css.headers["content-type"].startswith("text/css")
    assert "--accent: #112233;" in css.text and "--accent-ink: #ffffff;" in css.text  # white reads on dark
    for path in (f"/e/{event['slug']}", f"/e/{event['slug']}/live"):
        html = guest.get(path).text
        sheets = [a.get("href") for a in _tags(html, "link") if a.get("rel") == "stylesheet"]
        assert f"/e/{event['slug']}/theme.css?v=112233" in sheets, path
        assert public["logo_url"] in [a.get("src") for a in _tags(html, "img")], path
        assert "style=" not in html  # the colour comes by stylesheet, never inline (CSP)

    # null clears the look: no stylesheet, no logo.
    client.patch(f"/api/events/{event['id']}", json={"branding": None})
    assert client.get(f"/api/events/{event['id']}").json()["branding"] == {
        "logo_photo_id": None,
        "accent": None,
    }
    html = guest.get(f"/e/{event['slug']}").text
    assert not any("theme.css" in (a["href"] or "") for a in _tags(html, "link"))
    assert_error(guest.get(f"/api/public/events/{event['slug']}/logo"), 404)
    assert guest.get(f"/e/{event['slug']}/theme.css").text == ""


def test_a_light_accent_gets_dark_text(client: TestClient) -> None:
    signup(client)
    event = create_event(client)
    client.patch(f"/api/events/{event['id']}", json={"branding": {"accent": "#ffee00"}})
    client.post(f"/api/events/{event['id']}/publish")
    assert "--accent-ink: #000000;" in client.get(f"/e/{event['slug']}/theme.css").text


def test_the_dashboard_form_sets_and_clears_the_accent(
    client: TestClient, event_with_photo: tuple[dict[str, Any], str]
) -> None:
    event, photo = event_with_photo
    client.patch(f"/api/events/{event['id']}", json={"branding": {"logo_photo_id": photo}})
    page = client.get(f"/events/{event['id']}").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf
    url = f"/events/{event['id']}/branding"
    r = client.post(url, data={"csrf_token": csrf.group(1), "accent": "#aa0000"}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get(f"/api/events/{event['id']}").json()["branding"] == {
        "logo_photo_id": photo,
        "accent": "#aa0000",
    }
    r = client.post(url, data={"csrf_token": "forged", "clear_accent": "1"}, follow_redirects=False)
    assert client.get(f"/api/events/{event['id']}").json()["branding"]["accent"] == "#aa0000"
    client.post(url, data={"csrf_token": csrf.group(1), "clear_accent": "1", "clear_logo": "1"})
    assert client.get(f"/api/events/{event['id']}").json()["branding"] == {
        "logo_photo_id": None,
        "accent": None,
    }
