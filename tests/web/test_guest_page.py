"""The guest page and the API pieces it relies on: access check, cover, ZIP download from a plain form."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from eventlens.web.rendering import STATIC_DIR
from tests.factories import assert_error, create_event, fetch, run_jobs, signup, upload

JOLIE = ["identities/Angelina_Jolie/1.jpg", "identities/Angelina_Jolie/2.jpg"]
OTHER = "identities/Barack_Obama/1.jpg"
SELFIE = "identities/Angelina_Jolie/6.jpg"


@pytest.fixture
def party(client: TestClient, app: Any, dataset: Path) -> dict[str, Any]:
    """A published event with an access code: two photos of one person and one of someone else."""
    signup(client, name="Robin Lens")
    event = create_event(
        client, name="Garden Party", access_code="tulip-42", description="Summer at the lake"
    )
    names = [*JOLIE, OTHER]
    r = upload(
        client, event["id"], *[(n.rsplit("/", 2)[-2] + ".jpg", (dataset / n).read_bytes()) for n in names]
    )
    assert r.json()["stored"] == 3, r.text
    run_jobs(app)
    assert client.post(f"/api/events/{event['id']}/publish").status_code == 200
    return {"event": event, "ids": [i["id"] for i in r.json()["items"]]}


def test_the_page_shows_the_event_and_asks_for_the_code(party: dict[str, Any], new_client: Any) -> None:
    guest = new_client()
    page = guest.get(f"/e/{party['event']['slug']}")
    assert page.status_code == 200
    html = page.text
    assert "Garden Party" in html and "Photos by Robin Lens" in html and "Summer at the lake" in html
    assert 'data-code-required="true"' in html
    assert "is not stored" in html  # the consent notice
    assert 'type="module"' in html and "/static/guest.js" in html
    # No third-party requests: every src/href/action is on this server.
    hosts = {urlsplit(url).netloc for url in re.findall(r'(?:src|href|action)="([^"]*)"', html)}
    assert hosts <= {"", "testserver"}, hosts


def test_unknown_and_unpublished_events_get_a_friendly_404(client: TestClient) -> None:
    signup(client)
    draft = create_event(client, name="Not yet")
    for slug in (draft["slug"], "no-such-event"):
        page = client.get(f"/e/{slug}")
        assert page.status_code == 404
        assert "not open" in page.text


def test_the_access_check_gives_a_pass_that_opens_search_and_downloads(
    party: dict[str, Any], new_client: Any, dataset: Path
) -> None:
    slug = party["event"]["slug"]
    guest = new_client()
    assert_error(guest.post(f"/api/public/events/{slug}/access"), 403, "access_code_required")
    assert_error(
        guest.post(f"/api/public/events/{slug}/access", headers={"X-Access-Code": "rose-1"}),
        403,
        "access_code_invalid",
    )
    r = guest.post(f"/api/public/events/{slug}/access", headers={"X-Access-Code": "tulip-42"})
    assert r.status_code == 200, r.text
    guest_pass = r.json()["guest_pass"]

    selfie = {"selfie": ("me.jpg", (dataset / SELFIE).read_bytes())}
    assert_error(guest.post(f"/api/public/events/{slug}/search", files=selfie), 403)
    found = guest.post(f"/api/public/events/{slug}/search", params={"t": guest_pass}, files=selfie)
    assert found.status_code == 200, found.text
    assert {m["photo_id"] for m in found.json()["matches"]} == set(party["ids"][:2])

    # The ZIP as the page's plain form sends it: repeated photo_ids and the pass as a field.
    form = {"photo_ids": party["ids"][:2], "t": guest_pass}
    z = guest.post(f"/api/public/events/{slug}/download", data=form)
    assert z.status_code == 200, z.text
    assert z.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(z.content)) as archive:
        contents = sorted(archive.read(n) for n in archive.namelist())
    assert contents == sorted((dataset / n).read_bytes() for n in JOLIE)
    refused = guest.post(f"/api/public/events/{slug}/download", data={"photo_ids": [party["ids"][0]]})
    assert_error(refused, 403)  # no pass, no code
    assert_error(guest.post(f"/api/public/events/{slug}/download", data={"t": guest_pass}), 422)


def test_wrong_codes_are_rate_limited(party: dict[str, Any], new_client: Any, settings: Any) -> None:
    guest = new_client()
    slug = party["event"]["slug"]
    allowed = int(settings.login_rate_limit.split("/")[0])
    for _ in range(allowed):
        r = guest.post(f"/api/public/events/{slug}/access", headers={"X-Access-Code": "wrong-code"})
        assert r.status_code == 403
    r = guest.post(f"/api/public/events/{slug}/access", headers={"X-Access-Code": "tulip-42"})
    assert_error(r, 429)  # even the right code waits now: guessing gains nothing
    assert int(r.headers["Retry-After"]) >= 1


def test_a_cover_photo_is_shown_to_guests(client: TestClient, party: dict[str, Any], new_client: Any) -> None:
    event, ids = party["event"], party["ids"]
    slug = event["slug"]
    # Until the photographer picks one, the first photo with a face is the cover (the pick stays null).
    assert (
        new_client().get(f"/api/public/events/{slug}").json()["cover_url"]
        == f"/api/public/events/{slug}/cover"
    )
    assert fetch(client, f"/api/public/events/{slug}/cover").status_code == 200
    assert client.get(f"/api/events/{event['id']}").json()["cover_photo_id"] is None

    other = create_event(client, name="Other")
    foreign = upload(client, other["id"], ("x.jpg", b"\xff\xd8" + b"0" * 10))  # refused, but any id will do
    assert foreign.status_code >= 400
    assert_error(client.patch(f"/api/events/{event['id']}", json={"cover_photo_id": other["id"]}), 422)

    assert client.patch(f"/api/events/{event['id']}", json={"cover_photo_id": ids[2]}).status_code == 200
    guest = new_client()
    public = guest.get(f"/api/public/events/{slug}").json()
    assert public["cover_url"] == f"/api/public/events/{slug}/cover"
    image = fetch(guest, public["cover_url"])
    assert image.status_code == 200 and image.headers["content-type"] == "image/webp"
    assert "cover" in guest.get(f"/e/{slug}").text

    assert client.delete(f"/api/photos/{ids[2]}").status_code == 204  # the pick goes with its photo
    assert client.get(f"/api/events/{event['id']}").json()["cover_photo_id"] is None
    assert fetch(new_client(), public["cover_url"]).status_code == 200  # back to the automatic cover


def test_the_guest_pages_own_js_and_css_stay_small() -> None:
    weight = sum((STATIC_DIR / name).stat().st_size for name in ("guest.js", "guest.css"))
    assert weight < 100_000, f"guest page JS + CSS weigh {weight} bytes"
