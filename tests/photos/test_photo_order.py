"""GET /api/events/{id}/photos?sort=taken|uploaded&order=asc|desc: the server's order, pages that
neither repeat nor skip a photo across ties, photos without a taken time last; the dashboard uses it."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from eventlens.models import Photo, PhotoSource
from tests.factories import assert_error, create_event, signup

T0 = datetime(2026, 6, 20, 14, 0, tzinfo=UTC)


def _photos(app: Any, event_id: str) -> dict[str, Photo]:
    """12 photos: taken times with ties (three at T0+1h), four without one, upload times with ties."""
    taken = [
        T0,
        T0 + timedelta(hours=1),
        T0 + timedelta(hours=1),
        T0 + timedelta(hours=1),
        T0 - timedelta(days=1),
    ]
    taken += [T0 + timedelta(minutes=m) for m in (5, 3, 7)] + [None] * 4
    made: dict[str, Photo] = {}
    with app.state.ctx.sessions() as db, db.begin():
        for n, when in enumerate(taken):
            photo = Photo(
                event_id=uuid.UUID(event_id),
                source=PhotoSource.api,
                original_filename=f"p{n:02}.jpg",
                object_key=f"events/{event_id}/x{n}",
                sha256=f"{n:064x}",
                size=1,
                mime="image/jpeg",
                taken_at=when,
                created_at=T0 + timedelta(days=1, minutes=n // 3),  # uploads in threes at the same time
            )
            db.add(photo)
            made[photo.original_filename] = photo
        db.flush()
        return {name: p for name, p in made.items()}


def _walk(client: TestClient, event_id: str, limit: int, **params: str) -> list[str]:
    names: list[str] = []
    cursor = None
    for _ in range(50):
        query: dict[str, Any] = {"limit": limit, **params} | ({"cursor": cursor} if cursor else {})
        r = client.get(f"/api/events/{event_id}/photos", params=query)
        assert r.status_code == 200, r.text
        names += [p["original_filename"] for p in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if not cursor:
            return names
    raise AssertionError("the pages never ended")


def _expected(photos: dict[str, Photo], sort: str, order: str) -> list[str]:
    rows = list(photos.values())
    desc = order == "desc"
    if sort == "uploaded":
        rows.sort(key=lambda p: (p.created_at, p.id), reverse=desc)
        return [p.original_filename for p in rows]
    dated = sorted(
        (p for p in rows if p.taken_at), key=lambda p: (p.taken_at, p.created_at, p.id), reverse=desc
    )
    undated = sorted((p for p in rows if not p.taken_at), key=lambda p: (p.created_at, p.id), reverse=desc)
    return [p.original_filename for p in dated + undated]  # without a taken time: always last


@pytest.fixture
def event(client: TestClient) -> dict[str, Any]:
    signup(client)
    return create_event(client, name="Order")


@pytest.mark.parametrize(("sort", "order"), list(itertools.product(["taken", "uploaded"], ["asc", "desc"])))
def test_every_page_size_gives_the_same_order_without_repeats(
    app: Any, client: TestClient, event: dict[str, Any], sort: str, order: str
) -> None:
    photos = _photos(app, event["id"])
    expected = _expected(photos, sort, order)
    assert len(set(expected)) == 12
    for limit in (1, 2, 3, 5, 12, 100):
        assert _walk(client, event["id"], limit, sort=sort, order=order) == expected, limit


def test_defaults_newest_upload_first_and_taken_earliest_first(
    app: Any, client: TestClient, event: dict[str, Any]
) -> None:
    photos = _photos(app, event["id"])
    assert _walk(client, event["id"], 4) == _expected(photos, "uploaded", "desc")
    by_taken = _walk(client, event["id"], 4, sort="taken")
    assert by_taken == _expected(photos, "taken", "asc")
    assert by_taken[0] == "p04.jpg" and all(photos[n].taken_at is None for n in by_taken[-4:])


def test_bad_sort_order_or_foreign_cursor_is_422(app: Any, client: TestClient, event: dict[str, Any]) -> None:
    _photos(app, event["id"])
    url = f"/api/events/{event['id']}/photos"
    assert_error(client.get(url, params={"sort": "name"}), 422, "validation_error")
    assert_error(client.get(url, params={"order": "sideways"}), 422, "validation_error")
    cursor = client.get(url, params={"limit": 2, "sort": "taken"}).json()["next_cursor"]
    assert cursor
    assert_error(client.get(url, params={"cursor": cursor}), 422, "validation_error")  # made for sort=taken
    assert_error(client.get(url, params={"cursor": cursor, "sort": "taken", "order": "desc"}), 422)
    assert_error(client.get(url, params={"cursor": "bm90fGF8Y3Vyc29y", "sort": "taken"}), 422)


def test_the_dashboard_sorts_on_the_server(app: Any, client: TestClient, event: dict[str, Any]) -> None:
    photos = _photos(app, event["id"])
    page = client.get(f"/events/{event['id']}", params={"sort": "taken"})
    assert page.status_code == 200
    ids = {str(p.id): name for name, p in photos.items()}
    shown = [ids[i] for i in _grid_ids(page.text)]
    assert shown == _expected(photos, "taken", "asc")
    assert 'value="taken" selected' in page.text
    default = client.get(f"/events/{event['id']}")
    assert [ids[i] for i in _grid_ids(default.text)] == _expected(photos, "uploaded", "desc")


def _grid_ids(html: str) -> list[str]:
    from html.parser import HTMLParser

    found: list[str] = []

    class Grid(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            values = dict(attrs)
            if tag == "li" and values.get("data-photo-id"):
                found.append(str(values["data-photo-id"]))

    Grid().feed(html)
    return found
