"""Clerk user webhooks at /api/webhooks/clerk, signed with the svix library's own signer."""

from __future__ import annotations

import base64
import json
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from svix.webhooks import Webhook

from eventlens.app import create_app
from eventlens.auth import service
from eventlens.config import Settings
from eventlens.db import session_scope
from eventlens.errors import ApiError
from eventlens.models import ApiToken, Event, User, UserSession
from tests.factories import assert_error

ISSUER = "https://clerk.example.com"
SECRET = "whsec_" + base64.b64encode(os.urandom(24)).decode()
URL = "/api/webhooks/clerk"


@pytest.fixture
def app(settings: Settings) -> Any:
    values = settings.model_dump() | {"oidc_issuer": ISSUER, "clerk_webhook_secret": SECRET}
    return create_app(Settings(**values))


def send(
    client: TestClient,
    payload: dict[str, Any] | str,
    *,
    msg_id: str | None = None,
    at: datetime | None = None,
    secret: str = SECRET,
    headers: dict[str, str] | None = None,
) -> Any:
    body = payload if isinstance(payload, str) else json.dumps(payload)
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    at = at or datetime.now(UTC)
    signed = {
        "svix-id": msg_id,
        "svix-timestamp": str(int(at.timestamp())),
        "svix-signature": Webhook(secret).sign(msg_id, at, body),
        "content-type": "application/json",
    }
    return client.post(URL, content=body.encode(), headers=signed | (headers or {}))


def user_event(kind: str, clerk_id: str, **data: Any) -> dict[str, Any]:
    return {"type": kind, "object": "event", "data": {"id": clerk_id, "object": "user"} | data}


def profile(email: str, first: str, last: str) -> dict[str, Any]:
    return {
        "first_name": first,
        "last_name": last,
        "primary_email_address_id": "idn_2",
        "email_addresses": [
            {"id": "idn_1", "email_address": "old-secondary@example.com"},
            {"id": "idn_2", "email_address": email},
        ],
    }


class Linked:
    """A Clerk user with an account here, signed in in a browser and holding an API token."""

    def __init__(self, app: Any, client: TestClient) -> None:
        self.clerk_id = f"user_{uuid.uuid4().hex[:10]}"
        ctx = app.state.ctx
        identity = service.ExternalIdentity(
            ISSUER, self.clerk_id, email=f"{self.clerk_id}@example.com", name="Before Sync"
        )
        with session_scope(ctx.sessions) as db:
            user = service.sign_in_external(db, identity, signup_open=True)
            new = service.start_session(db, user, days=1)
            _, self.api_token = service.create_api_token(db, user, "script")
            db.add(Event(owner_id=user.id, name="Her event", slug=f"e-{uuid.uuid4().hex[:8]}"))
            self.user_id = user.id
        client.cookies.set("eventlens_session", new.cookie_value)


@pytest.fixture
def linked(app: Any, client: TestClient) -> Iterator[Linked]:
    yield Linked(app, client)


def count(app: Any, model: Any, user_id: uuid.UUID) -> int:
    column = model.owner_id if model is Event else model.user_id
    with session_scope(app.state.ctx.sessions) as db:
        return int(db.scalar(select(func.count()).select_from(model).where(column == user_id)) or 0)


def test_user_updated_keeps_name_and_email_in_sync(client: TestClient, linked: Linked) -> None:
    assert client.get("/api/me").json()["name"] == "Before Sync"
    r = send(
        client, user_event("user.updated", linked.clerk_id, **profile("new@example.com", "Grace", "Hopper"))
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "updated"}
    me = client.get("/api/me").json()
    assert (me["name"], me["email"]) == ("Grace Hopper", "new@example.com")


def test_user_created_of_a_linked_account_syncs_and_of_a_stranger_is_ignored(
    client: TestClient, linked: Linked
) -> None:
    r = send(client, user_event("user.created", linked.clerk_id, **profile("c@example.com", "Cy", "D")))
    assert r.json() == {"status": "updated"}
    r = send(client, user_event("user.created", "user_nobody", **profile("x@example.com", "X", "Y")))
    assert r.json() == {"status": "ignored"}
    r = send(client, {"type": "session.created", "data": {"id": "sess_1"}})
    assert r.json() == {"status": "ignored"}


def test_an_email_taken_by_another_account_is_409_and_nothing_changes(
    app: Any, client: TestClient, linked: Linked
) -> None:
    other = Linked(app, TestClient(app))
    r = send(
        client,
        user_event("user.updated", linked.clerk_id, **profile(f"{other.clerk_id}@example.com", "A", "B")),
    )
    assert_error(r, 409, "email_taken")
    assert client.get("/api/me").json()["name"] == "Before Sync"


