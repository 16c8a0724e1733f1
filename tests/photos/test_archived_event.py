"""An archived event takes no new photos, and every door says so the same way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from eventlens.config import Settings
from eventlens.ftp.derived import service_token
from tests.factories import assert_error, create_event, signup, upload
from tests.web.test_account_pages import form, parse

MESSAGE = "This event is archived: it takes no new photos. Publish it again to add more."


def test_every_door_refuses_an_archived_event_with_one_code_and_message(
    client: TestClient, app: Any, settings: Settings, dataset: Path
) -> None:
    signup(client)
    event = create_event(client, name="Archived")
    base = f"/api/events/{event['id']}"
    camera = client.post(f"{base}/ftp-credentials", json={}).json()
    page_url = f"/events/{event['id']}"
    # The form disappears from an archived event's page; a tab opened before still posts it.
    token = form(parse(client.get(page_url).text), f"{page_url}/upload")["csrf_token"]
    assert client.post(f"{base}/archive").status_code == 200
    photo = (dataset / "identities/Matt_Damon/4.jpg").read_bytes()
    gateway = {"Authorization": f"Bearer {service_token(settings)}"}

    api = assert_error(upload(client, event["id"], ("a.jpg", photo)), 409, "event_archived")
    handoff = assert_error(
        client.post(
            f"/api/internal/ftp/events/{event['id']}/photos",
            files={"files": ("b.jpg", photo)},
            headers=gateway | {"X-EventLens-FTP-Credential": camera["id"]},
        ),
        409,
        "event_archived",
    )
    credentials = assert_error(client.post(f"{base}/ftp-credentials", json={}), 409, "event_archived")
    login = assert_error(
        client.post(
            "/api/internal/ftp/login",
            json={"username": camera["username"], "password": camera["password"], "client_ip": "192.0.2.1"},
            headers=gateway,
        ),
        403,  # a refused camera login is 403 whatever the reason
        "event_archived",
    )
    assert {e["message"] for e in (api, handoff, credentials, login)} == {MESSAGE}

    page = client.post(
        f"{page_url}/upload",
        data={"csrf_token": token},
        files=[("files", ("c.jpg", photo, "image/jpeg"))],
    )
    assert page.status_code == 409
    assert MESSAGE in parse(page.text).text

    assert client.get(base).json()["counts"]["photos"]["total"] == 0
    assert list(app.state.ctx.storage.list_keys(f"events/{event['id']}/")) == []
    spool = settings.data_dir / "spool" / "uploads"
    assert not spool.exists() or list(spool.iterdir()) == []
