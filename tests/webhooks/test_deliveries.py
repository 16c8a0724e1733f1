"""Deliveries for real: the job queue sends signed notices to a receiver on a socket, which verifies them
with the ``standardwebhooks`` library; retries follow the schedule; drafts tell nobody."""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from eventlens.photos.keys import event_prefix
from eventlens.webhooks import service
from tests.factories import create_event, run_jobs, signup, upload
from tests.support.live_server import LiveServer
from tests.webhooks.receiver import Receiver

JOLIE = "identities/Angelina_Jolie/1.jpg"
JOLIE_SELFIE = "identities/Angelina_Jolie/6.jpg"
OBAMA = "identities/Barack_Obama/1.jpg"
ALL_TYPES = ["photo.indexed", "photo.failed", "event.published", "event.archived", "guest.search"]


def _hook(
    client: TestClient, event_id: str, receiver: Receiver, events: list[str] = ALL_TYPES
) -> dict[str, Any]:
    r = client.post(f"/api/events/{event_id}/webhooks", json={"url": receiver.url, "events": events})
    assert r.status_code == 201, r.text
    hook: dict[str, Any] = r.json()
    receiver.secret = hook["secret"]
    return hook


def _photo(dataset: Path, name: str) -> tuple[str, bytes]:
    return (name.replace("/", "_"), (dataset / name).read_bytes())


def _deliveries(client: TestClient, event_id: str, hook_id: str) -> list[dict[str, Any]]:
    r = client.get(f"/api/events/{event_id}/webhooks/{hook_id}/deliveries")
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def test_a_draft_tells_nobody_and_a_published_event_sends_signed_notices(
    client: TestClient, app: Any, dataset: Path, receiver: Receiver
) -> None:
    signup(client)
    event = create_event(client)
    hook = _hook(client, event["id"], receiver)

    # Draft: photos are processed, nothing is sent, nothing is logged.
    assert upload(client, event["id"], _photo(dataset, OBAMA)).status_code == 201
    run_jobs(app)
    assert client.get(f"/api/events/{event['id']}").json()["counts"]["photos"]["indexed"] == 1
    assert receiver.received == []
    assert _deliveries(client, event["id"], hook["id"]) == []

    # Published: the status change and then each processed photo are sent, signed.
    assert client.post(f"/api/events/{event['id']}/publish").status_code == 200
    r = upload(client, event["id"], _photo(dataset, JOLIE))
    photo_id = r.json()["items"][0]["id"]
    run_jobs(app)
    received = receiver.wait_for(2)
    assert [item.error for item in received] == [None, None]
    published, indexed = (item.verified for item in received)
    assert published["type"] == "event.published"
    assert published["data"]["event"] == {
        "id": event["id"],
        "slug": event["slug"],
        "name": "Summer Gala",
        "status": "published",
    }
    assert indexed["type"] == "photo.indexed"
    assert indexed["data"]["photo"] == {
        "id": photo_id,
        "filename": JOLIE.replace("/", "_"),
        "face_count": 1,
    }
    assert indexed["timestamp"].endswith("Z")
    # The headers of the standard; the id is the log's message id.
    log = _deliveries(client, event["id"], hook["id"])
    assert [d["type"] for d in log] == ["photo.indexed", "event.published"]  # newest first
    assert {d["status"] for d in log} == {"succeeded"}
    assert received[1].headers["webhook-id"] == log[0]["message_id"]
    assert log[0]["tries"][0]["status_code"] == 204 and log[0]["tries"][0]["attempt"] == 1
    assert received[0].headers["Content-Type"] == "application/json"
    # A message signed with another secret does not verify.
    receiver.secret = service.new_secret()
    from standardwebhooks.webhooks import Webhook, WebhookVerificationError

    try:
        Webhook(receiver.secret).verify(received[0].body, received[0].headers)
        raise AssertionError("a wrong secret verified")
    except WebhookVerificationError:
        pass


def test_a_photo_that_fails_is_told_too(
    client: TestClient, app: Any, dataset: Path, receiver: Receiver
) -> None:
    signup(client)
    event = create_event(client)
    client.post(f"/api/events/{event['id']}/publish")
    _hook(client, event["id"], receiver, ["photo.failed"])
    r = upload(client, event["id"], _photo(dataset, OBAMA))
    assert r.status_code == 201
    # The original vanishes from storage before processing: a permanent failure.
    app.state.ctx.storage.delete_prefix(event_prefix(uuid.UUID(event["id"])))
    run_jobs(app)
    (item,) = receiver.wait_for(1)
    assert item.verified["type"] == "photo.failed"
    assert "missing" in item.verified["data"]["photo"]["error"]


