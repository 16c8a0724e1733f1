"""The dashboard's People tab in a real browser: people with their photo counts, most first; open one;
merge two people into one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.browser.test_dashboard import _signed_in_page
from tests.browser.test_guest_flow import _wait_indexed
from tests.factories import create_event, signup, upload

PHOTOS = [
    "identities/Angelina_Jolie/1.jpg",
    "identities/Angelina_Jolie/2.jpg",
    "identities/Barack_Obama/1.jpg",
    "identities/George_Clooney/1.jpg",
]


def test_the_people_tab_lists_opens_and_merges(
    client: TestClient, live_server: Any, browser: Any, dataset: Path
) -> None:
    owner = signup(client, name="Olga Owner")
    event = create_event(client, name="Film Night")
    r = upload(client, event["id"], *[(n.replace("/", "_"), (dataset / n).read_bytes()) for n in PHOTOS])
    assert r.json()["stored"] == len(PHOTOS), r.text
    _wait_indexed(client, event["id"], len(PHOTOS))
    page = _signed_in_page(browser, live_server.url, owner["email"])
    script_errors: list[str] = []
    page.on("pageerror", lambda e: script_errors.append(str(e)))
    try:
        page.goto(f"{live_server.url}/events/{event['id']}")
        page.get_by_role("link", name="People").click()
        page.wait_for_function("() => document.querySelectorAll('#people-grid li').length === 3")
        counts = page.locator("#people-grid .person-count").all_inner_texts()
        assert counts == ["2 photos", "1 photo", "1 photo"], counts
        page.wait_for_function(
            "() => [...document.querySelectorAll('#people-grid img')].every(i => i.complete && i.naturalWidth > 0)"
        )

        page.locator("#people-grid .person-open").first.click()
        page.wait_for_function("() => document.querySelectorAll('#person-photos li').length === 2")
        assert page.locator("#person-faces li").count() == 2
        page.get_by_label("Name (only you see it)").fill("Angelina")
        page.get_by_role("button", name="Save name").click()
        page.wait_for_function(
            "() => document.getElementById('person-title').textContent.startsWith('Angelina')"
        )
        page.get_by_role("button", name="All people").click()

        # the list is fetched again: the named person comes back first
        page.wait_for_function(
            "() => document.querySelector('#people-grid .person-name')?.textContent === 'Angelina'"
        )
        assert page.locator("#people-grid li").count() == 3
        merge = page.get_by_role("button", name="Merge selected")
        assert merge.is_disabled()
        picks = page.locator("#people-grid .pick")
        picks.nth(1).check()
        picks.nth(2).check()
        assert merge.is_enabled()
        merge.click()
        page.wait_for_function("() => document.querySelectorAll('#people-grid li').length === 2")
        counts = page.locator("#people-grid .person-count").all_inner_texts()
        assert counts == ["2 photos", "2 photos"], counts

        # hide the first person from guest searches (their photos stay in the gallery)
        page.locator("#people-grid .person-open").first.click()
        page.wait_for_function("() => !document.getElementById('person-view').hidden")
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Hide from guest searches").click()
        page.wait_for_function("() => !document.getElementById('person-hidden-note').hidden")
        assert page.get_by_role("button", name="Let guests find them again").is_visible()
        page.get_by_role("button", name="All people").click()
        page.wait_for_function(
            "() => document.querySelectorAll('#people-grid li.hidden-person').length === 1"
        )
        assert script_errors == []
    finally:
        page.context.close()
    people = client.get(f"/api/events/{event['id']}/people").json()["items"]
    assert sorted(p["photo_count"] for p in people) == [2, 2]
    assert {p["name"] for p in people} == {"Angelina", None}
    assert sorted(p["hidden"] for p in people) == [False, True]
