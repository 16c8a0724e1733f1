"""The event page's parts that depend on the install and the event: the loopback warning, the FTP
steps folded once a camera has connected, the status filter, and dates for the script to localise."""

from __future__ import annotations

import io
import uuid
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image

from eventlens.app import create_app
from eventlens.config import Settings
from eventlens.db import session_scope, utcnow
from eventlens.models import FtpCredential
from tests.factories import create_event, run_jobs, signup, upload


def _png(i: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (i * 40 % 256, 90, 160)).save(out, "PNG")
    return out.getvalue()


def test_no_loopback_warning_with_a_public_base_url(client: TestClient) -> None:
    signup(client)
    event = create_event(client, name="Open Air", starts_at="2026-06-12T16:30:00Z")
    html = client.get(f"/events/{event['id']}").text
    assert 'id="loopback-warning"' not in html
    # The UTC text for readers without scripts, the instant for the script that localises it.
    assert '<time datetime="2026-06-12T16:30:00+00:00" data-local>2026-06-12 16:30 UTC</time>' in html


def test_a_loopback_base_url_is_warned_about_with_the_setting_to_change(settings: Settings) -> None:
    base = "http://localhost:8000"
    with TestClient(
        create_app(settings.model_copy(update={"base_url": base, "cookie_secure": False})), base_url=base
    ) as local:
        signup(local)
        event = create_event(local, name="Back Room")
        html = local.get(f"/events/{event['id']}").text
    assert 'id="loopback-warning"' in html
    assert "EVENTLENS_BASE_URL" in html and "http://localhost:8000, an address of this computer only" in html


def test_the_ftp_steps_fold_once_a_camera_has_logged_in(client: TestClient, app: Any) -> None:
    signup(client)
    event = create_event(client, name="Regatta")
    url = f"/events/{event['id']}"
    made = client.post(f"/api/events/{event['id']}/ftp-credentials", json={"label": "Body 1"})
    assert made.status_code == 201, made.text
    assert 'class="ftp-setup"' not in client.get(url).text  # nothing connected yet: steps open
    with session_scope(app.state.ctx.sessions) as db:
        db.get(FtpCredential, uuid.UUID(made.json()["id"])).last_login_at = utcnow()
    html = client.get(url).text
    assert '<details class="ftp-setup" id="ftp-setup">' in html and "passive" in html


def test_the_status_filter_narrows_the_grid(client: TestClient) -> None:
    signup(client)
    event = create_event(client, name="Parade")
    assert upload(client, event["id"], ("a.png", _png(1)), ("b.png", _png(2))).json()["stored"] == 2
    url = f"/events/{event['id']}"
    assert client.get(url).text.count("data-photo-id=") == 2
    assert client.get(f"{url}?status=uploaded").text.count("data-photo-id=") == 2
    indexed = client.get(f"{url}?status=indexed").text  # no job ran: nothing is indexed yet
    assert indexed.count("data-photo-id=") == 0 and 'value="indexed" selected' in indexed
    assert client.get(f"{url}?status=nonsense").text.count("data-photo-id=") == 2


def test_the_events_list_shows_the_automatic_cover_until_one_is_picked(
    client: TestClient, app: Any, dataset: Any
) -> None:
    signup(client)
    event = create_event(client, name="Fair")
    brick = (dataset / "nofaces/skimage_brick.png").read_bytes()
    face = (dataset / "identities/Barack_Obama/1.jpg").read_bytes()
    r = upload(client, event["id"], ("brick.png", brick), ("face.jpg", face))
    brick_id, face_id = [i["id"] for i in r.json()["items"]]
    assert 'class="event-cover placeholder"' in client.get("/events").text  # nothing processed yet
    run_jobs(app)
    html = client.get("/events").text
    assert f'src="/api/photos/{face_id}/thumbnail"' in html  # the photo with a face, not the first
    client.patch(f"/api/events/{event['id']}", json={"cover_photo_id": brick_id})
    assert f'src="/api/photos/{brick_id}/thumbnail"' in client.get("/events").text
