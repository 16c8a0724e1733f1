"""The event's live stream (Server-Sent Events) over a real socket, while a worker processes uploads."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy
from fastapi.testclient import TestClient

from tests.factories import api_token, create_event, signup, upload
from tests.support.live_server import LiveServer
from tests.support.sse import sse_events


def test_the_stream_tells_counts_and_each_photo_as_it_is_processed(
    client: TestClient, live_server: LiveServer, new_client: Any, dataset: Path
) -> None:
    signup(client)
    token = api_token(client)
    event = create_event(client, name="Live")
    url = f"{live_server.url}/api/events/{event['id']}/stream"
    auth = {"Authorization": f"Bearer {token}"}
    photo = dataset / "identities/Angelina_Jolie/1.jpg"

    seen: list[tuple[str, dict[str, Any]]] = []
    with httpx.stream("GET", url, headers=auth, timeout=30) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        stream = sse_events(r.iter_lines())
        first = next(stream)
        assert first[0] == "counts" and first[1]["photos"]["total"] == 0
        uploaded = upload(client, event["id"], ("jolie.jpg", photo.read_bytes()))
        photo_id = uploaded.json()["items"][0]["id"]
        deadline = time.monotonic() + 60
        counted = announced = False
        for item in stream:
            seen.append(item)
            name, body = item
            counted = counted or (name == "counts" and body["photos"]["indexed"] == 1)
            announced = announced or (
                name == "photo" and body["id"] == photo_id and body["status"] == "indexed"
            )
            if counted and announced:
                break
            assert time.monotonic() < deadline, seen
    done = next(b for n, b in seen if n == "photo" and b["status"] == "indexed")
    assert done["face_count"] == 1 and done["thumbnail_url"] == f"/api/photos/{photo_id}/thumbnail"
    counts = next(b for n, b in reversed(seen) if n == "counts")
    assert counts["faces"] == 1 and counts["photos"]["total"] == 1


def test_the_stream_is_only_for_the_events_owner(
    client: TestClient, live_server: LiveServer, new_client: Any
) -> None:
    signup(client)
    event = create_event(client)
    other = new_client()
    signup(other)
    stranger = api_token(other)
    url = f"{live_server.url}/api/events/{event['id']}/stream"
    assert httpx.get(url, timeout=10).status_code == 401
    r = httpx.get(url, headers={"Authorization": f"Bearer {stranger}"}, timeout=10)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_the_streams_database_reads_stay_off_the_event_loop(
    client: TestClient, live_server: LiveServer
) -> None:
    signup(client)
    token = api_token(client)
    event = create_event(client)
    threads: list[str] = []

    def record(*_args: Any) -> None:
        threads.append(threading.current_thread().name)

    engine = live_server.app.state.ctx.engine
    sqlalchemy.event.listen(engine, "before_cursor_execute", record)
    try:
        url = f"{live_server.url}/api/events/{event['id']}/stream"
        with httpx.stream("GET", url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as r:
            assert next(sse_events(r.iter_lines()))[0] == "counts"
    finally:
        sqlalchemy.event.remove(engine, "before_cursor_execute", record)
    # The server's event loop runs in the "live-server" thread: no query may run there.
    assert threads and "live-server" not in threads, threads
