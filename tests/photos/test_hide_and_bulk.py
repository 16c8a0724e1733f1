"""Hiding photos from guests, bulk actions, and the automatic cover, through the API."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import assert_error, create_event, fetch, run_jobs, signup, upload

JOLIE = [f"identities/Angelina_Jolie/{n}.jpg" for n in (1, 2, 3)]
SELFIE = "identities/Angelina_Jolie/6.jpg"
NO_FACE = "nofaces/skimage_brick.png"
OTHER = "identities/Jack_Dorsey/1.jpg"  # no EXIF date: the automatic cover goes by upload order


@pytest.fixture
def gallery(client: TestClient, app: Any, dataset: Path) -> dict[str, Any]:
    """A published event: a photo without a face first, then three of one person and one of another."""
    signup(client)
    event = create_event(client, name="Launch")
    names = [NO_FACE, *JOLIE, OTHER]
    r = upload(client, event["id"], *[(n.replace("/", "_"), (dataset / n).read_bytes()) for n in names])
    assert r.json()["stored"] == len(names), r.text
    run_jobs(app)
    assert client.post(f"/api/events/{event['id']}/publish").status_code == 200
    ids = dict(zip(names, [i["id"] for i in r.json()["items"]], strict=True))
    return {"event": event, "ids": ids}


def _found(guest: TestClient, slug: str, dataset: Path) -> set[str]:
    r = guest.post(
        f"/api/public/events/{slug}/search", files={"selfie": ("me.jpg", (dataset / SELFIE).read_bytes())}
    )
    assert r.status_code == 200, r.text
    return {m["photo_id"] for m in r.json()["matches"]}


def test_a_hidden_photo_leaves_search_downloads_zip_and_count_until_shown_again(
    client: TestClient, new_client: Any, gallery: dict[str, Any], dataset: Path
) -> None:
    slug, ids = gallery["event"]["slug"], gallery["ids"]
    hidden = ids[JOLIE[0]]
    guest = new_client()
    assert hidden in _found(guest, slug, dataset)
    count = guest.get(f"/api/public/events/{slug}").json()["photo_count"]

    r = client.patch(f"/api/photos/{hidden}", json={"hidden": True})
    assert r.status_code == 200 and r.json()["hidden"] is True, r.text
    assert client.get(f"/api/photos/{hidden}").json()["hidden"] is True  # the owner still sees it

    found = _found(guest, slug, dataset)
    assert hidden not in found and {ids[n] for n in JOLIE[1:]} <= found
    assert guest.get(f"/api/public/events/{slug}").json()["photo_count"] == count - 1
    for variant in ("preview", "thumbnail", "download"):
        assert_error(guest.get(f"/api/public/events/{slug}/photos/{hidden}/{variant}"), 404, "not_found")
    assert_error(guest.post(f"/api/public/events/{slug}/download", json={"photo_ids": [hidden]}), 404)

    assert client.patch(f"/api/photos/{hidden}", json={"hidden": False}).json()["hidden"] is False
    assert hidden in _found(guest, slug, dataset)


def test_patch_refuses_other_fields_and_strangers(
    client: TestClient, new_client: Any, gallery: dict[str, Any]
) -> None:
    photo = gallery["ids"][OTHER]
    assert_error(client.patch(f"/api/photos/{photo}", json={"hidden": "maybe"}), 422)
    assert_error(client.patch(f"/api/photos/{photo}", json={"status": "indexed"}), 422)
    stranger = new_client()
    signup(stranger, email="other@example.com")
    assert_error(stranger.patch(f"/api/photos/{photo}", json={"hidden": True}), 404, "not_found")
    assert client.get(f"/api/photos/{photo}").json()["hidden"] is False


def test_bulk_hide_show_and_delete(client: TestClient, gallery: dict[str, Any]) -> None:
    event, ids = gallery["event"], gallery["ids"]
    url = f"/api/events/{event['id']}/photos/bulk"
    two = [ids[JOLIE[1]], ids[JOLIE[2]]]
    r = client.post(url, json={"photo_ids": two, "action": "hide"})
    assert r.status_code == 200 and r.json() == {"action": "hide", "count": 2}, r.text
    assert [client.get(f"/api/photos/{p}").json()["hidden"] for p in two] == [True, True]
    assert client.post(url, json={"photo_ids": two[:1], "action": "show"}).json()["count"] == 1
    assert [client.get(f"/api/photos/{p}").json()["hidden"] for p in two] == [False, True]

    r = client.post(url, json={"photo_ids": two, "action": "delete"})
    assert r.json() == {"action": "delete", "count": 2}
    for p in two:
        assert_error(client.get(f"/api/photos/{p}"), 404)
    left = {p["id"] for p in client.get(f"/api/events/{event['id']}/photos").json()["items"]}
    assert left == {ids[NO_FACE], ids[JOLIE[0]], ids[OTHER]}


def test_bulk_with_a_foreign_id_or_bad_action_does_nothing(
    client: TestClient, gallery: dict[str, Any]
) -> None:
    event, ids = gallery["event"], gallery["ids"]
    url = f"/api/events/{event['id']}/photos/bulk"
    mine = ids[OTHER]
    err = assert_error(
        client.post(url, json={"photo_ids": [mine, str(uuid.uuid4())], "action": "delete"}), 422
    )
    assert err["code"] == "unknown_photos"
    assert client.get(f"/api/photos/{mine}").status_code == 200, "nothing deleted"
    assert_error(client.post(url, json={"photo_ids": [mine], "action": "burn"}), 422)
    assert_error(client.post(url, json={"photo_ids": [], "action": "hide"}), 422)
    assert client.get(f"/api/photos/{mine}").json()["hidden"] is False


def test_the_cover_is_the_first_photo_with_a_face_until_one_is_picked(
    client: TestClient, new_client: Any, gallery: dict[str, Any]
) -> None:
    event, ids = gallery["event"], gallery["ids"]
    slug = event["slug"]
    guest = new_client()
    assert client.get(f"/api/events/{event['id']}").json()["cover_photo_id"] is None
    view = guest.get(f"/api/public/events/{slug}").json()
    assert view["cover_url"] == f"/api/public/events/{slug}/cover"
    auto = fetch(guest, view["cover_url"])
    assert auto.status_code == 200
    first_face = ids[JOLIE[0]]  # the brick photo came first but has no face
    assert auto.content == fetch(client, f"/api/photos/{first_face}/preview").content

    # Hiding the automatic cover moves it on; a pick wins; hiding the pick falls back to automatic.
    client.patch(f"/api/photos/{first_face}", json={"hidden": True})
    assert (
        fetch(guest, view["cover_url"]).content
        == fetch(client, f"/api/photos/{ids[JOLIE[1]]}/preview").content
    )
    client.patch(f"/api/events/{event['id']}", json={"cover_photo_id": ids[OTHER]})
    assert (
        fetch(guest, view["cover_url"]).content == fetch(client, f"/api/photos/{ids[OTHER]}/preview").content
    )
    client.patch(f"/api/photos/{ids[OTHER]}", json={"hidden": True})
    assert (
        fetch(guest, view["cover_url"]).content
        == fetch(client, f"/api/photos/{ids[JOLIE[1]]}/preview").content
    )


def test_no_cover_while_no_shown_photo_has_a_face(
    client: TestClient, new_client: Any, app: Any, dataset: Path
) -> None:
    signup(client)
    event = create_event(client, name="Bricks")
    upload(client, event["id"], ("brick.png", (dataset / NO_FACE).read_bytes()))
    run_jobs(app)
    client.post(f"/api/events/{event['id']}/publish")
    guest = new_client()
    assert guest.get(f"/api/public/events/{event['slug']}").json()["cover_url"] is None
    assert_error(guest.get(f"/api/public/events/{event['slug']}/cover"), 404, "not_found")
