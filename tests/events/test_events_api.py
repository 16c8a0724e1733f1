"""The events API: every route's happy path and its 401, 404 and 422 answers."""

from __future__ import annotations

import io
import re
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from sqlalchemy import select

from eventlens.models import Event
from tests.factories import assert_error, create_event, signup

MISSING = "00000000-0000-0000-0000-000000000000"

# (method, path template, json body) for every event route
ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/api/events/{id}", None),
    ("PATCH", "/api/events/{id}", {"name": "Renamed"}),
    ("DELETE", "/api/events/{id}", None),
    ("POST", "/api/events/{id}/publish", None),
    ("POST", "/api/events/{id}/unpublish", None),
    ("POST", "/api/events/{id}/archive", None),
    ("GET", "/api/events/{id}/qr.svg", None),
    ("GET", "/api/events/{id}/qr.png", None),
    ("GET", "/api/events/{id}/photos", None),
    ("POST", "/api/events/{id}/reprocess", None),
    ("POST", "/api/events/{id}/photos/exists", {"sha256": ["0" * 64]}),
]


def call(client: TestClient, method: str, path: str, body: dict[str, Any] | None) -> Any:
    return client.request(method, path, json=body)


def test_create_read_update_list_and_delete(client: TestClient) -> None:
    signup(client)
    event = create_event(
        client,
        name="Café Gala 2026",
        description="Annual dinner",
        starts_at="2026-06-01T18:00:00",
        ends_at="2026-06-01T23:30:00+02:00",
        retention_days=30,
        access_code="secret-code",
    )
    assert re.fullmatch(r"cafe-gala-2026-[a-z2-9]{5}", event["slug"]), event["slug"]
    assert event["status"] == "draft"
    assert event["has_access_code"] is True and "access_code" not in event
    assert event["starts_at"].startswith("2026-06-01T18:00:00") and event["starts_at"].endswith(
        ("Z", "+00:00")
    )
    assert event["expires_at"].startswith("2026-07-01")  # ends_at (21:30 UTC) + 30 days
    assert event["guest_url"] == f"https://testserver/e/{event['slug']}"
    assert event["counts"] == {
        "photos": {"uploaded": 0, "processing": 0, "indexed": 0, "failed": 0, "total": 0},
        "faces": 0,
        "searches": 0,
        "downloads": 0,
        "subscribers": 0,
        "notifications_sent": 0,
    }
    assert client.get(f"/api/events/{event['id']}").json()["name"] == "Café Gala 2026"

    r = client.patch(f"/api/events/{event['id']}", json={"description": "Changed", "access_code": None})
    assert r.status_code == 200, r.text
    updated = r.json()
    assert updated["description"] == "Changed" and updated["has_access_code"] is False
    assert updated["name"] == "Café Gala 2026"  # untouched fields stay

    listed = client.get("/api/events").json()
    assert [e["id"] for e in listed["items"]] == [event["id"]] and listed["next_cursor"] is None

    assert client.delete(f"/api/events/{event['id']}").status_code == 204
    assert_error(client.get(f"/api/events/{event['id']}"), 404, "not_found")


def test_slugs_are_unique_and_custom_ones_validated(client: TestClient) -> None:
    signup(client)
    first = create_event(client, name="Summer Party")
    second = create_event(client, name="Summer Party")
    # The name's words and a random suffix: a guest link cannot be guessed from the event's name.
    assert first["slug"].startswith("summer-party-") and second["slug"].startswith("summer-party-")
    assert first["slug"] != second["slug"]
    assert create_event(client, name="x", slug="my-own-link")["slug"] == "my-own-link"
    assert_error(client.post("/api/events", json={"name": "y", "slug": "my-own-link"}), 409, "slug_taken")
    for bad in ("UPPER", "a", "-lead", "trail-", "double--hyphen", "api", "spa ce"):
        assert_error(client.post("/api/events", json={"name": "y", "slug": bad}), 422, "validation_error")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({}, "name"),
        ({"name": "x", "starts_at": "2026-06-02T10:00:00Z", "ends_at": "2026-06-01T10:00:00Z"}, "ends_at"),
        ({"name": "x", "retention_days": 0}, "retention_days"),
        ({"name": "x", "retention_days": 5000}, "retention_days"),
        ({"name": "x", "access_code": "abc"}, "access_code"),
        ({"name": "x", "starts_at": "not a date"}, "starts_at"),
        ({"name": "x", "unknown": 1}, "unknown"),
    ],
)
def test_bad_input_gets_a_clear_422(client: TestClient, body: dict[str, Any], field: str) -> None:
    signup(client)
    err = assert_error(client.post("/api/events", json=body), 422, "validation_error")
    assert field in err["message"], err


