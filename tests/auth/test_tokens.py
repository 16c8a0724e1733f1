"""API tokens: create, list, use as Bearer, revoke."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from eventlens.models import ApiToken
from tests.factories import api_token, assert_error, signup


def test_token_is_shown_once_listed_without_secret_and_works_as_bearer(
    client: TestClient, new_client: Any, app: Any
) -> None:
    user = signup(client)
    r = client.post("/api/tokens", json={"name": "laptop"})
    assert r.status_code == 201
    created = r.json()
    token = created["token"]
    assert token.startswith("elt_") and len(token) > 40
    listed = client.get("/api/tokens").json()["items"]
    assert [t["name"] for t in listed] == ["laptop"]
    assert "token" not in listed[0] and token not in str(listed)
    script = new_client()
    me = script.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["id"] == user["id"]
    # Bearer requests carry no cookie, so they need no CSRF token
    r = script.post("/api/tokens", json={"name": "from-script"}, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 201
    with app.state.ctx.sessions() as db:
        hashes = [t.token_hash for t in db.scalars(select(ApiToken))]
    assert token not in hashes and all(len(h) == 64 for h in hashes)


def test_revoked_token_stops_working_at_once(client: TestClient, new_client: Any) -> None:
    signup(client)
    token = api_token(client)
    token_id = client.get("/api/tokens").json()["items"][0]["id"]
    script = new_client()
    auth = {"Authorization": f"Bearer {token}"}
    assert script.get("/api/me", headers=auth).status_code == 200
    assert client.delete(f"/api/tokens/{token_id}").status_code == 204
    assert_error(script.get("/api/me", headers=auth), 401, "unauthorized")
    assert client.get("/api/tokens").json()["items"] == []
    assert_error(client.delete(f"/api/tokens/{token_id}"), 404)


def test_bad_authorization_headers_are_401(client: TestClient) -> None:
    for header in ("Bearer nope", "Basic dXNlcjpwYXNz", "Bearer "):
        assert_error(client.get("/api/me", headers={"Authorization": header}), 401)


def test_tokens_are_private_to_their_owner(client: TestClient, new_client: Any) -> None:
    signup(client)
    api_token(client, "mine")
    mine = client.get("/api/tokens").json()["items"][0]["id"]
    other = new_client()
    signup(other)
    assert other.get("/api/tokens").json()["items"] == []
    assert_error(other.delete(f"/api/tokens/{mine}"), 404)
    assert len(client.get("/api/tokens").json()["items"]) == 1


def test_token_routes_need_auth_and_valid_input(client: TestClient) -> None:
    assert_error(client.get("/api/tokens"), 401)
    assert_error(client.post("/api/tokens", json={"name": "x"}), 401)
    signup(client)
    assert_error(client.post("/api/tokens", json={"name": ""}), 422)
    assert_error(client.post("/api/tokens", json={}), 422)
    assert_error(client.delete("/api/tokens/not-a-uuid"), 422)
    assert_error(client.delete("/api/tokens/00000000-0000-0000-0000-000000000000"), 404)
