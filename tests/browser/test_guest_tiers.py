"""A guest's two tiers in the browser: "Photos of you", a folded "Maybe you" with "Not me", more selfies."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.browser.test_guest_flow import _wait_indexed
from tests.factories import create_event, signup, upload
from tests.tiers import FAR, GALLERY, HIGH, LOOK_ALIKE, NEAR, POSSIBLE, pin_thresholds


def _search_with(page: Any, photo: Path, caplog: pytest.LogCaptureFixture) -> int:
    """Pick ``photo`` in the file input; how many selfies the server got in the search it sent.

    (Chromium does not show Playwright the body of a multipart request built from blobs, so the
    server's own log line tells.)
    """
    caplog.clear()
    with page.expect_response(lambda res: res.url.split("?")[0].endswith("/search")):
        page.set_input_files("#file-input", str(photo))
    counts = re.findall(r"guest\.search .* selfies=(\d+)", caplog.text)
    assert len(counts) == 1, caplog.text
    return int(counts[0])


def _shown_ids(page: Any, selector: str) -> set[str]:
    return set(page.locator(selector).evaluate_all("els => els.map(e => e.dataset.photoId || e.value)"))


def _grid_ids(page: Any) -> set[str]:
    srcs = page.locator("#grid img").evaluate_all("imgs => imgs.map(i => i.getAttribute('src'))")
    return {s.split("/photos/")[1].split("/")[0] for s in srcs}


def test_maybe_you_is_folded_not_me_sticks_to_the_tab_and_a_second_selfie_adds(
    client: TestClient,
    live_server: Any,
    browser: Any,
    dataset: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("INFO", logger="eventlens.guests")
    pin_thresholds(monkeypatch, live_server.app.state.ctx.face_engine)
    signup(client)
    event = create_event(client, name="Look-alikes")
    r = upload(
        client, event["id"], *[(f"{i}.jpg", (dataset / n).read_bytes()) for i, n in enumerate(GALLERY)]
    )
    assert r.json()["stored"] == len(GALLERY), r.text
    _wait_indexed(client, event["id"], len(GALLERY))
    assert client.post(f"/api/events/{event['id']}/publish").status_code == 200
    ids = dict(zip(GALLERY, [i["id"] for i in r.json()["items"]], strict=True))
    stranger = ids[LOOK_ALIKE]
    url = f"{live_server.url}/e/{event['slug']}"

    tab = browser.new_context()
    page = tab.new_page()
    page.goto(url)
    assert _search_with(page, dataset / FAR, caplog) == 1
    page.get_by_role("heading", name="You are in 2 photos").wait_for()
    assert _grid_ids(page) == {ids[n] for n in HIGH}
    maybe = page.locator("#maybe")
    assert maybe.is_visible() and maybe.evaluate("d => d.open") is False, "'Maybe you' starts folded"
    assert page.locator("#maybe-title").inner_text() == "Maybe you (3)"
    assert not page.get_by_role("button", name="Not me").first.is_visible()
    assert _shown_ids(page, "#maybe-grid li") == {ids[n] for n in [*POSSIBLE, LOOK_ALIKE]}
    assert _shown_ids(page, "#zip-form input[name=photo_ids]") == {
        ids[n] for n in [*HIGH, *POSSIBLE, LOOK_ALIKE]
    }

    page.locator("#maybe-title").click()
    sent: list[str] = []
    page.on("request", lambda req: sent.append(req.url))
    page.locator(f"#maybe-grid li[data-photo-id='{stranger}'] .not-me").click()
    # (a re-drawn thumbnail may be fetched again, from the app or, with the S3 store, its signed URL;
    # nothing else goes out)
    thumbnails = ("/thumbnail?", ".thumb.webp?")
    assert [u for u in sent if not any(t in u for t in thumbnails)] == [], "'Not me' stays in the browser"
    assert page.locator("#maybe-title").inner_text() == "Maybe you (2)"
    assert stranger not in _shown_ids(page, "#maybe-grid li")
    assert stranger not in _shown_ids(page, "#zip-form input[name=photo_ids]"), "not in 'Download all'"

    # A second photo of the same guest: both go in one search, his "maybe" photos become "yours".
    page.get_by_role("button", name="Add another photo of yourself").click()
    assert _search_with(page, dataset / NEAR, caplog) == 2
    page.get_by_role("heading", name="You are in 4 photos").wait_for()
    assert _grid_ids(page) == {ids[n] for n in [*HIGH, *POSSIBLE]}
    assert not maybe.is_visible(), "the only 'maybe' left is the one marked 'Not me'"
    page.get_by_text("Searched with 2 photos of you.").wait_for()
    page.get_by_role("button", name="Add another photo of yourself").click()
    assert _search_with(page, dataset / NEAR, caplog) == 3
    page.get_by_text("Searched with 3 photos of you.").wait_for()
    assert not page.get_by_role("button", name="Add another photo of yourself").is_visible(), "3 at most"

    # The same tab after a reload: the selfies are gone (memory only), "Not me" is remembered.
    page.reload()
    assert _search_with(page, dataset / FAR, caplog) == 1
    page.get_by_role("heading", name="You are in 2 photos").wait_for()
    assert page.locator("#maybe-title").inner_text() == "Maybe you (2)"
    assert _shown_ids(page, "#maybe-grid li") == {ids[n] for n in POSSIBLE}
    tab.close()

    # Another browser (a new context has its own session storage): the photo is back.
    other = browser.new_context()
    page = other.new_page()
    page.goto(url)
    assert _search_with(page, dataset / FAR, caplog) == 1
    page.get_by_role("heading", name="You are in 2 photos").wait_for()
    assert page.locator("#maybe-title").inner_text() == "Maybe you (3)"
    assert stranger in _shown_ids(page, "#maybe-grid li")
    other.close()
