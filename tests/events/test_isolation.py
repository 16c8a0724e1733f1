"""Tenant isolation: another photographer's event is a 404 on every route, and stays unchanged."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import api_token, assert_error, create_event, signup

from .test_events_api import ROUTES, call


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_another_photographers_event_is_404_on_every_route(
    client: TestClient, new_client: Any, method: str, path: str, body: dict[str, Any] | None
) -> None:
    signup(client)  # the admin
    alice = new_client()
    signup(alice)
    event = create_event(alice, name="Alice's wedding")
    bob = new_client()
    signup(bob)
    assert_error(call(bob, method, path.format(id=event["id"]), body), 404, "not_found")
    # by Bearer token too
    token = api_token(bob)
    script = new_client()
    script.headers["Authorization"] = f"Bearer {token}"
    assert_error(call(script, method, path.format(id=event["id"]), body), 404, "not_found")
    after = alice.get(f"/api/events/{event['id']}").json()
    assert (after["name"], after["status"]) == ("Alice's wedding", "draft")
    assert [e["id"] for e in bob.get("/api/events").json()["items"]] == []


def test_admins_see_every_event(client: TestClient, new_client: Any) -> None:
    admin = signup(client)
    assert admin["role"] == "admin"
    alice = new_client()
    signup(alice)
    event = create_event(alice)
    assert client.get(f"/api/events/{event['id']}").status_code == 200
    assert client.get("/api/events").json()["items"] == []  # own list by default
    everyone = client.get("/api/events?all=true").json()["items"]
    assert [e["id"] for e in everyone] == [event["id"]]
    # a photographer asking for all still sees only their own
    assert alice.get("/api/events?all=true").json()["items"][0]["id"] == event["id"]
