"""The pages work under their strict Content-Security-Policy: the browser reports no violation."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tests.factories import PASSWORD


def test_no_page_breaks_the_content_security_policy(live_server: Any, browser: Any, dataset: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    violations: list[str] = []
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    try:
        api = context.request
        base = live_server.url
        r = api.post(
            f"{base}/api/auth/signup", data={"email": "c@example.com", "password": PASSWORD, "name": "C"}
        )
        assert r.ok, r.text()
        csrf = {"X-CSRF-Token": r.headers["x-csrf-token"]}
        event = api.post(f"{base}/api/events", data={"name": "Strict"}, headers=csrf).json()
        photo = (dataset / "identities/Angelina_Jolie/1.jpg").read_bytes()
        up = api.post(
            f"{base}/api/events/{event['id']}/photos",
            multipart={"files": {"name": "a.jpg", "mimeType": "image/jpeg", "buffer": photo}},
            headers=csrf,
        )
        assert up.status == 201, up.text()
        deadline = time.monotonic() + 60
        while api.get(f"{base}/api/events/{event['id']}").json()["counts"]["photos"]["indexed"] < 1:
            assert time.monotonic() < deadline, "the photo was not indexed in 60 s"
            time.sleep(0.2)
        assert api.post(f"{base}/api/events/{event['id']}/publish", headers=csrf).ok

        for path in ("/", "/events", f"/events/{event['id']}", "/tokens", "/account", f"/e/{event['slug']}"):
            page.goto(f"{base}{path}")
            page.wait_for_load_state("networkidle")
        page.goto(f"{base}/events/{event['id']}")
        page.locator("#photo-grid .thumb").first.click()  # the lightbox draws the face boxes
        page.locator("#lightbox .face-box").first.wait_for()
    finally:
        context.close()
    assert violations == []
