"""A guest asks to be removed from the event's search in the browser; searching again finds nothing of
them, and the photographer's dashboard lists the request and takes the decision."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.browser.test_dashboard import _signed_in_page
from tests.browser.test_guest_flow import _wait_indexed
from tests.factories import create_event, signup, upload

JOLIE = [f"identities/Angelina_Jolie/{n}.jpg" for n in (1, 2, 3)]
OBAMA = "identities/Barack_Obama/1.jpg"
SELFIE = "identities/Angelina_Jolie/6.jpg"


def test_a_guest_removes_themselves_and_the_photographer_sees_the_request(
    client: TestClient, live_server: Any, browser: Any, dataset: Path
) -> None:
    owner = signup(client)
    event = create_event(client, name="Boat Party")
    names = [*JOLIE, OBAMA]
    r = upload(client, event["id"], *[(f"{i}.jpg", (dataset / n).read_bytes()) for i, n in enumerate(names)])
    assert r.json()["stored"] == len(names), r.text
    _wait_indexed(client, event["id"], len(names))
    assert client.post(f"/api/events/{event['id']}/publish").status_code == 200
    ids = dict(zip(names, [i["id"] for i in r.json()["items"]], strict=True))

    context = browser.new_context()
    page = context.new_page()
    script_errors: list[str] = []
    page.on("pageerror", lambda e: script_errors.append(str(e)))
    try:
        page.goto(f"{live_server.url}/e/{event['slug']}")
        with page.expect_response(lambda res: res.url.split("?")[0].endswith("/search")):
            page.set_input_files("#file-input", str(dataset / SELFIE))
        page.get_by_role("heading", name="You are in 3 photos").wait_for()

        page.get_by_text("Remove me from this event's search").click()
        assert (
            "only a mathematical description of your face is kept"
            in page.locator("#removal-explain").inner_text()
        )
        page.set_input_files("#removal-file", str(dataset / SELFIE))
        page.get_by_role("button", name="Remove me").click()
        page.get_by_text("Tick the box to confirm").wait_for()  # nothing sent without the box
        page.locator("#removal-confirm").check()
        with page.expect_response(lambda res: res.url.split("?")[0].endswith("/removals")) as sent:
            page.get_by_role("button", name="Remove me").click()
        assert sent.value.status == 201
        page.get_by_text("You are hidden from this event's search (3 faces found)").wait_for()
        assert not page.locator("#results").is_visible(), "the earlier results are put away"

        # Searching again finds nothing of her.
        with page.expect_response(lambda res: res.url.split("?")[0].endswith("/search")):
            page.set_input_files("#file-input", str(dataset / SELFIE))
        page.locator("#empty").wait_for()
        assert page.locator("#grid li").count() == 0
        assert script_errors == []
    finally:
        context.close()

    page = _signed_in_page(browser, live_server.url, owner["email"])
    try:
        page.goto(f"{live_server.url}/events/{event['id']}")
        requests = page.locator("#removals .removal-request")
        assert requests.count() == 1
        assert "3 photos affected" in requests.inner_text()
        srcs = set(requests.locator("img").evaluate_all("imgs => imgs.map(i => i.getAttribute('src'))"))
        assert srcs == {f"/api/photos/{ids[n]}/thumbnail" for n in JOLIE}
        page.wait_for_function(
            "() => [...document.querySelectorAll('#removals img')].every(i => i.complete && i.naturalWidth > 0)"
        )
        requests.get_by_role("button", name="Hide these photos from the gallery").click()
        page.wait_for_selector("#removals .removal-request[data-decision='hidden']")
        assert "Photos hidden from the gallery" in page.locator("#removals").inner_text()
    finally:
        page.context.close()
    assert all(client.get(f"/api/photos/{ids[n]}").json()["hidden"] for n in JOLIE)
    assert client.get(f"/api/photos/{ids[OBAMA]}").json()["hidden"] is False
