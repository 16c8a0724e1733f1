"""A guest searches by bib number on the event's page (after the access code)."""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient

from tests.bibs.test_bib_search import plain, with_bib
from tests.factories import create_event, signup, upload


def test_a_guest_finds_their_bib_photos(client: TestClient, live_server: Any, browser: Any) -> None:
    signup(client)
    event = create_event(client, name="Harbour Run", access_code="finish")
    client.patch(f"/api/events/{event['id']}", json={"bib_search": True})
    r = upload(
        client,
        event["id"],
        ("a.jpg", with_bib(plain(), "2718", digit_px=60)),
        ("b.jpg", with_bib(plain((120, 90, 40)), "3141", digit_px=60)),
    )
    wanted = r.json()["items"][0]["id"]
    assert client.post(f"/api/events/{event['id']}/publish").status_code == 200
    deadline = time.monotonic() + 120
    # The live server's worker indexes the photos, then reads their bibs (a job of its own).
    while True:
        found = client.get(
            f"/api/public/events/{event['slug']}/search",
            params={"bib": "2718"},
            headers={"X-Access-Code": "finish"},
        ).json()["matches"]
        if found:
            break
        assert time.monotonic() < deadline, "bib not read in 120 s"
        time.sleep(0.5)

    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(f"{live_server.url}/e/{event['slug']}")
    assert not page.get_by_role("heading", name="Search by bib number").is_visible()
    page.get_by_label("access code").fill("finish")
    page.get_by_role("button", name="Open the photos").click()
    page.get_by_role("heading", name="Search by bib number").wait_for()
    page.get_by_placeholder("Bib number").fill("2718")
    page.get_by_role("button", name="Find my bib").click()
    page.get_by_text("1 photo(s) with bib 2718").wait_for()
    thumbs = page.locator("#bib-grid img")
    assert thumbs.count() == 1
    assert wanted in (thumbs.first.get_attribute("src") or "")
    page.get_by_placeholder("Bib number").fill("9999")
    page.get_by_role("button", name="Find my bib").click()
    page.get_by_text("No photo with bib 9999 yet").wait_for()
    assert page.locator("#bib-grid img").count() == 0
    page.get_by_placeholder("Bib number").fill("12")
    page.get_by_role("button", name="Find my bib").click()
    page.get_by_text("No photo with bib 12 yet").wait_for()
    page.close()
