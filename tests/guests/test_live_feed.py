"""The live screen's public stream (Server-Sent Events) over a real socket, while a worker processes uploads."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from tests.factories import create_event, fetch, signup, upload
from tests.support.live_server import LiveServer
from tests.support.sse import sse_events

JOLIE = "identities/Angelina_Jolie/1.jpg"
OBAMA = "identities/Barack_Obama/1.jpg"
BRICK = "nofaces/skimage_brick.png"


def _until(
    stream: Iterator[tuple[str, dict[str, Any]]], name: str, seen: list[Any], timeout: float = 60
) -> Any:
    deadline = time.monotonic() + timeout
    for item in stream:
        seen.append(item)
        if item[0] == name:
            return item[1]
        assert time.monotonic() < deadline, seen
    raise AssertionError(f"the stream ended before a {name!r} event: {seen}")


def _wait_indexed(client: TestClient, event_id: str, n: int) -> None:
    deadline = time.monotonic() + 60
    while client.get(f"/api/events/{event_id}").json()["counts"]["photos"]["indexed"] < n:
        assert time.monotonic() < deadline, "photos not indexed in 60 s"
        time.sleep(0.2)


def _viewers(server: LiveServer) -> float:
    text = httpx.get(f"{server.url}/metrics", timeout=10).text
    line = next(x for x in text.splitlines() if x.startswith("eventlens_live_screens "))
    return float(line.split()[1])


def test_the_live_feed_sends_new_photos_drops_hidden_ones_and_ends_when_unpublished(
    client: TestClient, live_server: LiveServer, dataset: Path
) -> None:
    signup(client)
    event = create_event(client, name="Gala", access_code="ballroom")
    first = upload(client, event["id"], ("a.jpg", (dataset / JOLIE).read_bytes())).json()["items"][0]["id"]
    _wait_indexed(client, event["id"], 1)
    assert client.post(f"/api/events/{event['id']}/publish").status_code == 200
    url = f"{live_server.url}/api/public/events/{event['slug']}/live"

    # Opened like the guest page: the code or a pass; a stranger learns nothing from the stream.
    assert httpx.get(url, timeout=10).json()["error"]["code"] == "access_code_required"
    assert httpx.get(url, params={"t": "1.bad"}, timeout=10).status_code == 403
    missing = httpx.get(f"{live_server.url}/api/public/events/no-such-event/live", timeout=10)
    assert missing.status_code == 404
    guest_pass = client.post(
        f"/api/public/events/{event['slug']}/access", headers={"X-Access-Code": "ballroom"}
    ).json()["guest_pass"]

    seen: list[Any] = []
    assert _viewers(live_server) == 0
    with httpx.stream("GET", url, params={"t": guest_pass}, timeout=30) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        stream = sse_events(r.iter_lines())
        backlog = _until(stream, "photo", seen)  # something to show at once: the latest photos
        assert backlog["id"] == first and backlog["face_count"] == 1
        image = fetch(client, backlog["preview_url"])  # its URL carries a pass: an <img> can load it
        assert image.status_code == 200 and image.headers["content-type"] == "image/webp"
        assert _viewers(live_server) == 1

        second = upload(client, event["id"], ("b.jpg", (dataset / OBAMA).read_bytes())).json()["items"][0][
            "id"
        ]
        arrived = _until(stream, "photo", seen)
        assert arrived["id"] == second, seen

        assert client.patch(f"/api/photos/{first}", json={"hidden": True}).status_code == 200
        assert _until(stream, "drop", seen) == {"id": first}

        assert client.post(f"/api/events/{event['id']}/unpublish").status_code == 200
        _until(stream, "gone", seen)
    assert [n for n, _ in seen].count("photo") == 2, seen
    deadline = time.monotonic() + 10
    while _viewers(live_server) != 0:  # the count follows closed screens
        assert time.monotonic() < deadline
        time.sleep(0.2)


def test_only_photos_with_faces_when_asked(
    client: TestClient, live_server: LiveServer, dataset: Path
) -> None:
    signup(client)
    event = create_event(client, name="Open day")
    upload(
        client,
        event["id"],
        ("brick.png", (dataset / BRICK).read_bytes()),
        ("face.jpg", (dataset / JOLIE).read_bytes()),
    )
    _wait_indexed(client, event["id"], 2)
    assert client.post(f"/api/events/{event['id']}/publish").status_code == 200
    url = f"{live_server.url}/api/public/events/{event['slug']}/live"
    for faces, expected in ((True, [1]), (False, [0, 1])):
        got: list[int] = []
        # The backlog comes in one go; then the stream is quiet until its 15 s ping: read until then.
        with httpx.stream(
            "GET", url, params={"faces": str(faces).lower()}, timeout=httpx.Timeout(10, read=3)
        ) as r:
            try:
                for name, body in sse_events(r.iter_lines()):
                    assert name == "photo"
                    got.append(body["face_count"])
            except httpx.ReadTimeout:
                pass
        assert sorted(got) == expected
