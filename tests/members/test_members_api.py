"""/api/events/{id}/members: invite by e-mail, list, remove; what membership gives and takes away."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from eventlens.config import Settings
from eventlens.db import utcnow
from eventlens.ftp.derived import service_token
from eventlens.models import EventMember, FtpCredential, Photo, User
from tests.factories import assert_error, create_event, signup, upload

Clients = Callable[[], TestClient]


def _team(
    client: TestClient, new_client: Clients
) -> tuple[TestClient, TestClient, TestClient, dict[str, Any]]:
    """An admin (client), an owner with an event, and two more accounts: (owner, second, third, users)."""
    signup(client, name="Ada Admin")
    owner, second, third = new_client(), new_client(), new_client()
    users = {
        "owner": signup(owner, name="Olga Owner"),
        "second": signup(second, name="Sam Second"),
        "third": signup(third, name="Tia Third"),
    }
    return owner, second, third, users


def _add(owner: TestClient, event_id: str, email: str, role: str) -> Any:
    return owner.post(f"/api/events/{event_id}/members", json={"email": email, "role": role})


def _members(app: Any, event_id: str) -> int:
    with app.state.ctx.sessions() as db:
        return int(
            db.scalar(
                select(func.count())
                .select_from(EventMember)
                .where(EventMember.event_id == uuid.UUID(event_id))
            )
            or 0
        )


def test_add_list_and_remove_members(client: TestClient, new_client: Clients, app: Any) -> None:
    owner, second, third, users = _team(client, new_client)
    event = create_event(owner, name="Marathon")
    r = _add(owner, event["id"], users["second"]["email"].upper(), "photographer")  # any case
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["user_id"] == users["second"]["id"] and made["role"] == "photographer"
    assert (made["name"], made["email"]) == ("Sam Second", users["second"]["email"])
    assert made["added_by_id"] == users["owner"]["id"]
    assert _add(owner, event["id"], users["third"]["email"], "viewer").status_code == 201

    listed = owner.get(f"/api/events/{event['id']}/members").json()
    assert [(m["name"], m["role"]) for m in listed["items"]] == [
        ("Sam Second", "photographer"),
        ("Tia Third", "viewer"),
    ]
    # Members see the event in their list, with their role, and may list the members too.
    for member, role in ((second, "photographer"), (third, "viewer")):
        mine = member.get("/api/events").json()["items"]
        assert [(e["id"], e["role"]) for e in mine] == [(event["id"], role)]
        assert member.get(f"/api/events/{event['id']}").json()["role"] == role
        assert member.get(f"/api/events/{event['id']}/members").status_code == 200
    assert owner.get("/api/events").json()["items"][0]["role"] == "owner"
    assert client.get(f"/api/events/{event['id']}").json()["role"] == "admin"

    assert owner.delete(f"/api/events/{event['id']}/members/{users['third']['id']}").status_code == 204
    assert_error(third.get(f"/api/events/{event['id']}"), 404, "not_found")
    assert third.get("/api/events").json()["items"] == []
    assert_error(owner.delete(f"/api/events/{event['id']}/members/{users['third']['id']}"), 404, "not_found")
    assert_error(owner.delete(f"/api/events/{event['id']}/members/{users['owner']['id']}"), 404, "not_found")
    assert _members(app, event["id"]) == 1


def test_bad_invitations_are_clear_errors_and_leave_nothing(
    client: TestClient, new_client: Clients, app: Any
) -> None:
    owner, second, _third, users = _team(client, new_client)
    event = create_event(owner)
    base = f"/api/events/{event['id']}/members"
    err = assert_error(_add(owner, event["id"], "nobody@example.com", "viewer"), 422, "unknown_account")
    assert "sign up" in err["message"] and err["details"] == [{"field": "email", "message": err["message"]}]
    assert_error(_add(owner, event["id"], users["owner"]["email"], "viewer"), 409, "already_owner")
    assert_error(_add(owner, event["id"], "not an address", "viewer"), 422, "validation_error")
    assert_error(_add(owner, event["id"], users["second"]["email"], "owner"), 422, "validation_error")
    assert_error(_add(owner, event["id"], users["second"]["email"], "admin"), 422, "validation_error")
    assert_error(owner.post(base, json={"email": users["second"]["email"]}), 422, "validation_error")
    assert_error(owner.post(base, json={"email": "x" * 5000 + "@example.com", "role": "viewer"}), 422)
    assert _members(app, event["id"]) == 0
    assert _add(owner, event["id"], users["second"]["email"], "viewer").status_code == 201
    assert_error(_add(owner, event["id"], users["second"]["email"], "photographer"), 409, "already_member")
    assert owner.get(base).json()["items"][0]["role"] == "viewer"  # unchanged by the refused one
    assert _members(app, event["id"]) == 1
    # A member cannot invite (not even as a photographer), and a stranger learns nothing.
    assert_error(_add(second, event["id"], users["owner"]["email"], "viewer"), 403, "role_not_allowed")
    stranger = new_client()
    signup(stranger)
    assert_error(_add(stranger, event["id"], users["second"]["email"], "viewer"), 404, "not_found")
    assert_error(stranger.get(base), 404, "not_found")


def test_guessing_addresses_is_rate_limited(client: TestClient, new_client: Clients) -> None:
    owner, _second, _third, users = _team(client, new_client)
    event = create_event(owner)
    for i in range(10):  # EVENTLENS_LOGIN_RATE_LIMIT, 10/minute
        assert_error(_add(owner, event["id"], f"guess{i}@example.com", "viewer"), 422, "unknown_account")
    r = _add(owner, event["id"], users["second"]["email"], "viewer")
    assert_error(r, 429, "rate_limited")
    assert int(r.headers["Retry-After"]) > 0
    # Per inviting account: another owner is not held back.
    other = new_client()
    signup(other)
    theirs = create_event(other)
    assert _add(other, theirs["id"], users["second"]["email"], "viewer").status_code == 201


def test_a_viewer_is_read_only_and_a_photographer_uploads(
    client: TestClient, new_client: Clients, app: Any, dataset: Path
) -> None:
    owner, second, third, users = _team(client, new_client)
    event = create_event(owner)
    eid = event["id"]
    _add(owner, eid, users["second"]["email"], "photographer")
    _add(owner, eid, users["third"]["email"], "viewer")
    jpeg = (dataset / "identities/John_Savage/1.jpg").read_bytes()
    r = upload(second, eid, ("shot.jpg", jpeg))
    assert r.status_code == 201, r.text
    photo_id = r.json()["items"][0]["id"]
    with app.state.ctx.sessions() as db:
        photo = db.get(Photo, uuid.UUID(photo_id))
        assert photo is not None and str(photo.uploader_id) == users["second"]["id"]
    assert_error(upload(third, eid, ("other.jpg", jpeg[:-10] + b"0123456789")), 403, "role_not_allowed")
    err = assert_error(third.patch(f"/api/events/{eid}", json={"name": "Mine now"}), 403, "role_not_allowed")
    assert err["details"] == {"role": "viewer", "action": "manage"}
    assert_error(second.patch(f"/api/photos/{photo_id}", json={"hidden": True}), 403, "role_not_allowed")
    assert_error(second.delete(f"/api/events/{eid}"), 403, "role_not_allowed")
    # Both see the photos and the images.
    for member in (second, third):
        assert [p["id"] for p in member.get(f"/api/events/{eid}/photos").json()["items"]] == [photo_id]
        assert member.get(f"/api/photos/{photo_id}/original", follow_redirects=False).status_code in (
            200,
            307,
        )
    assert owner.get(f"/api/events/{eid}").json()["name"] == "Summer Gala"


def _gateway_login(client: TestClient, settings: Settings, username: str, password: str) -> Any:
    body = {"username": username, "password": password, "client_ip": "192.0.2.7"}
    return client.post(
        "/api/internal/ftp/login", json=body, headers={"Authorization": f"Bearer {service_token(settings)}"}
    )


def test_ftp_logins_are_the_photographers_own_and_go_with_them(
    client: TestClient, new_client: Clients, app: Any, settings: Settings
) -> None:
    owner, second, third, users = _team(client, new_client)
    event = create_event(owner)
    eid = event["id"]
    base = f"/api/events/{eid}/ftp-credentials"
    _add(owner, eid, users["second"]["email"], "photographer")
    _add(owner, eid, users["third"]["email"], "viewer")
    owners = owner.post(base, json={"label": "owner body"}).json()
    theirs = second.post(base, json={"label": "second body"}).json()
    assert theirs["created_by_id"] == users["second"]["id"]
    assert [c["id"] for c in second.get(base).json()["items"]] == [theirs["id"]]
    assert {c["id"] for c in owner.get(base).json()["items"]} == {owners["id"], theirs["id"]}
    assert_error(third.get(base), 403, "role_not_allowed")
    assert_error(third.post(base, json={}), 403, "role_not_allowed")
    assert_error(second.delete(f"{base}/{owners['id']}"), 404, "not_found")
    assert _gateway_login(client, settings, theirs["username"], theirs["password"]).status_code == 200

    # Removing the photographer revokes their logins at once; the owner's stays.
    assert owner.delete(f"/api/events/{eid}/members/{users['second']['id']}").status_code == 204
    assert [c["id"] for c in owner.get(base).json()["items"]] == [owners["id"]]
    assert_error(
        _gateway_login(client, settings, theirs["username"], theirs["password"]), 403, "credential_revoked"
    )
    assert _gateway_login(client, settings, owners["username"], owners["password"]).status_code == 200

    # A login whose maker lost the right to upload is refused even if nobody revoked it by hand.
    _add(owner, eid, users["second"]["email"], "photographer")
    again = second.post(base, json={}).json()
    with app.state.ctx.sessions() as db, db.begin():
        member = db.scalar(select(EventMember).where(EventMember.user_id == uuid.UUID(users["second"]["id"])))
        assert member is not None
        db.delete(member)
    assert_error(
        _gateway_login(client, settings, again["username"], again["password"]), 403, "credential_revoked"
    )
    with app.state.ctx.sessions() as db:
        row = db.get(FtpCredential, uuid.UUID(again["id"]))
        assert row is not None and row.revoked_at is None

    # A deactivated account (Clerk's user.deleted) takes its cameras' logins with it.
    _add(owner, eid, users["second"]["email"], "photographer")
    last = second.post(base, json={}).json()
    assert _gateway_login(client, settings, last["username"], last["password"]).status_code == 200
    with app.state.ctx.sessions() as db, db.begin():
        user = db.get(User, uuid.UUID(users["second"]["id"]))
        assert user is not None
        user.disabled_at = utcnow()
    assert_error(
        _gateway_login(client, settings, last["username"], last["password"]), 403, "credential_revoked"
    )


def test_memberships_go_with_the_event_and_the_account(
    client: TestClient, new_client: Clients, app: Any
) -> None:
    owner, _second, _third, users = _team(client, new_client)
    first, other = create_event(owner, name="One"), create_event(owner, name="Two")
    for ev in (first, other):
        _add(owner, ev["id"], users["second"]["email"], "photographer")
        _add(owner, ev["id"], users["third"]["email"], "viewer")
    assert owner.delete(f"/api/events/{first['id']}").status_code == 204
    assert _members(app, first["id"]) == 0 and _members(app, other["id"]) == 2
    with app.state.ctx.sessions() as db, db.begin():  # no route deletes accounts: the foreign key does it
        user = db.get(User, uuid.UUID(users["third"]["id"]))
        db.delete(user)
    assert _members(app, other["id"]) == 1
