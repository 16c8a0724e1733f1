"""The event page in the browser: header dates in the viewer's time zone, the loopback warning, tabs,
several photos selected and hidden or deleted, and the lightbox stepped with keys and swipes."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.browser.test_guest_flow import _wait_indexed
from tests.browser.test_photographer_flow import DROP
from tests.factories import PASSWORD, create_event, signup, upload

JOLIE = [f"identities/Angelina_Jolie/{n}.jpg" for n in (1, 2, 3)]
OTHERS = ["identities/Barack_Obama/1.jpg", "identities/George_Clooney/1.jpg"]
SELFIE = "identities/Angelina_Jolie/6.jpg"


def _signed_in_page(browser: Any, base: str, email: str, **context: Any) -> Any:
    """A page whose browser context carries the photographer's session cookie."""
    page = browser.new_context(**context).new_page()
    r = page.request.post(f"{base}/api/auth/login", data={"email": email, "password": PASSWORD})
    assert r.ok, r.text()
    return page


def _gallery(client: TestClient, dataset: Path, names: list[str]) -> tuple[dict[str, Any], dict[str, str]]:
    user = signup(client)
    event = create_event(client, name="Quay Party")
    r = upload(client, event["id"], *[(f"{i}.jpg", (dataset / n).read_bytes()) for i, n in enumerate(names)])
    assert r.json()["stored"] == len(names), r.text
    _wait_indexed(client, event["id"], len(names))  # the live server's job consumer does the work
    event["email"] = user["email"]
    return event, dict(zip(names, [i["id"] for i in r.json()["items"]], strict=True))


def _found(guest: TestClient, slug: str, dataset: Path) -> set[str]:
    r = guest.post(
        f"/api/public/events/{slug}/search", files={"selfie": ("me.jpg", (dataset / SELFIE).read_bytes())}
    )
    assert r.status_code == 200, r.text
    return {m["photo_id"] for m in r.json()["matches"]}


def test_dates_show_in_the_viewers_time_zone_and_a_loopback_base_url_is_warned_about(
    client: TestClient, live_server: Any, browser: Any
) -> None:
    user = signup(client)
    event = create_event(client, name="Night Market", starts_at="2026-06-12T16:30:00Z")
    page = _signed_in_page(browser, live_server.url, user["email"], timezone_id="Asia/Tokyo", locale="en-US")
    try:
        page.goto(f"{live_server.url}/events/{event['id']}")
        when = page.locator(".event-header time").first
        assert when.get_attribute("datetime") == "2026-06-12T16:30:00+00:00"
        # 16:30 UTC is 01:30 the next day in Tokyo.
        page.wait_for_function(
            "() => !document.querySelector('.event-header time').textContent.includes('UTC')"
        )
        text = when.inner_text()
        assert "Jun 13, 2026" in text and "1:30" in text, text

        warning = page.locator("#loopback-warning")
        assert warning.is_visible()  # the live server's base URL is http://127.0.0.1:<port>
        assert "EVENTLENS_BASE_URL" in warning.inner_text()
        assert "phones cannot open" in warning.inner_text()

        # No photos yet: the page opens on "Upload & cameras"; the tabs switch without a reload.
        assert page.locator("#upload").is_visible() and page.locator("#photos").is_hidden()
        page.get_by_role("link", name="Settings").click()
        assert page.locator("#settings").is_visible() and page.locator("#upload").is_hidden()
        assert page.url.endswith("#settings")
    finally:
        page.context.close()


