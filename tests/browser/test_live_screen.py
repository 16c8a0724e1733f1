"""The venue's live screen in Chromium: new photos arrive over the stream, hidden ones leave, and after
hundreds of photos the page holds no more images, listeners or nodes than after a few."""

from __future__ import annotations

import hashlib
import io
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

from eventlens.db import session_scope, utcnow
from eventlens.models import Photo, PhotoSource, PhotoStatus
from eventlens.photos import keys
from tests.factories import create_event, signup, upload

JOLIE = "identities/Angelina_Jolie/1.jpg"
OBAMA = "identities/Barack_Obama/1.jpg"


def _wait_indexed(client: TestClient, photo_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while (photo := client.get(f"/api/photos/{photo_id}").json())["status"] != "indexed":
        assert photo["status"] != "failed", photo
        assert time.monotonic() < deadline, "the photo was not indexed in 60 s"
        time.sleep(0.05)
    return photo


def _wait_attr(page: Any, name: str, value: str, timeout: float = 10) -> None:
    page.wait_for_function(
        "([n, v]) => document.getElementById('live').dataset[n] === v",
        arg=[name, value],
        timeout=timeout * 1000,
    )


def _metrics(cdp: Any) -> dict[str, float]:
    cdp.send("HeapProfiler.collectGarbage")  # count what is still reachable, not what awaits collection
    return {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}


def _add_indexed(live_server: Any, event_id: uuid.UUID, preview: bytes, n: int, start: int) -> None:
    """Photos as the worker leaves them (row + preview object): many, faster than real processing."""
    ctx = live_server.app.state.ctx
    with session_scope(ctx.sessions) as db:
        for i in range(start, start + n):
            photo_id = uuid.uuid4()
            ctx.storage.put_stream(keys.preview_key(event_id, photo_id), io.BytesIO(preview), "image/webp")
            db.add(
                Photo(
                    id=photo_id,
                    event_id=event_id,
                    source=PhotoSource.api,
                    original_filename=f"{i}.jpg",
                    object_key=keys.original_key(event_id, photo_id, "jpg"),
                    sha256=hashlib.sha256(f"{event_id}:{i}".encode()).hexdigest(),
                    size=len(preview),
                    mime="image/jpeg",
                    width=640,
                    height=480,
                    status=PhotoStatus.indexed,
                    face_count=1,
                    has_preview=True,
                    processed_at=utcnow(),
                )
            )


def test_the_live_screen_shows_new_photos_drops_hidden_ones_and_stays_bounded(
    client: TestClient, live_server: Any, browser: Any, dataset: Path
) -> None:
    signup(client)
    event = create_event(client, name="Summer Gala")
    first = upload(client, event["id"], ("a.jpg", (dataset / JOLIE).read_bytes())).json()["items"][0]["id"]
    _wait_indexed(client, first)
    assert client.post(f"/api/events/{event['id']}/publish").status_code == 200

    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    try:
        page.goto(f"{live_server.url}/e/{event['slug']}/live?interval=2")
        assert page.get_by_role("heading", name="Summer Gala").is_visible()
        assert page.get_by_role("img", name="QR code of the event's guest page").is_visible()
        _wait_attr(page, "showing", first)

        # A photo uploaded after the screen opened: on screen within 2 s of being indexed.
        second = upload(client, event["id"], ("b.jpg", (dataset / OBAMA).read_bytes())).json()["items"][0][
            "id"
        ]
        indexed = datetime.fromisoformat(_wait_indexed(client, second)["processed_at"])
        _wait_attr(page, "lastId", second)
        arrived_ms = int(page.evaluate("document.getElementById('live').dataset.lastAt"))
        assert arrived_ms / 1000 - indexed.timestamp() < 2.0
        _wait_attr(page, "showing", second)

        # Hidden by the photographer: it leaves the screen and does not come back.
        assert client.patch(f"/api/photos/{first}", json={"hidden": True}).status_code == 200
        time.sleep(2.5)  # the stream looks once a second
        for _ in range(10):
            assert page.evaluate("document.getElementById('live').dataset.showing") == second
            assert first not in (page.locator(".slide.on").get_attribute("src") or "")
            time.sleep(0.5)

        # Hundreds of photos arriving: the page keeps two slides, and no growing listeners or nodes.
        preview = client.get(f"/api/photos/{second}/preview", follow_redirects=True).content
        cdp = context.new_cdp_session(page)
        cdp.send("Performance.enable")
        _add_indexed(live_server, uuid.UUID(event["id"]), preview, 20, 0)
        _wait_attr(page, "received", str(2 + 20))
        page.wait_for_timeout(3000)
        before = _metrics(cdp)
        for batch in range(9):
            _add_indexed(live_server, uuid.UUID(event["id"]), preview, 20, 20 + batch * 20)
            time.sleep(0.5)
        _wait_attr(page, "received", str(2 + 200), timeout=30)
        page.wait_for_timeout(3000)
        after = _metrics(cdp)
        assert page.locator("img").count() == 3  # two slides and the QR code
        assert int(page.evaluate("document.getElementById('live').dataset.kept")) <= 60
        assert after["JSEventListeners"] <= before["JSEventListeners"], (before, after)
        assert after["Nodes"] <= before["Nodes"] + 20, (before, after)
    finally:
        context.close()
    assert problems == []
    # Nothing from elsewhere: the app, and (scaled profile) the object store's signed URLs on this machine.
    assert {urlsplit(u).hostname for u in requests} == {"127.0.0.1"}, requests
