"""A guest on the event's link: access code, a selfie from the (fake) camera, their photos, the ZIP."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from eventlens.config import Settings
from tests.browser.conftest import launch
from tests.browser.fake_camera import still_to_y4m
from tests.factories import create_event, signup, upload

JOLIE = [
    "identities/Angelina_Jolie/1.jpg",
    "identities/Angelina_Jolie/2.jpg",
    "identities/Angelina_Jolie/3.jpg",
]
OTHERS = ["identities/Barack_Obama/1.jpg", "identities/George_Clooney/1.jpg"]
SELFIE = "identities/Angelina_Jolie/6.jpg"


def _wait_indexed(client: TestClient, event_id: str, n: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        counts = client.get(f"/api/events/{event_id}").json()["counts"]["photos"]
        if counts["indexed"] == n:
            return
        assert counts["failed"] == 0, counts
        assert time.monotonic() < deadline, f"photos not indexed in {timeout} s: {counts}"
        time.sleep(0.2)


def test_a_guest_finds_and_downloads_their_photos(
    client: TestClient,
    live_server: Any,
    playwright_instance: Any,
    dataset: Path,
    tmp_path: Path,
    settings: Settings,
) -> None:
    signup(client)
    event = create_event(client, name="Film Night", access_code="popcorn")
    names = [*JOLIE, *OTHERS]
    r = upload(
        client,
        event["id"],
        *[(f"{i}-{Path(n).parent.name}.jpg", (dataset / n).read_bytes()) for i, n in enumerate(names)],
    )
    assert r.json()["stored"] == len(names), r.text
    _wait_indexed(client, event["id"], len(names))  # the live server's job consumer does the work
    assert client.post(f"/api/events/{event['id']}/publish").status_code == 200
    jolie_ids = {item["id"] for item in r.json()["items"][: len(JOLIE)]}

    camera = still_to_y4m(dataset / SELFIE, tmp_path / "selfie.y4m")
    browser = launch(
        playwright_instance,
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={camera}",
    )
    try:
        context = browser.new_context(viewport={"width": 390, "height": 844}, accept_downloads=True)
        context.grant_permissions(["camera"], origin=live_server.url)
        page = context.new_page()
        requests: list[str] = []
        page.on("request", lambda req: requests.append(req.url))
        searches: list[Any] = []
        page.on("request", lambda req: searches.append(req) if "/search" in req.url else None)
        page.goto(f"{live_server.url}/e/{event['slug']}")
        assert page.get_by_role("heading", name="Film Night").is_visible()

        page.get_by_label("access code").fill("wrong")
        page.get_by_role("button", name="Open the photos").click()
        page.get_by_text("That access code is not right.").wait_for()
        page.get_by_label("access code").fill("popcorn")
        page.get_by_role("button", name="Open the photos").click()

        page.get_by_text("is not stored").wait_for()  # the consent notice, before the camera opens
        page.get_by_role("button", name="Take a selfie").click()
        page.wait_for_function("() => document.getElementById('camera-video').videoWidth > 0")
        page.get_by_role("button", name="Use this picture").click()
        page.get_by_role("heading", name=f"You are in {len(JOLIE)} photos").wait_for(timeout=15_000)

        thumbs = page.locator("#grid img")
        assert thumbs.count() == len(JOLIE)
        srcs = [thumbs.nth(i).get_attribute("src") or "" for i in range(thumbs.count())]
        assert {s.split("/photos/")[1].split("/")[0] for s in srcs} == jolie_ids
        page.wait_for_function(
            "() => [...document.querySelectorAll('#grid img')].every(i => i.complete && i.naturalWidth > 0)"
        )

        thumbs.first.click()
        assert page.locator("#lightbox").is_visible()
        page.keyboard.press("Escape")

        with page.expect_download() as info:
            page.get_by_role("button", name="Download all (ZIP)").click()
        archive = zipfile.ZipFile(io.BytesIO(Path(info.value.path()).read_bytes()))
        got = sorted(archive.read(n) for n in archive.namelist())
        assert got == sorted((dataset / n).read_bytes() for n in JOLIE)
        # The code was checked once; searches carry the guest pass, never the code itself.
        assert searches and all("?t=" in req.url for req in searches)
        assert all("x-access-code" not in req.headers for req in searches)
        page.reload()  # the same tab: the pass is remembered, the code is not asked again
        assert page.get_by_role("button", name="Take a selfie").is_visible()
        assert not page.get_by_label("access code").is_visible()
        assert "popcorn" not in str(page.evaluate("JSON.stringify(sessionStorage)"))
        # Nothing third-party: the page's own server, and the object store's signed URLs when it is S3.
        own = [live_server.url, settings.s3_endpoint_url or live_server.url]
        assert all(u.startswith(tuple(own)) for u in requests), [
            u for u in requests if not u.startswith(tuple(own))
        ]
    finally:
        browser.close()


def test_no_face_and_nobody_found_get_clear_messages(
    client: TestClient, live_server: Any, browser: Any, dataset: Path
) -> None:
    signup(client)
    event = create_event(client, name="Open Day")
    r = upload(client, event["id"], ("a.jpg", (dataset / JOLIE[0]).read_bytes()))
    assert r.status_code == 201
    _wait_indexed(client, event["id"], 1)
    assert client.post(f"/api/events/{event['id']}/publish").status_code == 200

    page = browser.new_page()
    try:
        page.goto(f"{live_server.url}/e/{event['slug']}")
        assert not page.get_by_label("access code").is_visible()  # no code on this event
        page.set_input_files("#file-input", str(dataset / "nofaces/skimage_brick.png"))
        page.get_by_text("No face was found in that picture").wait_for()
        page.set_input_files("#file-input", str(dataset / "identities/Joe_Biden/1.jpg"))
        page.get_by_role("heading", name="No photos of you yet").wait_for()
        assert page.get_by_text("new photos keep arriving").is_visible()
        assert not page.get_by_role("button", name="Download all (ZIP)").is_visible()
    finally:
        page.close()