def test_select_several_hide_them_from_guests_then_delete_a_range(
    client: TestClient, new_client: Any, live_server: Any, browser: Any, dataset: Path
) -> None:
    event, ids = _gallery(client, dataset, [*JOLIE, *OTHERS])
    assert client.post(f"/api/events/{event['id']}/publish").status_code == 200
    guest = new_client()
    assert len(_found(guest, event["slug"], dataset) & {ids[n] for n in JOLIE}) >= 2

    page = _signed_in_page(browser, live_server.url, event["email"], viewport={"width": 1280, "height": 900})
    try:
        page.goto(f"{live_server.url}/events/{event['id']}")
        assert page.locator("#photos").is_visible()  # with photos the page opens on them
        for name in JOLIE:
            page.locator(f"#photo-grid li[data-photo-id='{ids[name]}'] .pick").check()
        assert page.locator("#selected-count").inner_text() == "3 selected"
        page.get_by_role("button", name="Hide from guests").click()
        page.wait_for_function("() => document.querySelectorAll('#photo-grid li.is-hidden').length === 3")
        assert page.locator("#selected-count").inner_text() == ""
        for name in JOLIE:
            assert client.get(f"/api/photos/{ids[name]}").json()["hidden"] is True
        assert not _found(guest, event["slug"], dataset) & {ids[n] for n in JOLIE}

        # Shift-click selects the range between two boxes; the delete asks first.
        tiles = page.locator("#photo-grid li")
        order = tiles.evaluate_all("els => els.map(e => e.dataset.photoId)")
        tiles.nth(1).locator(".pick").check()
        tiles.nth(3).locator(".pick").click(modifiers=["Shift"])
        assert page.locator("#selected-count").inner_text() == "3 selected"
        page.once("dialog", lambda d: d.dismiss())
        page.get_by_role("button", name="Delete selected").click()
        assert tiles.count() == 5 and client.get(f"/api/photos/{order[2]}").status_code == 200
        page.once("dialog", lambda d: d.accept())
        page.get_by_role("button", name="Delete selected").click()
        page.wait_for_function("() => document.querySelectorAll('#photo-grid li').length === 2")
        left = {p["id"] for p in client.get(f"/api/events/{event['id']}/photos").json()["items"]}
        assert left == {order[0], order[4]}
    finally:
        page.context.close()


def test_the_lightbox_steps_with_arrow_keys_and_swipes_and_counts(
    client: TestClient, live_server: Any, browser: Any, dataset: Path
) -> None:
    event, _ids = _gallery(client, dataset, [*JOLIE, OTHERS[0]])
    page = _signed_in_page(browser, live_server.url, event["email"], viewport={"width": 1000, "height": 800})
    try:
        page.goto(f"{live_server.url}/events/{event['id']}#photos")
        names = page.locator("#photo-grid img").evaluate_all("imgs => imgs.map(i => i.alt)")
        counter = page.locator("#lightbox-counter")
        caption = page.locator("#lightbox-caption")

        def shows(n: int) -> None:
            page.wait_for_function(
                "([want, name]) => document.getElementById('lightbox-counter').textContent === want"
                " && document.getElementById('lightbox-img').alt === name",
                arg=[f"{n} / 4", names[n - 1]],
            )

        page.locator("#photo-grid .thumb").first.click()
        shows(1)
        assert counter.inner_text() == "1 / 4" and "faces: 1" in caption.inner_text()
        page.keyboard.press("ArrowRight")
        shows(2)
        page.keyboard.press("ArrowRight")
        shows(3)
        page.keyboard.press("ArrowLeft")
        shows(2)

        stage = page.locator("#lightbox-stage").bounding_box()
        y = stage["y"] + stage["height"] / 2
        page.mouse.move(stage["x"] + stage["width"] * 0.7, y)  # a swipe to the left: the next photo
        page.mouse.down()
        page.mouse.move(stage["x"] + stage["width"] * 0.2, y, steps=5)
        page.mouse.up()
        shows(3)
        page.mouse.move(stage["x"] + stage["width"] * 0.2, y)  # to the right: back again
        page.mouse.down()
        page.mouse.move(stage["x"] + stage["width"] * 0.7, y, steps=5)
        page.mouse.up()
        shows(2)

        page.locator("#lightbox .face-box").first.wait_for()
        page.get_by_role("button", name="Face boxes").click()
        assert page.locator("#lightbox-faces").is_hidden()
        assert page.locator("#lightbox-download").get_attribute("href").endswith("/original?download=true")
        page.keyboard.press("Escape")
        assert page.locator("#lightbox").is_hidden()
    finally:
        page.context.close()


def test_a_file_refused_for_what_it_is_gets_no_retry_button(
    client: TestClient, live_server: Any, browser: Any
) -> None:
    user = signup(client)
    event = create_event(client, name="Refusals")
    page = _signed_in_page(browser, live_server.url, user["email"])
    try:
        page.goto(f"{live_server.url}/events/{event['id']}")
        notes = base64.b64encode(b"just some text, not a photo").decode()
        page.evaluate(DROP, ["#dropzone", [{"name": "notes.jpg", "data": notes}]])
        page.get_by_text("1 of 1 done, 1 failed").wait_for()
        row = page.locator(".upload-row.failed")
        assert "JPEG" in row.inner_text()  # the server's reason
        assert row.get_by_role("button", name="Retry").count() == 0
        assert page.locator("#retry-failed").is_hidden()
    finally:
        page.context.close()
