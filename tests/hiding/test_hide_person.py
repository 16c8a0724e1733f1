"""Hiding a person from the People tab's routes: never found again, also after a new upload of them
and after reprocessing; unhide brings them back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.factories import assert_error, fetch, run_jobs, upload
from tests.hiding.conftest import JOLIE, JOLIE_LATER, JOLIE_SELFIE, OBAMA, OBAMA_SELFIE, search


def _person_with(client: TestClient, event_id: str, photo_id: str) -> dict[str, Any]:
    for person in client.get(f"/api/events/{event_id}/people").json()["items"]:
        photos = client.get(f"/api/events/{event_id}/people/{person['id']}/photos").json()["items"]
        if photo_id in {p["id"] for p in photos}:
            return dict(person)
    raise AssertionError(f"no person has photo {photo_id}")


def test_a_hidden_person_is_never_found_again_until_unhidden(
    client: TestClient, new_client: Any, app: Any, gallery: dict[str, Any], dataset: Path
) -> None:
    guest, slug, ids = new_client(), gallery["event"]["slug"], gallery["ids"]
    eid = gallery["event"]["id"]
    selfie = (dataset / JOLIE_SELFIE).read_bytes()
    hers = {ids[n] for n in JOLIE}
    assert search(guest, slug, selfie) >= hers
    jolie = _person_with(client, eid, ids[JOLIE[0]])
    assert jolie["hidden"] is False

    r = client.post(f"/api/events/{eid}/people/{jolie['id']}/hide", json={"photos_too": False})
    assert r.status_code == 200, r.text
    assert r.json()["hidden"] is True
    assert not search(guest, slug, selfie) & hers
    for photo in hers:  # photos_too=false: her photos stay in the gallery
        assert fetch(guest, f"/api/public/events/{slug}/photos/{photo}/thumbnail").status_code == 200

    later = upload(client, eid, ("later.jpg", (dataset / JOLIE_LATER).read_bytes())).json()["items"][0]["id"]
    run_jobs(app)
    assert client.post(f"/api/events/{eid}/reprocess", json={"scope": "all"}).status_code == 200
    run_jobs(app)
    assert not search(guest, slug, selfie) & {*hers, later}, "hidden after a new upload and reprocessing"
    assert search(guest, slug, (dataset / OBAMA_SELFIE).read_bytes()) == {ids[OBAMA]}
    assert _person_with(client, eid, later)["hidden"] is True

    r = client.post(f"/api/events/{eid}/people/{jolie['id']}/unhide")
    assert r.status_code == 200 and r.json()["hidden"] is False, r.text
    assert search(guest, slug, selfie) >= hers


def test_hide_with_photos_takes_them_out_of_the_gallery_and_bad_calls_are_clear(
    client: TestClient, new_client: Any, gallery: dict[str, Any]
) -> None:
    slug, ids, eid = gallery["event"]["slug"], gallery["ids"], gallery["event"]["id"]
    jolie = _person_with(client, eid, ids[JOLIE[0]])
    assert client.post(f"/api/events/{eid}/people/{jolie['id']}/hide", json={"photos_too": True}).is_success
    guest = new_client()
    for name, shown in [*((n, 404) for n in JOLIE), (OBAMA, 200)]:
        assert fetch(guest, f"/api/public/events/{slug}/photos/{ids[name]}/thumbnail").status_code == shown
    unknown = "00000000-0000-4000-8000-000000000000"
    assert_error(client.post(f"/api/events/{eid}/people/{unknown}/hide"), 404)
    assert_error(client.post(f"/api/events/{eid}/people/{jolie['id']}/hide", json={"photos_too": "x"}), 422)
