"""A photographer in the browser: sign up, create an event, drop 20 photos, watch them get indexed
live, publish, and read the guest link."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

from tests.factories import PASSWORD

DROP = """async ([selector, files]) => {
  const dt = new DataTransfer();
  for (const f of files) {
    const bytes = Uint8Array.from(atob(f.data), (c) => c.charCodeAt(0));
    dt.items.add(new File([bytes], f.name, { type: "image/jpeg" }));
  }
  const zone = document.querySelector(selector);
  zone.dispatchEvent(new DragEvent("dragover", { dataTransfer: dt, bubbles: true, cancelable: true }));
  zone.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
}"""


def test_sign_up_create_drop_twenty_photos_watch_them_indexed_and_publish(
    live_server: Any, browser: Any, dataset: Path
) -> None:
    photos = sorted(dataset.glob("identities/*/*.jpg"))[:20]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(live_server.url)
        page.get_by_label("Your name").fill("Sam Shutter")
        page.locator("#signup-email").fill("sam@example.com")
        page.locator("#signup-password").fill(PASSWORD)
        page.get_by_role("button", name="Create an account").click()
        page.wait_for_url("**/events")

        page.get_by_label("Name").first.fill("Harbour Festival")
        page.get_by_role("button", name="Create event").click()
        page.wait_for_url("**/events/*")
        assert page.get_by_role("heading", name="Harbour Festival").is_visible()
        page.get_by_text("● live").wait_for()  # the live stream is connected
        assert page.locator("#upload-form").is_hidden()  # the drop zone replaced the plain form

        files = [
            {"name": p.parent.name + "-" + p.name, "data": base64.b64encode(p.read_bytes()).decode()}
            for p in photos
        ]
        page.evaluate(DROP, ["#dropzone", files])
        page.get_by_text("20 of 20 done, 0 failed").wait_for(timeout=60_000)
        assert page.locator(".upload-row.ok").count() == 20

        # No reload: the counts and the grid follow the worker through the stream.
        page.wait_for_function(
            "() => document.querySelector('[data-count=\"photos.indexed\"]').textContent.trim() === '20'",
            timeout=90_000,
        )
        assert page.locator('[data-count="photos.total"]').inner_text() == "20"
        # The uploads chart is drawn again once the count has moved.
        page.wait_for_function("() => document.querySelector('img.chart').src.endsWith('?n=20')")
        assert int(page.locator('[data-count="faces"]').inner_text()) >= 20
        assert page.locator("#photo-grid .badge.indexed").count() == 20
        page.get_by_role("link", name="Photos", exact=True).click()  # the page opened on the upload tab
        thumbs = page.locator("#photo-grid img")
        assert thumbs.count() == 20
        thumbs.first.scroll_into_view_if_needed()  # lazy images load once on screen
        page.wait_for_function("() => document.querySelector('#photo-grid img').naturalWidth > 0")

        page.locator("#photo-grid .thumb").first.click()  # the lightbox boxes the faces
        page.locator("#lightbox .face-box").first.wait_for()
        page.get_by_role("button", name="Use as cover").click()
        page.get_by_role("button", name="Cover set ✓").wait_for()
        page.get_by_role("button", name="Close").click()

        page.get_by_role("button", name="Publish").click()
        page.wait_for_load_state()
        assert page.locator(".badge.published").first.is_visible()
        link = page.locator("#guest-link").input_value()
        assert re.fullmatch(rf"{live_server.url}/e/harbour-festival-[a-z2-9]{{5}}", link), link
        page.goto(f"{live_server.url}/events")
        page.locator("img.event-cover").wait_for()  # the events list shows the cover
        page.goto(link)
        assert page.get_by_role("heading", name="Harbour Festival").is_visible()
        page.locator("img.cover").wait_for()  # and so does the guest page
    finally:
        page.close()
