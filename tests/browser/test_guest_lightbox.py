"""The guest's lightbox on a phone: counter, arrow keys, swipes left and right, swipe down to close,
pinch to zoom; the results come as justified rows, best matches first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.browser.test_guest_flow import _wait_indexed
from tests.factories import create_event, signup, upload

JOLIE = [f"identities/Angelina_Jolie/{n}.jpg" for n in (1, 2, 3)]
SELFIE = "identities/Angelina_Jolie/6.jpg"


def _drag(page: Any, start: tuple[float, float], end: tuple[float, float]) -> None:
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=6)
    page.mouse.up()


def test_a_guest_swipes_through_pinches_and_swipes_the_lightbox_away(
    client: TestClient, live_server: Any, browser: Any, dataset: Path
) -> None:
    signup(client, name="Robin Lens")
    event = create_event(client, name="Boat Trip")
    r = upload(client, event["id"], *[(f"{i}.jpg", (dataset / n).read_bytes()) for i, n in enumerate(JOLIE)])
    assert r.json()["stored"] == 3, r.text
    _wait_indexed(client, event["id"], 3)
    assert client.post(f"/api/events/{event['id']}/publish").status_code == 200

    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/e/{event['slug']}")
        hero = page.locator("header.hero")
        assert "Boat Trip" in hero.inner_text() and "3 photos" in hero.inner_text()
        assert "Photos by Robin Lens" in hero.inner_text()
        page.locator("img.cover").wait_for()  # chosen automatically: the first photo with a face
        camera = page.locator("#camera-open").bounding_box()
        pick = page.locator("label[for=file-input]").bounding_box()
        assert abs(camera["width"] - pick["width"]) < 1 and abs(camera["height"] - pick["height"]) < 1
        page.set_input_files("#file-input", str(dataset / SELFIE))
        page.get_by_role("heading", name="You are in 3 photos").wait_for(timeout=15_000)
        grows = page.locator("#grid > li").evaluate_all("els => els.map(e => Number(e.style.flexGrow))")
        assert len(grows) == 3 and all(g > 0 for g in grows)  # justified: each grows by its aspect ratio

        counter = page.locator("#lightbox-counter")

        def shows(n: int) -> None:
            page.wait_for_function(
                "want => document.getElementById('lightbox-counter').textContent === want", arg=f"{n} / 3"
            )

        page.locator("#grid .thumb").first.click()
        shows(1)
        page.keyboard.press("ArrowRight")
        shows(2)
        stage = page.locator("#lightbox-stage").bounding_box()
        mid_y = stage["y"] + stage["height"] / 2
        left, right = stage["x"] + stage["width"] * 0.2, stage["x"] + stage["width"] * 0.8
        _drag(page, (right, mid_y), (left, mid_y))  # swipe left: the next photo
        shows(3)
        _drag(page, (left, mid_y), (right, mid_y))  # swipe right: the one before
        shows(2)
        assert counter.inner_text() == "2 / 3"
        assert page.locator("#lightbox-download").get_attribute("href").split("?")[0].endswith("/download")

        centre_x = stage["x"] + stage["width"] / 2
        _drag(page, (centre_x, mid_y - 100), (centre_x, mid_y + 150))  # swipe down: closes
        page.locator("#lightbox").wait_for(state="hidden")

        # Two fingers spreading apart zoom the photo (CSS transform), and it stays open.
        page.locator("#grid .thumb").first.click()
        shows(1)
        cdp = context.new_cdp_session(page)

        def touch(kind: str, spread: float) -> None:
            points = [
                {"x": centre_x - spread, "y": mid_y, "id": 0},
                {"x": centre_x + spread, "y": mid_y, "id": 1},
            ]
            cdp.send(
                "Input.dispatchTouchEvent",
                {"type": kind, "touchPoints": points if kind != "touchEnd" else []},
            )

        touch("touchStart", 30)
        for spread in (50, 70, 90):
            touch("touchMove", spread)
        scale = page.evaluate(
            "() => new DOMMatrix(getComputedStyle(document.getElementById('lightbox-img')).transform).a"
        )
        touch("touchEnd", 90)
        assert scale > 2, scale
        assert page.locator("#lightbox").is_visible() and counter.inner_text() == "1 / 3"
        page.keyboard.press("Escape")
        page.locator("#lightbox").wait_for(state="hidden")
    finally:
        context.close()
