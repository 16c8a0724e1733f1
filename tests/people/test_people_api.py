"""People through the API, on real photos: grouping, new uploads joining, curating, bad input, cleanup."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select, update

from eventlens.db import session_scope
from eventlens.models import Face, Person
from eventlens.people import service as people_service
from tests.factories import assert_error, create_event, run_jobs, signup, upload

JOLIE = [f"identities/Angelina_Jolie/{n}.jpg" for n in (1, 2, 3)]
OBAMA = ["identities/Barack_Obama/1.jpg", "identities/Barack_Obama/2.jpg"]
CLOONEY = ["identities/George_Clooney/1.jpg"]


def _upload(client: TestClient, app: Any, dataset: Path, event_id: str, names: list[str]) -> dict[str, str]:
    r = upload(client, event_id, *[(n.replace("/", "_"), (dataset / n).read_bytes()) for n in names])
    assert r.json()["stored"] == len(names), r.text
    run_jobs(app)
    return dict(zip(names, [i["id"] for i in r.json()["items"]], strict=True))


def _people(client: TestClient, event_id: str) -> list[dict[str, Any]]:
    r = client.get(f"/api/events/{event_id}/people")
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def _photos(client: TestClient, event_id: str, person_id: str) -> set[str]:
    r = client.get(f"/api/events/{event_id}/people/{person_id}/photos")
    assert r.status_code == 200, r.text
    return {p["id"] for p in r.json()["items"]}


def _person_of(client: TestClient, event_id: str, photo_id: str) -> dict[str, Any]:
    found = [p for p in _people(client, event_id) if photo_id in _photos(client, event_id, p["id"])]
    assert len(found) == 1, found
    return found[0]


@pytest.fixture
def grouped(client: TestClient, app: Any, dataset: Path) -> dict[str, Any]:
    """An event with three photos of one person, two of another and one of a third, processed."""
    signup(client)
    event = create_event(client, name="Gala")
    ids = _upload(client, app, dataset, event["id"], [*JOLIE, *OBAMA, *CLOONEY])
    return {"event": event, "ids": ids}


def test_faces_of_one_person_are_one_person_sorted_by_photo_count(
    client: TestClient, grouped: dict[str, Any]
) -> None:
    eid, ids = grouped["event"]["id"], grouped["ids"]
    people = _people(client, eid)
    assert [p["photo_count"] for p in people] == [3, 2, 1]
    assert _photos(client, eid, people[0]["id"]) == {ids[n] for n in JOLIE}
    assert _photos(client, eid, people[1]["id"]) == {ids[n] for n in OBAMA}
    assert _photos(client, eid, people[2]["id"]) == {ids[n] for n in CLOONEY}
    assert all(p["hidden"] is False and p["name"] is None for p in people)
    # a page at a time, in the same order
    first = client.get(f"/api/events/{eid}/people", params={"limit": 2}).json()
    rest = client.get(f"/api/events/{eid}/people", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [p["id"] for p in first["items"] + rest["items"]] == [p["id"] for p in people]
    assert rest["next_cursor"] is None
    assert_error(client.get(f"/api/events/{eid}/people", params={"cursor": "nonsense"}), 422)


def test_a_new_photo_joins_its_named_person(
    client: TestClient, app: Any, dataset: Path, grouped: dict[str, Any]
) -> None:
    eid = grouped["event"]["id"]
    jolie = _person_of(client, eid, grouped["ids"][JOLIE[0]])
    r = client.patch(f"/api/events/{eid}/people/{jolie['id']}", json={"name": "  Angelina   J. "})
    assert r.status_code == 200 and r.json()["name"] == "Angelina J.", r.text
    new = _upload(client, app, dataset, eid, ["identities/Angelina_Jolie/4.jpg"])
    after = _person_of(client, eid, new["identities/Angelina_Jolie/4.jpg"])
    assert after["id"] == jolie["id"] and after["name"] == "Angelina J." and after["photo_count"] == 4
    assert len(_people(client, eid)) == 3


def test_merge_split_and_rename(client: TestClient, app: Any, dataset: Path, grouped: dict[str, Any]) -> None:
    eid, ids = grouped["event"]["id"], grouped["ids"]
    obama = _person_of(client, eid, ids[OBAMA[0]])
    clooney = _person_of(client, eid, ids[CLOONEY[0]])
    r = client.post(f"/api/events/{eid}/people/{clooney['id']}/merge", json={"into": obama["id"]})
    assert r.status_code == 200, r.text
    assert r.json()["id"] == obama["id"] and r.json()["photo_count"] == 3
    assert len(_people(client, eid)) == 2
    assert_error(client.get(f"/api/events/{eid}/people/{clooney['id']}/photos"), 404, "not_found")
    # the merged person stays one person: a new photo of him joins it
    third = "identities/Barack_Obama/3.jpg"
    ids |= _upload(client, app, dataset, eid, [third])
    assert _person_of(client, eid, ids[third])["id"] == obama["id"]
    # split Clooney's face out again: it becomes a person of its own
    faces = client.get(f"/api/events/{eid}/people/{obama['id']}/faces").json()["items"]
    theirs = [f["id"] for f in faces if f["photo_id"] == ids[CLOONEY[0]]]
    r = client.post(f"/api/events/{eid}/people/{obama['id']}/split", json={"face_ids": theirs})
    assert r.status_code == 201, r.text
    split = r.json()
    assert split["photo_count"] == 1 and split["id"] not in (obama["id"], clooney["id"])
    assert _photos(client, eid, split["id"]) == {ids[CLOONEY[0]]}
    assert _photos(client, eid, obama["id"]) == {ids[n] for n in [*OBAMA, third]}
    r = client.patch(f"/api/events/{eid}/people/{split['id']}", json={"name": None})
    assert r.status_code == 200 and r.json()["name"] is None


def test_bad_curating_is_refused_and_changes_nothing(
    client: TestClient, new_client: Any, app: Any, dataset: Path, grouped: dict[str, Any]
) -> None:
    eid, ids = grouped["event"]["id"], grouped["ids"]
    jolie = _person_of(client, eid, ids[JOLIE[0]])
    obama = _person_of(client, eid, ids[OBAMA[0]])
    unknown = "00000000-0000-4000-8000-000000000000"
    base = f"/api/events/{eid}/people"
    before = _people(client, eid)
    assert_error(client.post(f"{base}/{unknown}/merge", json={"into": obama["id"]}), 404, "not_found")
    assert_error(client.post(f"{base}/{jolie['id']}/merge", json={"into": unknown}), 422, "unknown_person")
    assert_error(client.post(f"{base}/{jolie['id']}/merge", json={"into": jolie["id"]}), 422, "same_person")
    assert_error(client.post(f"{base}/{jolie['id']}/merge", json={}), 422)
    obama_faces = [f["id"] for f in client.get(f"{base}/{obama['id']}/faces").json()["items"]]
    jolie_faces = [f["id"] for f in client.get(f"{base}/{jolie['id']}/faces").json()["items"]]
    split = f"{base}/{jolie['id']}/split"
    assert_error(client.post(split, json={"face_ids": [obama_faces[0]]}), 422, "unknown_faces")
    assert_error(client.post(split, json={"face_ids": [jolie_faces[0], unknown]}), 422, "unknown_faces")
    assert_error(client.post(split, json={"face_ids": jolie_faces}), 422, "nothing_left")
    assert_error(client.post(split, json={"face_ids": []}), 422)
    assert_error(client.patch(f"{base}/{jolie['id']}", json={"name": "x" * 201}), 422)
    assert_error(client.patch(f"{base}/{unknown}", json={"name": "x"}), 404, "not_found")
    assert_error(client.get(f"/api/events/{eid}/faces/{unknown}/thumbnail"), 404, "not_found")
    # another event's person is not this event's, in the path or as `into`
    other = create_event(client, name="Other")
    theirs = _upload(client, app, dataset, other["id"], ["identities/Joe_Biden/1.jpg"])
    stranger = _person_of(client, other["id"], theirs["identities/Joe_Biden/1.jpg"])
    assert_error(
        client.post(f"{base}/{jolie['id']}/merge", json={"into": stranger["id"]}), 422, "unknown_person"
    )
    assert_error(client.get(f"{base}/{stranger['id']}/photos"), 404, "not_found")
    assert _people(client, eid) == before


def test_face_thumbnail_is_a_small_crop_kept_in_the_store(
    client: TestClient, app: Any, grouped: dict[str, Any]
) -> None:
    eid = grouped["event"]["id"]
    person = _people(client, eid)[0]
    r = client.get(person["face_thumbnail_url"])
    assert r.status_code == 200 and r.headers["content-type"] == "image/webp"
    image = Image.open(io.BytesIO(r.content))
    assert image.format == "WEBP" and max(image.size) <= 160 and min(image.size) >= 40
    keys = list(app.state.ctx.storage.list_keys(f"events/{eid}/photos/"))
    assert sum(".face-" in k for k in keys) == 1
    assert client.get(person["face_thumbnail_url"]).content == r.content


def test_a_person_goes_with_their_last_photo(client: TestClient, app: Any, grouped: dict[str, Any]) -> None:
    eid, ids = grouped["event"]["id"], grouped["ids"]
    clooney = _person_of(client, eid, ids[CLOONEY[0]])
    assert client.delete(f"/api/photos/{ids[CLOONEY[0]]}").status_code == 204
    assert clooney["id"] not in {p["id"] for p in _people(client, eid)}
    assert client.delete(f"/api/events/{eid}").status_code == 204
    with session_scope(app.state.ctx.sessions) as db:
        assert db.scalars(select(Person)).all() == []


def test_an_event_indexed_before_people_is_grouped_by_a_job_and_regroup_keeps_names(
    client: TestClient, app: Any, dataset: Path, grouped: dict[str, Any]
) -> None:
    eid, ids = grouped["event"]["id"], grouped["ids"]
    with session_scope(app.state.ctx.sessions) as db:  # as after the migration: faces, no people
        db.execute(update(Face).values(person_id=None))
        db.execute(Person.__table__.delete())
    assert _people(client, eid) == []
    _upload(client, app, dataset, eid, ["identities/Angelina_Jolie/4.jpg"])  # its processing queues the job
    people = _people(client, eid)
    assert [p["photo_count"] for p in people] == [4, 2, 1]
    jolie = people[0]
    client.patch(f"/api/events/{eid}/people/{jolie['id']}", json={"name": "AJ"})
    r = client.post(f"/api/events/{eid}/people/regroup")
    assert r.status_code == 202, r.text
    run_jobs(app)
    again = _people(client, eid)
    assert [p["photo_count"] for p in again] == [4, 2, 1]
    assert again[0]["id"] == jolie["id"] and again[0]["name"] == "AJ"
    assert _photos(client, eid, again[1]["id"]) == {ids[n] for n in OBAMA}


def test_a_grouping_failure_leaves_the_photo_indexed(
    client: TestClient, app: Any, dataset: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(db: Any, photo: Any, faces: Any, *_args: Any) -> None:
        for face in faces:
            face.person_id = None
        db.flush()
        raise RuntimeError("grouping broke")

    monkeypatch.setattr(people_service, "photo_indexed", broken)
    signup(client)
    event = create_event(client, name="Fragile")
    ids = _upload(client, app, dataset, event["id"], CLOONEY)
    photo = client.get(f"/api/photos/{ids[CLOONEY[0]]}").json()
    assert photo["status"] == "indexed" and photo["face_count"] == 1
    assert len(client.get(f"/api/photos/{ids[CLOONEY[0]]}/faces").json()["items"]) == 1
    assert _people(client, event["id"]) == []
