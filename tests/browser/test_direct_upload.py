"""With the S3 store the dashboard sends photos straight to the bucket: the API signs and registers
them and never receives the bytes (scaled profile)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from tests.browser.test_photographer_flow import DROP
from tests.conftest import PROFILE
from tests.factories import PASSWORD


@pytest.mark.skipif(PROFILE != "scaled", reason="direct uploads need the S3 store (scaled profile)")
def test_dropped_photos_go_to_the_bucket_not_through_the_api(
    live_server: Any, browser: Any, dataset: Path
) -> None:
    photos = sorted(dataset.glob("identities/*/*.jpg"))[:3]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    page.on("pageerror", lambda e: console.append(str(e)))
    try:
        page.goto(live_server.url)
        page.get_by_label("Your name").fill("Dee Direct")
        page.locator("#signup-email").fill("dee@example.com")
        page.locator("#signup-password").fill(PASSWORD)
        page.get_by_role("button", name="Create an account").click()
        page.wait_for_url("**/events")
        page.get_by_label("Name").first.fill("Bucket Day")
        page.get_by_role("button", name="Create event").click()
        page.wait_for_url("**/events/*")
        event_id = page.url.rstrip("/").rsplit("/", 1)[-1]
        files = [{"name": p.name, "data": base64.b64encode(p.read_bytes()).decode()} for p in photos]
        page.evaluate(DROP, ["#dropzone", files])
        try:
            page.get_by_text("3 of 3 done, 0 failed").wait_for(timeout=60_000)
        except Exception:
            raise AssertionError((console, posts, page.locator("#upload-list").inner_text())) from None
        page.wait_for_function(
            "() => document.querySelector('[data-count=\"photos.indexed\"]').textContent.trim() === '3'",
            timeout=90_000,
        )
    finally:
        page.close()
    bucket = live_server.app.state.ctx.storage
    to_bucket = [u for u in posts if not u.startswith(live_server.url)]
    assert len(to_bucket) == 3, posts  # the files themselves
    assert sum(u.endswith(f"/api/events/{event_id}/uploads/presign") for u in posts) == 3, posts
    assert sum(u.endswith(f"/api/events/{event_id}/uploads/complete") for u in posts) == 3, posts
    assert not any(u.endswith(f"/api/events/{event_id}/photos") for u in posts), posts
    assert len([k for k in bucket.list_keys(f"events/{event_id}/") if k.endswith(".jpg")]) == 3
