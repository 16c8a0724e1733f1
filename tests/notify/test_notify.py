"""Notify me, for real: a guest subscribes with a selfie; photos processed later are matched; one e-mail
per batch reaches a real SMTP server (aiosmtpd) listing only the guest's photos; its links open the
results and unsubscribe (RFC 8058), which deletes the embedding row."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from eventlens.db import session_scope, utcnow
from eventlens.models import NotifyMatch, NotifySubscription
from eventlens.notify.service import CONSENT_TEXT
from tests.factories import assert_error, create_event, run_jobs, signup, upload
from tests.notify.smtp_server import SmtpServer

SELFIE = "identities/Angelina_Jolie/6.jpg"
A_PHOTOS = ["identities/Angelina_Jolie/1.jpg", "identities/Angelina_Jolie/2.jpg"]
A_LATER = "identities/Angelina_Jolie/3.jpg"
A_LAST = "identities/Angelina_Jolie/4.jpg"
B_PHOTO = "identities/Barack_Obama/1.jpg"
GUEST = "guest.a@example.org"


def _file(dataset: Path, name: str) -> tuple[str, bytes]:
    return (name.replace("/", "_"), (dataset / name).read_bytes())


def _published(client: TestClient, **fields: Any) -> dict[str, Any]:
    signup(client)
    event = create_event(client, **fields)
    assert client.post(f"/api/events/{event['id']}/publish").status_code == 200
    return event


def subscribe(
    guest: TestClient, slug: str, selfie: bytes, email: str = GUEST, consent: str | None = "true", **kw: Any
) -> Any:
    data = {"email": email} | ({"consent": consent} if consent is not None else {})
    return guest.post(
        f"/api/public/events/{slug}/subscriptions",
        files=[("selfie", ("me.jpg", selfie, "image/jpeg"))],
        data=data,
        **kw,
    )


def _uploaded_ids(response: Any) -> list[str]:
    assert response.status_code == 201, response.text
    return [item["id"] for item in response.json()["items"]]


def _rows(app: Any, model: Any) -> int:
    with session_scope(app.state.ctx.sessions) as db:
        return int(db.scalar(select(func.count()).select_from(model)) or 0)


def _photo_ids_in(message: EmailMessage) -> set[str]:
    html = message.get_body(("html",))
    assert html is not None
    return set(re.findall(r"/photos/([0-9a-f-]{36})/thumbnail\?t=", html.get_content()))


def _links(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",))
    assert text is not None
    results = re.search(r"https://testserver/n/\S+", text.get_content())
    assert results is not None
    unsubscribe = message["List-Unsubscribe"].strip("<>")
    return results.group(0), unsubscribe


def test_new_photos_of_the_guest_are_mailed_once_per_batch_and_unsubscribe_deletes_the_embedding(
    client: TestClient, new_client: Any, app: Any, dataset: Path, smtp: SmtpServer
) -> None:
    event = _published(client)
    guest = new_client()
    r = subscribe(guest, event["slug"], (dataset / SELFIE).read_bytes())
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["email"] == GUEST and body["consent_text"] == CONSENT_TEXT and body["selfies_used"] == 1

    # New photos: two of A, one of B, processed by the real queue.
    ids = _uploaded_ids(upload(client, event["id"], *[_file(dataset, n) for n in [*A_PHOTOS, B_PHOTO]]))
    a_ids, b_id = set(ids[:2]), ids[2]
    run_jobs(app)
    messages = smtp.wait_for(1)
    run_jobs(app)  # nothing more is on its way
    assert len(smtp.messages) == 1
    mail = messages[0]
    assert smtp.recipients[0] == [GUEST]
    assert mail["To"] == GUEST and "2 new photos of you" in mail["Subject"]
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail["List-Unsubscribe"].startswith("<https://testserver/unsubscribe/")
    assert _photo_ids_in(mail) == a_ids and b_id not in mail.as_string()
    # Plain text and HTML, nothing attached (the thumbnails are links).
    assert {p.get_content_type() for p in mail.walk() if not p.is_multipart()} == {"text/plain", "text/html"}

    # A photo of A within the batching window waits: no second e-mail yet.
    later = _uploaded_ids(upload(client, event["id"], _file(dataset, A_LATER)))[0]
    run_jobs(app)
    assert len(smtp.messages) == 1
    # Once the window has passed, the minute sweep sends it in a batch of its own.
    with session_scope(app.state.ctx.sessions) as db:
        db.execute(update(NotifySubscription).values(last_sent_at=utcnow() - timedelta(minutes=11)))
    app.state.ctx.queue.enqueue("notify.sweep")
    run_jobs(app)
    second = smtp.wait_for(2)[1]
    assert _photo_ids_in(second) == {later} and "1 new photo of you" in second["Subject"]

    # The results link opens A's photos without a selfie (page and API).
    results_url, unsubscribe_url = _links(mail)
    page = new_client().get(urlsplit(results_url).path)
    assert page.status_code == 200
    shown = set(re.findall(r'data-photo-id="([0-9a-f-]{36})"', page.text))
    assert a_ids | {later} <= shown and b_id not in shown
    token = urlsplit(results_url).path.rsplit("/", 1)[1]
    api = new_client().get(f"/api/public/subscriptions/{token}/matches")
    assert api.status_code == 200, api.text
    high = {m["photo_id"] for m in api.json()["matches"] if m["tier"] == "high"}
    assert high == a_ids | {later}
    thumb = new_client().get(api.json()["matches"][0]["thumbnail_url"], follow_redirects=False)
    assert thumb.status_code in (200, 307)

    # The confirmation page (GET) changes nothing; the one-click POST deletes the embedding row.
    path = urlsplit(unsubscribe_url).path
    confirm = new_client().get(path)
    assert confirm.status_code == 200 and 'method="post"' in confirm.text
    assert _rows(app, NotifySubscription) == 1
    done = new_client().post(
        path,
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert done.status_code == 200 and "unsubscribed" in done.text
    assert _rows(app, NotifySubscription) == 0 and _rows(app, NotifyMatch) == 0
    assert new_client().post(path).status_code == 200  # a second click is no error
    assert new_client().get(urlsplit(results_url).path).status_code == 404

    # No further mail, whatever arrives.
    upload(client, event["id"], _file(dataset, A_LAST))
    run_jobs(app)
    app.state.ctx.queue.enqueue("notify.sweep")
    run_jobs(app)
    assert len(smtp.messages) == 2

    counts = client.get(f"/api/events/{event['id']}").json()["counts"]
    assert counts["subscribers"] == 0 and counts["notifications_sent"] == 2


def test_the_dashboard_counts_subscribers_never_their_addresses(
    client: TestClient, new_client: Any, dataset: Path
) -> None:
    event = _published(client)
    selfie = (dataset / SELFIE).read_bytes()
    assert subscribe(new_client(), event["slug"], selfie).status_code == 201
    assert subscribe(new_client(), event["slug"], selfie, email="other@example.org").status_code == 201
    # Subscribing again with the same address replaces the earlier subscription.
    assert subscribe(new_client(), event["slug"], selfie, email=GUEST.upper()).status_code == 201
    read = client.get(f"/api/events/{event['id']}")
    assert read.json()["counts"]["subscribers"] == 2
    assert GUEST not in read.text and "other@example.org" not in client.get(f"/events/{event['id']}").text


def test_archiving_or_deleting_the_event_removes_every_subscription(
    client: TestClient, new_client: Any, app: Any, dataset: Path
) -> None:
    event = _published(client)
    selfie = (dataset / SELFIE).read_bytes()
    assert subscribe(new_client(), event["slug"], selfie).status_code == 201
    assert subscribe(new_client(), event["slug"], selfie, email="b@example.org").status_code == 201
    assert _rows(app, NotifySubscription) == 2
    assert client.post(f"/api/events/{event['id']}/archive").status_code == 200
    assert _rows(app, NotifySubscription) == 0

    assert client.post(f"/api/events/{event['id']}/publish").status_code == 200
    assert subscribe(new_client(), event["slug"], selfie).status_code == 201
    assert _rows(app, NotifySubscription) == 1
    assert client.delete(f"/api/events/{event['id']}").status_code == 204
    assert _rows(app, NotifySubscription) == 0


def test_consent_and_a_valid_address_and_a_face_are_required(
    client: TestClient, new_client: Any, app: Any, dataset: Path
) -> None:
    event = _published(client)
    selfie = (dataset / SELFIE).read_bytes()
    guest = new_client()
    assert_error(subscribe(guest, event["slug"], selfie, consent=None), 422, "consent_required")
    assert_error(subscribe(guest, event["slug"], selfie, consent="false"), 422, "consent_required")
    assert_error(subscribe(guest, event["slug"], selfie, email="not-an-address"), 422, "validation_error")
    assert_error(subscribe(guest, event["slug"], selfie, email="a@b.c\r\nBcc: x@y.z"), 422)
    long_address = "a" * 1100 + "@example.org"
    assert_error(subscribe(guest, event["slug"], selfie, email=long_address), 413, "field_too_large")
    nobody = (dataset / "nofaces" / "skimage_brick.png").read_bytes()
    assert_error(subscribe(guest, event["slug"], nobody), 422, "no_face_found")
    no_selfie = guest.post(
        f"/api/public/events/{event['slug']}/subscriptions",
        files={"email": (None, GUEST), "consent": (None, "true")},
    )
    assert_error(no_selfie, 422, "validation_error")
    assert _rows(app, NotifySubscription) == 0


def test_the_access_code_is_needed_as_for_search(client: TestClient, new_client: Any, dataset: Path) -> None:
    event = _published(client, access_code="tulip-42")
    selfie = (dataset / SELFIE).read_bytes()
    assert_error(subscribe(new_client(), event["slug"], selfie), 403, "access_code_required")
    ok = subscribe(new_client(), event["slug"], selfie, headers={"X-Access-Code": "tulip-42"})
    assert ok.status_code == 201, ok.text


def test_the_photographer_can_turn_it_off(client: TestClient, new_client: Any, dataset: Path) -> None:
    event = _published(client)
    assert client.get(f"/api/events/{event['id']}").json()["notify_enabled"] is True
    assert 'id="notify"' in new_client().get(f"/e/{event['slug']}").text
    off = client.patch(f"/api/events/{event['id']}", json={"notify_enabled": False})
    assert off.status_code == 200 and off.json()["notify_enabled"] is False
    assert 'id="notify"' not in new_client().get(f"/e/{event['slug']}").text
    assert_error(subscribe(new_client(), event["slug"], (dataset / SELFIE).read_bytes()), 409, "notify_off")


@pytest.mark.parametrize("limit", ["2/hour"])
def test_subscriptions_are_rate_limited_per_address(
    client: TestClient, new_client: Any, app: Any, dataset: Path, limit: str
) -> None:
    from dataclasses import replace

    ctx = app.state.ctx
    ctx.site = replace(ctx.site, notify_rate_limit=limit)
    event = _published(client)
    selfie = (dataset / SELFIE).read_bytes()
    assert subscribe(new_client(), event["slug"], selfie).status_code == 201
    assert subscribe(new_client(), event["slug"], selfie).status_code == 201
    r = subscribe(new_client(), event["slug"], selfie)
    assert_error(r, 429, "rate_limited")


def test_forged_links_open_nothing(client: TestClient, new_client: Any) -> None:
    fake = f"{uuid.uuid4().hex}.{'0' * 32}"
    assert new_client().get(f"/n/{fake}").status_code == 404
    assert new_client().post(f"/unsubscribe/{fake}").status_code == 404
    assert_error(new_client().get(f"/api/public/subscriptions/{fake}/matches"), 404)
    assert_error(new_client().delete(f"/api/public/subscriptions/{fake}"), 404)


def test_the_dashboard_page_shows_the_counts(client: TestClient, new_client: Any, dataset: Path) -> None:
    event = _published(client)
    assert 'data-count="subscribers"' not in client.get(f"/events/{event['id']}").text
    assert subscribe(new_client(), event["slug"], (dataset / SELFIE).read_bytes()).status_code == 201
    html = client.get(f"/events/{event['id']}").text
    assert re.search(r'data-count="subscribers">1<', html) and GUEST not in html