def test_a_guest_search_sends_counts_only(
    client: TestClient, app: Any, dataset: Path, receiver: Receiver, new_client
) -> None:  # type: ignore[no-untyped-def]
    signup(client)
    event = create_event(client)
    upload(client, event["id"], _photo(dataset, JOLIE), _photo(dataset, OBAMA))
    run_jobs(app)
    client.post(f"/api/events/{event['id']}/publish")
    _hook(client, event["id"], receiver, ["guest.search"])
    guest = new_client()
    selfie = (dataset / JOLIE_SELFIE).read_bytes()
    r = guest.post(f"/api/public/events/{event['slug']}/search", files={"selfie": ("me.jpg", selfie)})
    assert r.status_code == 200, r.text
    run_jobs(app)
    (item,) = receiver.wait_for(1)
    notice = item.verified
    assert notice["type"] == "guest.search"
    assert set(notice) == {"type", "timestamp", "data"}
    assert set(notice["data"]) == {"event", "search"}
    assert notice["data"]["search"] == {"selfies": 1, "matches": len(r.json()["matches"])}
    assert notice["data"]["search"]["matches"] >= 1
    # Nothing of the guest: no address, no image, no numbers but the two counts.
    assert "testclient" not in item.body.decode() and len(item.body) < 400


def test_the_test_button_sends_also_for_a_draft(client: TestClient, app: Any, receiver: Receiver) -> None:
    signup(client)
    event = create_event(client)
    hook = _hook(client, event["id"], receiver, ["event.archived"])
    r = client.post(f"/api/events/{event['id']}/webhooks/{hook['id']}/test")
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "pending" and r.json()["type"] == "webhook.test"
    run_jobs(app)
    (item,) = receiver.wait_for(1)
    assert item.verified["type"] == "webhook.test"
    assert item.verified["data"]["webhook_id"] == hook["id"]
    # Archiving a draft is a status change the endpoint asked for.
    client.post(f"/api/events/{event['id']}/archive")
    run_jobs(app)
    assert receiver.wait_for(2)[1].verified["type"] == "event.archived"


def test_a_receiver_that_fails_twice_gets_the_delivery_on_the_third_try(
    client: TestClient, live_server: LiveServer, receiver: Receiver
) -> None:
    """The real consumer (threads in the live server, sharing the queue) runs the tries on the schedule."""
    receiver.answers = [500, 503]
    signup(client)
    event = create_event(client)
    hook = _hook(client, event["id"], receiver, ["event.published"])
    assert client.post(f"/api/events/{event['id']}/publish").status_code == 200
    received = receiver.wait_for(3)
    deadline = time.monotonic() + 20
    while (log := _deliveries(client, event["id"], hook["id"]))[0]["status"] != "succeeded":
        assert time.monotonic() < deadline, log
        time.sleep(0.1)
    (delivery,) = log
    assert [t["status_code"] for t in delivery["tries"]] == [500, 503, 204]
    assert [t["attempt"] for t in delivery["tries"]] == [1, 2, 3]
    assert delivery["tries"][0]["error"].startswith("HTTP 500")
    assert delivery["attempts"] == 3 and delivery["next_attempt_at"] is None
    # The same message every time (receivers de-duplicate by webhook-id), each signed afresh.
    assert len({r.headers["webhook-id"] for r in received}) == 1
    assert [r.error for r in received] == [None, None, None]
    assert {json.dumps(r.verified, sort_keys=True) for r in received} == {
        json.dumps(received[0].verified, sort_keys=True)
    }
    time.sleep(0.6)
    assert len(receiver.received) == 3  # nothing more once it succeeded