def test_user_deleted_signs_out_everywhere_and_deactivates(
    app: Any, client: TestClient, linked: Linked
) -> None:
    assert client.get("/api/me").status_code == 200
    token_headers = {"Authorization": f"Bearer {linked.api_token}"}
    assert client.get("/api/events", headers=token_headers).status_code == 200
    r = send(client, user_event("user.deleted", linked.clerk_id, deleted=True))
    assert r.json() == {"status": "deactivated"}
    assert_error(client.get("/api/me"), 401)
    assert_error(client.get("/api/events", headers=token_headers), 401)
    assert count(app, UserSession, linked.user_id) == 0
    assert count(app, ApiToken, linked.user_id) == 0
    assert count(app, Event, linked.user_id) == 1  # the events stay, for an admin
    with session_scope(app.state.ctx.sessions) as db:
        user = db.get(User, linked.user_id)
        assert user is not None and user.disabled_at is not None
        # A deactivated account cannot sign in with the provider again.
        with pytest.raises(ApiError) as refused:
            service.sign_in_external(db, service.ExternalIdentity(ISSUER, linked.clerk_id), signup_open=True)
        assert refused.value.code == "account_disabled"


def test_a_bad_signature_is_401(client: TestClient, linked: Linked) -> None:
    other = "whsec_" + base64.b64encode(os.urandom(24)).decode()
    payload = user_event("user.deleted", linked.clerk_id)
    assert_error(send(client, payload, secret=other), 401, "invalid_signature")
    assert_error(send(client, payload, headers={"svix-signature": "garbage"}), 401, "invalid_signature")
    assert_error(send(client, payload, headers={"svix-signature": "v1,!!!"}), 401, "invalid_signature")
    assert client.get("/api/me").status_code == 200  # nothing happened


def test_an_old_timestamp_is_refused(client: TestClient, linked: Linked) -> None:
    payload = user_event("user.deleted", linked.clerk_id)
    old = datetime.now(UTC) - timedelta(minutes=10)
    assert_error(send(client, payload, at=old), 400, "webhook_stale")
    future = datetime.now(UTC) + timedelta(minutes=10)
    assert_error(send(client, payload, at=future), 400, "webhook_stale")
    assert client.get("/api/me").status_code == 200


def test_a_replayed_message_is_refused(client: TestClient, linked: Linked) -> None:
    payload = user_event("user.updated", linked.clerk_id, **profile("r@example.com", "Re", "Play"))
    assert send(client, payload, msg_id="msg_replayed").status_code == 200
    # The same message again, even freshly signed (a captured delivery sent once more).
    assert_error(send(client, payload, msg_id="msg_replayed"), 400, "webhook_replayed")


def test_a_failed_delivery_is_not_remembered_so_the_retry_is_handled(
    app: Any, client: TestClient, linked: Linked
) -> None:
    other = Linked(app, TestClient(app))
    taken = profile(f"{other.clerk_id}@example.com", "A", "B")
    assert (
        send(client, user_event("user.updated", linked.clerk_id, **taken), msg_id="msg_retry").status_code
        == 409
    )
    fixed = user_event("user.updated", linked.clerk_id, **profile("free@example.com", "A", "B"))
    assert send(client, fixed, msg_id="msg_retry").status_code == 200


def test_malformed_messages_are_400_and_big_ones_413(client: TestClient) -> None:
    assert_error(client.post(URL, content=b"{}"), 400, "invalid_webhook")  # no svix headers
    assert_error(send(client, "not json"), 400, "invalid_webhook")
    assert_error(send(client, {"type": "user.deleted", "data": {}}), 400, "invalid_webhook")
    big = json.dumps({"type": "user.updated", "data": {"id": "user_1", "pad": "x" * 300_000}})
    assert_error(send(client, big), 413, "payload_too_large")


def test_without_the_secret_the_route_is_404(settings: Settings) -> None:
    with TestClient(create_app(settings), base_url="https://testserver") as c:
        assert_error(send(c, user_event("user.deleted", "user_1")), 404)


def test_a_secret_that_is_not_a_signing_secret_stops_the_start(settings: Settings) -> None:
    values = settings.model_dump() | {"oidc_issuer": ISSUER, "clerk_webhook_secret": "whsec_%%%"}
    with pytest.raises(ValueError, match="CLERK_WEBHOOK_SECRET"):
        create_app(Settings(**values))
