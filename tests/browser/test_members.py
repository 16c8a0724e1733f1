"""Roles in the browser: an owner adds a viewer from the dashboard's Share tab; the viewer finds the
event in their list and sees a read-only dashboard (and the server refuses what the page leaves out)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.browser.test_dashboard import _signed_in_page
from tests.browser.test_guest_flow import _wait_indexed
from tests.factories import create_event, signup, upload


def test_an_owner_adds_a_viewer_who_sees_a_read_only_dashboard(
    client: TestClient, new_client: Any, live_server: Any, browser: Any, dataset: Path
) -> None:
    owner = signup(client, name="Olga Owner")
    event = create_event(client, name="Harbour Run")
    r = upload(client, event["id"], ("start.jpg", (dataset / "identities/Barack_Obama/1.jpg").read_bytes()))
    photo_id = r.json()["items"][0]["id"]
    _wait_indexed(client, event["id"], 1)
    viewer_client = new_client()
    viewer = signup(viewer_client, name="Vic Viewer")
    url = f"{live_server.url}/events/{event['id']}"

    page = _signed_in_page(browser, live_server.url, owner["email"])
    try:
        page.goto(url)
        page.get_by_role("link", name="Share").click()
        members = page.locator("#members")
        assert "No members yet" in members.inner_text()
        members.get_by_label("E-mail").fill(viewer["email"])
        members.get_by_label("Role").select_option("viewer")
        members.get_by_role("button", name="Add member").click()
        page.wait_for_selector("#member-list")
        assert "Vic Viewer was added as Viewer." in page.locator("main").inner_text()
        assert page.locator("#share").is_visible()  # the page comes back on the Share tab
        row = page.locator(f"#member-list tr[data-user-id='{viewer['id']}']")
        assert (
            "Viewer" in row.inner_text() and row.get_by_role("button", name="Remove Vic Viewer").is_visible()
        )
    finally:
        page.context.close()

    page = _signed_in_page(browser, live_server.url, viewer["email"])
    script_errors: list[str] = []
    page.on("pageerror", lambda e: script_errors.append(str(e)))
    try:
        page.goto(f"{live_server.url}/events")
        card = page.locator(".event-list li", has_text="Harbour Run")
        assert card.locator(".badge.role").inner_text() == "Viewer"
        card.locator("a").click()
        page.wait_for_url(url)
        assert page.locator("#your-role").inner_text() == "Viewer"
        # The photos are there, and the lightbox opens on them...
        tile = page.locator(f"#photo-grid li[data-photo-id='{photo_id}']")
        tile.locator(".thumb").click()
        page.wait_for_selector("#lightbox[open]")
        page.wait_for_function("() => document.getElementById('lightbox-img').src.includes('/preview')")
        assert page.locator("#lightbox-download").is_visible()
        for control in ("#lightbox-delete", "#lightbox-hide", "#lightbox-cover"):
            assert page.locator(control).count() == 0, control
        page.get_by_role("button", name="Close").click()
        # ...but nothing that uploads, curates or changes the event.
        tabs = page.locator("nav.tabs a").all_inner_texts()
        assert tabs == ["Photos", "People", "Share"], tabs
        for gone in (
            "#upload",
            "#settings",
            "#selection-bar",
            "#dropzone",
            "#reprocess-form",
            "#member-form",
            "#people-merge",
            "#people-regroup",
            "#person-rename",
            "#person-split",
        ):
            assert page.locator(gone).count() == 0, gone
        assert tile.locator(".pick").is_hidden()
        assert page.get_by_role("button", name="Publish").count() == 0
        assert page.locator("form[action$='/access-code']").count() == 0
        page.get_by_role("link", name="Share").click()
        assert "Vic Viewer" in page.locator("#member-list").inner_text()
        assert page.locator("#member-list button").count() == 0
        # The server refuses what the page leaves out, in the documented shape.
        answer = page.evaluate(
            """async (id) => {
                const csrf = document.querySelector('meta[name="csrf-token"]').content;
                const r = await fetch(`/api/events/${id}`, {method: "PATCH",
                    headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
                    body: JSON.stringify({name: "Taken over"})});
                return [r.status, (await r.json()).error.code];
            }""",
            event["id"],
        )
        assert answer == [403, "role_not_allowed"]
        assert script_errors == []  # the page's script runs without the controls it leaves out
    finally:
        page.context.close()
    assert client.get(f"/api/events/{event['id']}").json()["name"] == "Harbour Run"