def test_a_delivery_gives_up_after_the_last_try(client: TestClient, app: Any, receiver: Receiver) -> None:
    receiver.answers = [500] * 10
    signup(client)
    event = create_event(client)
    hook = _hook(client, event["id"], receiver, ["event.published"])
    client.post(f"/api/events/{event['id']}/publish")
    ctx = app.state.ctx
    delivery_id = uuid.UUID(_deliveries(client, event["id"], hook["id"])[0]["id"])
    policy = service.DeliveryPolicy(allow_private=True, retry_delays=(0.1, 0.1), timeout=5)
    pauses = [service.deliver(ctx.sessions, delivery_id, policy) for _ in range(4)]
    assert pauses == [0.1, 0.1, None, None]  # three tries, then nothing (the 4th call finds it failed)
    (log,) = _deliveries(client, event["id"], hook["id"])
    assert log["status"] == "failed" and log["attempts"] == 3
    assert len(receiver.received) == 3


def test_a_url_that_now_points_at_a_private_address_is_refused_at_delivery(
    client: TestClient, app: Any, receiver: Receiver
) -> None:
    signup(client)
    event = create_event(client)
    hook = _hook(client, event["id"], receiver, ["event.published"])  # allowed when added (tests' setting)
    client.post(f"/api/events/{event['id']}/publish")
    delivery_id = uuid.UUID(_deliveries(client, event["id"], hook["id"])[0]["id"])
    strict = service.DeliveryPolicy(allow_private=False, retry_delays=(), timeout=5)
    assert service.deliver(app.state.ctx.sessions, delivery_id, strict) is None
    (log,) = _deliveries(client, event["id"], hook["id"])
    assert log["status"] == "failed"
    assert log["tries"][0]["status_code"] is None
    assert "private, loopback or link-local" in log["tries"][0]["error"]
    assert receiver.received == []


def test_a_slow_or_huge_answer_is_cut_short(client: TestClient, app: Any) -> None:
    """A try waits at most the timeout, and reads at most a few kilobytes of any answer."""
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    mode = {"slow": True}

    def answer(conn: socket.socket, slow: bool) -> None:
        with conn:
            conn.recv(65536)
            if slow:
                time.sleep(2)
            else:
                with contextlib.suppress(OSError):  # we hang up after a few kilobytes
                    conn.sendall(b"HTTP/1.1 500 Oops\r\nContent-Length: 100000000\r\n\r\n" + b"x" * 1_000_000)

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=answer, args=(conn, mode["slow"]), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    signup(client)
    event = create_event(client)
    r = client.post(
        f"/api/events/{event['id']}/webhooks",
        json={"url": f"http://127.0.0.1:{port}/h", "events": ["event.published"]},
    )
    hook = r.json()
    client.post(f"/api/events/{event['id']}/publish")
    delivery_id = uuid.UUID(_deliveries(client, event["id"], hook["id"])[0]["id"])
    ctx = app.state.ctx
    policy = service.DeliveryPolicy(allow_private=True, retry_delays=(0.0,), timeout=0.5)
    started = time.monotonic()
    service.deliver(ctx.sessions, delivery_id, policy)
    assert time.monotonic() - started < 1.9
    mode["slow"] = False
    service.deliver(ctx.sessions, delivery_id, policy)
    listener.close()
    (log,) = _deliveries(client, event["id"], hook["id"])
    first, second = log["tries"]
    assert first["status_code"] is None and "no answer within 0.5 s" in first["error"]
    assert second["status_code"] == 500 and second["error"].startswith("HTTP 500")
    assert len(second["error"]) < 300


def test_a_delivery_whose_job_was_lost_is_sent_by_the_sweep(
    client: TestClient, app: Any, receiver: Receiver
) -> None:
    from datetime import timedelta

    from eventlens.db import session_scope, utcnow
    from eventlens.models import WebhookDelivery

    signup(client)
    event = create_event(client)
    hook = _hook(client, event["id"], receiver, ["event.published"])
    client.post(f"/api/events/{event['id']}/publish")
    ctx = app.state.ctx
    ctx.queue.huey.flush()  # the queue lost the job (say, Redis was down when it was sent)
    assert run_jobs(app) == 0
    ctx.queue.enqueue("webhooks.sweep")
    run_jobs(app)
    assert receiver.received == []  # not late yet: its job may still be waiting its turn
    with session_scope(ctx.sessions) as db:
        for row in db.query(WebhookDelivery):
            row.next_attempt_at = utcnow() - timedelta(minutes=6)
    ctx.queue.enqueue("webhooks.sweep")
    run_jobs(app)
    (item,) = receiver.wait_for(1)
    assert item.verified["type"] == "event.published"
    (log,) = _deliveries(client, event["id"], hook["id"])
    assert log["status"] == "succeeded" and log["attempts"] == 1
