"""The watermark in the browser: the dashboard's live sample follows the form; a guest of an event with
downloads off sees watermarked photos and no download or share button."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.browser.test_dashboard import _signed_in_page
from tests.browser.test_guest_flow import _wait_indexed
from tests.factories import create_event, fetch, signup, upload

JOLIE = [f"identities/Angelina_Jolie/{n}.jpg" for n in (1, 2)]
SELFIE = "identities/Angelina_Jolie/6.jpg"


def test_the_sample_follows_the_form_and_guests_get_marked_photos_without_downloads(
    client: TestClient, live_server: Any, browser: Any, dataset: Path
) -> None:
    user = signup(client)
    event = create_event(client, name="Harbour Run")
    r = upload(client, event["id"], *[(f"{i}.jpg", (dataset / n).read_bytes()) for i, n in enumerate(JOLIE)])
    assert r.json()["stored"] == 2, r.text
    _wait_indexed(client, event["id"], 2)
    assert client.post(f"/api/events/{event['id']}/publish").status_code == 200

    page = _signed_in_page(browser, live_server.url, user["email"])
    try:
        page.goto(f"{live_server.url}/events/{event['id']}#settings")
        sample = page.locator("#wm-sample")
        sample.scroll_into_view_if_needed()
        before = sample.get_attribute("src")
        page.fill("#wm-text", "© Harbour Run")
        page.select_option("#wm-position", "tiled")
        page.wait_for_function(
            "() => { const i = document.getElementById('wm-sample');"
            " return i.src.includes('tiled') && i.complete && i.naturalWidth === 480; }"
        )
        assert sample.get_attribute("src") != before and "Harbour" in (sample.get_attribute("src") or "")
        page.check("input[name=enabled]")
        page.select_option("#wm-downloads", "off")
        page.locator("#watermark-form button[type=submit]").click()
        page.wait_for_load_state()
    finally:
        page.context.close()
    got = client.get(f"/api/events/{event['id']}").json()
    assert (
        got["watermark"]["enabled"] and got["watermark"]["position"] == "tiled" and got["downloads"] == "off"
    )

    guest = browser.new_page()
    try:
        guest.goto(f"{live_server.url}/e/{event['slug']}")
        guest.set_input_files("#file-input", str(dataset / SELFIE))
        guest.locator("#grid img").first.wait_for()
        assert guest.locator("#zip-form").count() == 0
        guest.locator("#grid img").first.click()
        guest.wait_for_function(
            "() => { const i = document.getElementById('lightbox-img'); return i.complete && i.naturalWidth > 0; }"
        )
        assert (
            guest.locator("#lightbox-download").is_hidden() and guest.locator("#lightbox-share").is_hidden()
        )
        shown = guest.locator("#lightbox-img").get_attribute("src") or ""
        marked = guest.request.get(shown if shown.startswith("http") else f"{live_server.url}{shown}")
        assert marked.ok and marked.headers["content-type"] == "image/webp"
        photo = shown.split("/photos/")[1].split("/")[0]
        assert marked.body() != fetch(client, f"/api/photos/{photo}/preview").content  # not the clean one
    finally:
        guest.close()