def test_patch_keeps_dates_in_order(client: TestClient) -> None:
    signup(client)
    event = create_event(client, starts_at="2026-06-02T10:00:00Z")
    err = assert_error(
        client.patch(f"/api/events/{event['id']}", json={"ends_at": "2026-06-01T10:00:00Z"}), 422
    )
    assert "ends_at" in err["message"]


def test_status_changes_follow_the_rules(client: TestClient) -> None:
    signup(client)
    event = create_event(client)
    base = f"/api/events/{event['id']}"
    assert_error(client.post(f"{base}/unpublish"), 409, "invalid_status_change")
    published = client.post(f"{base}/publish").json()
    assert published["status"] == "published" and published["published_at"]
    assert_error(client.post(f"{base}/publish"), 409, "invalid_status_change")
    assert client.post(f"{base}/unpublish").json()["status"] == "draft"
    assert client.post(f"{base}/archive").json()["status"] == "archived"
    assert_error(client.post(f"{base}/archive"), 409)
    assert client.post(f"{base}/publish").json()["status"] == "published"


def test_pagination_walks_every_event_once_newest_first(client: TestClient) -> None:
    signup(client)
    made = [create_event(client, name=f"Event {i}")["id"] for i in range(7)]
    seen: list[str] = []
    cursor = None
    while True:
        page = client.get("/api/events", params={"limit": 3, **({"cursor": cursor} if cursor else {})}).json()
        assert len(page["items"]) <= 3
        seen += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(made))
    assert_error(client.get("/api/events", params={"cursor": "garbage"}), 422)
    assert_error(client.get("/api/events", params={"limit": 0}), 422)
    assert_error(client.get("/api/events", params={"limit": 999}), 422)


def test_qr_codes_encode_the_guest_link(client: TestClient) -> None:
    signup(client)
    event = create_event(client, name="QR Party")
    png = client.get(f"/api/events/{event['id']}/qr.png")
    assert png.headers["content-type"] == "image/png"
    with Image.open(io.BytesIO(png.content)) as im:
        assert im.size[0] == im.size[1] and im.size[0] >= 200
    svg = client.get(f"/api/events/{event['id']}/qr.svg?download=1")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.lstrip().startswith("<?xml") and "<svg" in svg.text
    assert f'filename="{event["slug"]}-qr.svg"' in svg.headers["content-disposition"]


def test_access_code_is_stored_hashed(client: TestClient, app: Any) -> None:
    signup(client)
    event = create_event(client, access_code="my-party-code")
    with app.state.ctx.sessions() as db:
        row = db.scalar(select(Event).where(Event.id == uuid.UUID(event["id"])))
        assert row.access_code_hash.startswith("$argon2id$")
        assert "my-party-code" not in row.access_code_hash


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_every_event_route_needs_auth(
    new_client: Any, method: str, path: str, body: dict[str, Any] | None
) -> None:
    assert_error(call(new_client(), method, path.format(id=MISSING), body), 401, "unauthorized")


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_every_event_route_404s_for_an_unknown_event(
    client: TestClient, method: str, path: str, body: dict[str, Any] | None
) -> None:
    signup(client)
    assert_error(call(client, method, path.format(id=MISSING), body), 404, "not_found")
    assert_error(call(client, method, path.format(id="not-a-uuid"), body), 422)


def test_list_and_create_need_auth(new_client: Any) -> None:
    anonymous = new_client()
    assert_error(anonymous.get("/api/events"), 401)
    assert_error(anonymous.post("/api/events", json={"name": "x"}), 401)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    when=st.datetimes(timezones=st.just(None) | st.timezones()).map(lambda d: d.isoformat())
    | st.sampled_from(
        ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "2026-02-30T10:00:00", "10000-01-01", ""]
    ),
    field=st.sampled_from(["starts_at", "ends_at"]),
)
def test_any_date_is_stored_or_refused_with_422_never_500(client: TestClient, when: str, field: str) -> None:
    if "X-CSRF-Token" not in client.headers:
        signup(client)
    r = client.post("/api/events", json={"name": "Dates", field: when, "retention_days": 3650})
    assert r.status_code in (201, 422), r.text
    if r.status_code == 422:
        assert_error(r, 422, "validation_error")
