"""The tokens and account pages: tokens made, shown once, used and revoked; the password changed."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from tests.factories import PASSWORD, signup
from tests.web.test_account_pages import form, parse


def _csrf(client: TestClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    return form(parse(page.text), path if path != "/account" else "/account/password")["csrf_token"]


def test_a_token_made_on_the_page_is_shown_once_works_and_can_be_revoked(
    client: TestClient, new_client: Any
) -> None:
    signup(client)
    csrf = _csrf(client, "/tokens")
    made = client.post("/tokens", data={"name": "laptop script", "csrf_token": csrf})
    assert made.status_code == 201
    token = re.search(r'id="new-token" readonly value="([^"]+)"', made.text)
    assert token, made.text
    secret = token.group(1)
    script = new_client()
    assert script.get("/api/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200

    listing = client.get("/tokens").text
    assert "laptop script" in listing and secret not in listing  # shown once only
    revoke = re.search(r'action="(/tokens/[0-9a-f-]+/revoke)"', listing)
    assert revoke
    assert client.post(revoke.group(1), data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    assert script.get("/api/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    assert "laptop script" not in client.get("/tokens").text  # revoked tokens leave the list


def test_token_forms_need_csrf_and_a_name(client: TestClient) -> None:
    signup(client)
    assert client.post("/tokens", data={"name": "x", "csrf_token": "forged"}).status_code == 403
    csrf = _csrf(client, "/tokens")
    r = client.post("/tokens", data={"name": "   ", "csrf_token": csrf})
    assert r.status_code == 422 and "Give the token a name" in r.text


def test_pages_send_strangers_to_sign_in(new_client: Any) -> None:
    anon = new_client()
    for path in ("/tokens", "/account"):
        r = anon.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/"


def test_changing_the_password_signs_out_other_browsers(client: TestClient, new_client: Any) -> None:
    me = signup(client)
    other = new_client()
    assert other.post("/api/auth/login", json={"email": me["email"], "password": PASSWORD}).status_code == 200
    csrf = _csrf(client, "/account")
    wrong = client.post(
        "/account/password",
        data={"current_password": "not it", "new_password": "a brand new secret", "csrf_token": csrf},
    )
    assert wrong.status_code == 422 and "current password is wrong" in wrong.text
    short = client.post(
        "/account/password", data={"current_password": PASSWORD, "new_password": "short", "csrf_token": csrf}
    )
    assert short.status_code == 422 and "at least 8 characters" in short.text
    ok = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": "a brand new secret", "csrf_token": csrf},
    )
    assert ok.status_code == 200 and "Your password was changed" in ok.text
    assert client.get("/api/me").status_code == 200  # this browser stays in
    assert other.get("/api/me").status_code == 401
    fresh = new_client()
    login = {"email": me["email"], "password": "a brand new secret"}
    assert fresh.post("/api/auth/login", json=login).status_code == 200
