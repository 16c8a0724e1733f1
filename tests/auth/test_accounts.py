"""Sign up, sign in and out, sessions, CSRF, password changes."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from eventlens.app import create_app
from eventlens.config import Settings
from eventlens.models import User, UserSession
from tests.factories import PASSWORD, assert_error, signup


def test_first_account_is_admin_and_later_ones_are_photographers(client: TestClient, new_client: Any) -> None:
    first = signup(client, email="Owner@Example.com")
    assert first["role"] == "admin"
    assert first["email"] == "owner@example.com"
    second = signup(new_client())
    assert second["role"] == "photographer"


def test_signup_sets_a_secure_httponly_session_cookie(client: TestClient) -> None:
    r = client.post("/api/auth/signup", json={"email": "a@example.com", "password": PASSWORD, "name": "A"})
    assert r.status_code == 201
    cookie = r.headers["set-cookie"].lower()
    assert "eventlens_session=" in cookie
    for attr in ("httponly", "secure", "samesite=lax", "path=/"):
        assert attr in cookie
    assert r.headers["X-CSRF-Token"]
    assert client.get("/api/me").json()["email"] == "a@example.com"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "password": PASSWORD, "name": "A"}, "email"),
        ({"email": "a@example.com", "password": "short", "name": "A"}, "password"),
        ({"email": "a@example.com", "password": PASSWORD, "name": ""}, "name"),
        ({"email": "a@example.com", "password": PASSWORD}, "name"),
    ],
)
def test_signup_rejects_bad_input_with_a_clear_422(
    client: TestClient, body: dict[str, str], field: str
) -> None:
    err = assert_error(client.post("/api/auth/signup", json=body), 422, "validation_error")
    assert err["message"].startswith(field)
    assert err["details"][0]["field"] == field


def test_signup_with_a_taken_email_is_409(client: TestClient, new_client: Any) -> None:
    signup(client, email="taken@example.com")
    r = new_client().post(
        "/api/auth/signup", json={"email": "TAKEN@example.com", "password": PASSWORD, "name": "B"}
    )
    assert_error(r, 409, "email_taken")


def test_closed_signup_still_allows_the_first_admin(settings: Settings) -> None:
    closed = create_app(settings.model_copy(update={"signup_open": False}))
    with TestClient(closed, base_url="https://testserver") as c1:
        assert signup(c1)["role"] == "admin"
    with TestClient(closed, base_url="https://testserver") as c2:
        r = c2.post("/api/auth/signup", json={"email": "b@example.com", "password": PASSWORD, "name": "B"})
        assert_error(r, 403, "signup_closed")


def test_login_and_logout(client: TestClient, new_client: Any) -> None:
    signup(client, email="p@example.com")
    browser = new_client()
    assert_error(browser.get("/api/me"), 401, "unauthorized")
    r = browser.post("/api/auth/login", json={"email": "P@example.com", "password": PASSWORD})
    assert r.status_code == 200, r.text
    assert r.json()["email"] == "p@example.com"
    assert browser.get("/api/me").status_code == 200
    # logout with a session cookie is an unsafe request: it needs the CSRF token
    assert_error(browser.post("/api/auth/logout"), 403, "csrf_failed")
    r = browser.post("/api/auth/logout", headers={"X-CSRF-Token": r.headers["X-CSRF-Token"]})
    assert r.status_code == 204
    assert_error(browser.get("/api/me"), 401)


def test_logout_really_ends_the_session_server_side(client: TestClient, new_client: Any) -> None:
    signup(client)
    stolen = client.cookies.get("eventlens_session")
    assert client.post("/api/auth/logout").status_code == 204
    replay = new_client()
    replay.cookies.set("eventlens_session", stolen)
    assert_error(replay.get("/api/me"), 401)


def test_wrong_password_and_unknown_email_get_the_same_401(client: TestClient) -> None:
    signup(client, email="p@example.com")
    wrong = client.post("/api/auth/login", json={"email": "p@example.com", "password": "nope-nope"})
    unknown = client.post("/api/auth/login", json={"email": "x@example.com", "password": "nope-nope"})
    assert assert_error(wrong, 401)["message"] == assert_error(unknown, 401)["message"]


def test_login_is_rate_limited(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"login_rate_limit": "3/minute"}))
    with TestClient(app, base_url="https://testserver") as c:
        signup(c, email="p@example.com")
        for _ in range(3):
            assert_error(c.post("/api/auth/login", json={"email": "p@example.com", "password": "bad"}), 401)
        r = c.post("/api/auth/login", json={"email": "p@example.com", "password": PASSWORD})
        assert_error(r, 429, "rate_limited")
        assert int(r.headers["Retry-After"]) >= 1


def test_unsafe_cookie_requests_need_the_csrf_token(client: TestClient) -> None:
    signup(client)
    token = client.headers.pop("X-CSRF-Token")
    assert_error(client.post("/api/tokens", json={"name": "x"}), 403, "csrf_failed")
    r = client.post("/api/tokens", json={"name": "x"}, headers={"X-CSRF-Token": "wrong"})
    assert_error(r, 403, "csrf_failed")
    assert client.post("/api/tokens", json={"name": "x"}, headers={"X-CSRF-Token": token}).status_code == 201
    assert client.get("/api/tokens").status_code == 200  # safe methods need none


def test_change_password_signs_out_other_browsers(client: TestClient, new_client: Any) -> None:
    signup(client, email="p@example.com")
    other = new_client()
    assert other.post("/api/auth/login", json={"email": "p@example.com", "password": PASSWORD}).is_success
    r = client.post(
        "/api/me/password", json={"current_password": "wrong-one", "new_password": "n3w password!"}
    )
    assert_error(r, 422)
    r = client.post("/api/me/password", json={"current_password": PASSWORD, "new_password": "n3w password!"})
    assert r.status_code == 204
    assert client.get("/api/me").status_code == 200
    assert_error(other.get("/api/me"), 401)
    fresh = new_client()
    assert fresh.post(
        "/api/auth/login", json={"email": "p@example.com", "password": "n3w password!"}
    ).is_success


def test_password_is_never_stored_or_logged_in_clear(
    client: TestClient, app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "s3cret-Unique-Passw0rd"
    r = client.post("/api/auth/signup", json={"email": "p@example.com", "password": secret, "name": "P"})
    assert r.status_code == 201
    client.headers["X-CSRF-Token"] = r.headers["X-CSRF-Token"]
    client.post("/api/auth/login", json={"email": "p@example.com", "password": secret + "x"})
    client.post("/api/auth/login", json={"email": "p@example.com", "password": secret})
    assert secret not in caplog.text
    assert secret not in r.text
    with app.state.ctx.sessions() as db:
        user = db.scalar(select(User).where(User.email == "p@example.com"))
        assert user.password_hash.startswith("$argon2id$")
        assert secret not in user.password_hash
        for session in db.scalars(select(UserSession)):
            # the cookie value is not in the database either: only its digest
            assert session.token_hash != client.cookies.get("eventlens_session")
