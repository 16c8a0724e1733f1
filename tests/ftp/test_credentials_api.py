"""/api/events/{id}/ftp-credentials: create (password once), list, revoke, tenant isolation, validation."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from eventlens.models import FtpCredential
from tests.factories import assert_error, create_event, signup

USERNAME = re.compile(r"^gala-2026-[a-km-z2-9]{4}$")  # the slug, then 4 characters without look-alikes
PASSWORD = re.compile(r"^[a-km-z2-9]{5}(-[a-km-z2-9]{5}){3}$")


def _base(client: TestClient, event_id: str) -> str:
    return f"/api/events/{event_id}/ftp-credentials"


def _row(app: Any, credential_id: str) -> FtpCredential:
    with app.state.ctx.sessions() as db:
        row = db.scalar(select(FtpCredential).where(FtpCredential.id == uuid.UUID(credential_id)))
        assert row is not None
        return row


def test_create_list_revoke(client: TestClient, app: Any) -> None:
    signup(client)
    event = create_event(client, name="Gala 2026")
    r = client.post(_base(client, event["id"]), json={"label": "Body 1", "expires_in_hours": 48})
    assert r.status_code == 201, r.text
    made = r.json()
    assert USERNAME.match(made["username"]), made["username"]
    assert PASSWORD.match(made["password"]), made["password"]
    assert made["host"] == "testserver"  # the host of BASE_URL when FTP_PUBLIC_HOST is not set
    assert made["port"] == 2121 and made["label"] == "Body 1" and made["status"] == "active"
    expires = datetime.fromisoformat(made["expires_at"])
    assert abs(expires - (datetime.now(UTC) + timedelta(hours=48))) < timedelta(minutes=1)

    row = _row(app, made["id"])
    assert row.password_hash.startswith("$argon2id$") and made["password"] not in row.password_hash
    assert str(row.event_id) == event["id"]

    second = client.post(_base(client, event["id"]), json={})
    assert second.status_code == 201, second.text
    assert second.json()["username"] != made["username"] and second.json()["expires_at"] is None

    listed = client.get(_base(client, event["id"]))
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert [i["username"] for i in items] == [second.json()["username"], made["username"]]  # newest first
    assert all("password" not in i for i in items) and made["password"] not in listed.text

    assert client.delete(f"{_base(client, event['id'])}/{made['id']}").status_code == 204
    assert _row(app, made["id"]).revoked_at is not None
    assert [i["id"] for i in client.get(_base(client, event["id"])).json()["items"]] == [second.json()["id"]]
    assert_error(client.delete(f"{_base(client, event['id'])}/{made['id']}"), 404, "not_found")


def test_expired_logins_are_listed_as_expired(client: TestClient, app: Any) -> None:
    signup(client)
    event = create_event(client)
    made = client.post(_base(client, event["id"]), json={"expires_in_hours": 1}).json()
    with app.state.ctx.sessions() as db, db.begin():
        db.get(FtpCredential, uuid.UUID(made["id"])).expires_at = datetime.now(UTC) - timedelta(minutes=1)
    [item] = client.get(_base(client, event["id"])).json()["items"]
    assert item["status"] == "expired"


def test_needs_a_signed_in_photographer(client: TestClient, new_client: Any) -> None:
    signup(client)
    event = create_event(client)
    anonymous = new_client()
    assert_error(anonymous.get(_base(anonymous, event["id"])), 401, "unauthorized")
    assert_error(anonymous.post(_base(anonymous, event["id"]), json={}), 401, "unauthorized")


def test_another_photographers_event_is_a_404(client: TestClient, new_client: Any) -> None:
    signup(client)
    mine = create_event(client, name="Mine")
    made = client.post(_base(client, mine["id"]), json={}).json()
    other = new_client()
    signup(other)
    theirs = create_event(other, name="Theirs")
    for r in (
        other.get(_base(other, mine["id"])),
        other.post(_base(other, mine["id"]), json={}),
        other.delete(f"{_base(other, mine['id'])}/{made['id']}"),
        # my credential addressed through their own event is no better
        other.delete(f"{_base(other, theirs['id'])}/{made['id']}"),
        client.get(_base(client, str(uuid.uuid4()))),
    ):
        assert_error(r, 404, "not_found")
    assert [i["id"] for i in client.get(_base(client, mine["id"])).json()["items"]] == [made["id"]]


def test_invalid_bodies_are_422(client: TestClient) -> None:
    signup(client)
    event = create_event(client)
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    for body in (
        {"expires_at": past},
        {"expires_at": future, "expires_in_hours": 2},
        {"expires_in_hours": 0},
        {"expires_in_hours": 24 * 400},
        {"label": "x" * 101},
        {"username": "chosen-by-me"},
    ):
        assert_error(client.post(_base(client, event["id"]), json=body), 422, "validation_error")
    assert client.get(_base(client, event["id"])).json()["items"] == []


def test_an_archived_event_gets_no_new_logins(client: TestClient) -> None:
    signup(client)
    event = create_event(client)
    assert client.post(f"/api/events/{event['id']}/archive").status_code == 200
    assert_error(client.post(_base(client, event["id"]), json={}), 409, "event_archived")
