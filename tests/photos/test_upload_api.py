"""Uploading photos through the API: every odd file gets its answer and leaves nothing behind."""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select

from eventlens.models import Photo
from eventlens.photos.errors import CorruptImage
from tests.factories import assert_error, create_event, fetch, run_jobs, signup, upload

from .badfiles import ACCEPTED_NAMES, FAILED_IN_JOB_NAMES, REFUSED_NAMES, Corpus

EXPECTED_REFUSAL = {
    "EmptyFile": (422, "empty_file"),
    "CorruptImage": (422, "corrupt_image"),
    "UnsupportedType": (415, "unsupported_media_type"),
    "TooManyPixels": (413, "too_many_pixels"),
    "TooLarge": (413, "file_too_large"),
}


def _objects(app: Any, event_id: str) -> list[str]:
    return sorted(app.state.ctx.storage.list_keys(f"events/{event_id}/"))


def _photo_rows(app: Any) -> int:
    with app.state.ctx.sessions() as db:
        return int(db.scalar(select(func.count()).select_from(Photo)) or 0)


@pytest.fixture
def event(client: TestClient) -> dict[str, Any]:
    signup(client)
    return create_event(client, name="Upload test")


def test_a_real_photo_is_stored_processed_and_served(
    client: TestClient, app: Any, event: dict[str, Any], dataset: Path
) -> None:
    data = (dataset / "identities/Matt_Damon/4.jpg").read_bytes()
    r = upload(client, event["id"], ("damon.jpg", data))
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["stored"], body["duplicates"], body["rejected"]) == (1, 0, 0)
    item = body["items"][0]
    assert item["status"] == "uploaded" and item["filename"] == "damon.jpg"
    photo_id = item["id"]
    assert _objects(app, event["id"]) == [f"events/{event['id']}/photos/{photo_id}.jpg"]

    assert run_jobs(app) >= 1
    photo = client.get(f"/api/photos/{photo_id}").json()
    assert photo["status"] == "indexed", photo
    assert photo["size"] == len(data) and photo["mime"] == "image/jpeg"
    assert photo["width"] > 0 and photo["height"] > 0
    assert len(_objects(app, event["id"])) == 3  # original, preview, thumbnail
    original = fetch(client, f"/api/photos/{photo_id}/original")
    assert original.content == data
    thumb = fetch(client, photo["thumbnail_url"])
    assert thumb.headers["content-type"] == "image/webp"


def test_the_same_file_twice_is_stored_once(
    client: TestClient, app: Any, event: dict[str, Any], dataset: Path
) -> None:
    data = (dataset / "identities/Matt_Damon/4.jpg").read_bytes()
    first = upload(client, event["id"], ("a.jpg", data)).json()["items"][0]
    r = upload(client, event["id"], ("copy-of-a.jpg", data))
    assert r.status_code == 200
    second = r.json()["items"][0]
    assert second["duplicate_of"] == first["id"] and second["id"] == first["id"]
    assert _photo_rows(app) == 1
    assert len(_objects(app, event["id"])) == 1
    # and twice in one request as well
    r = upload(client, event["id"], ("x.jpg", data), ("y.jpg", data))
    assert r.json()["duplicates"] == 2


@pytest.mark.parametrize("case", REFUSED_NAMES)
def test_refused_files_get_their_status_and_leave_nothing(
    client: TestClient, app: Any, event: dict[str, Any], corpus: Corpus, case: str
) -> None:
    sample = corpus[case]
    expected = sample.spool_error or sample.error
    assert expected is not None
    status, code = EXPECTED_REFUSAL[expected.__name__]
    r = upload(client, event["id"], (f"{case}.jpg", sample.path.read_bytes()))
    err = assert_error(r, status, code)
    assert err["details"]["items"][0]["error"]["code"] == code
    assert _objects(app, event["id"]) == []
    assert _photo_rows(app) == 0
    spool = Path(app.state.ctx.site.data_dir) / "spool" / "uploads"
    assert not spool.exists() or list(spool.iterdir()) == []


@pytest.mark.parametrize("case", ACCEPTED_NAMES)
def test_accepted_odd_files_are_processed_into_previews(
    client: TestClient, app: Any, event: dict[str, Any], corpus: Corpus, case: str
) -> None:
    sample = corpus[case]
    r = upload(client, event["id"], (sample.path.name, sample.path.read_bytes()))
    assert r.status_code == 201, r.text
    photo_id = r.json()["items"][0]["id"]
    run_jobs(app)
    photo = client.get(f"/api/photos/{photo_id}").json()
    assert photo["status"] == "indexed", photo
    assert sample.kind is not None and photo["mime"] == sample.kind.mime
    assert sample.size is not None and (photo["width"], photo["height"]) == sample.size
    preview = fetch(client, photo["preview_url"])
    with Image.open(io.BytesIO(preview.content)) as im:
        assert im.mode == "RGB"
        w, h = im.size
    # upright: the preview has the displayed orientation of the original
    assert (w >= h) == (sample.size[0] >= sample.size[1])


@pytest.mark.parametrize("case", FAILED_IN_JOB_NAMES)
def test_damage_only_a_decode_finds_fails_the_photo_in_the_job(
    client: TestClient, app: Any, event: dict[str, Any], corpus: Corpus, case: str
) -> None:
    """The upload reads headers only: a complete JPEG damaged inside is stored, and its job fails it
    with the reason (once, without retries) instead of leaving it waiting."""
    sample = corpus[case]
    r = upload(client, event["id"], (f"{case}.jpg", sample.path.read_bytes()))
    assert r.status_code == 201, r.text
    photo_id = r.json()["items"][0]["id"]
    run_jobs(app)
    photo = client.get(f"/api/photos/{photo_id}").json()
    assert photo["status"] == "failed", photo
    assert photo["error"] == CorruptImage().message, photo
    assert photo["preview_url"] is None


def test_a_mixed_batch_answers_per_file(
    client: TestClient, app: Any, event: dict[str, Any], corpus: Corpus
) -> None:
    good = corpus["real_jpeg"].path.read_bytes()
    r = upload(
        client, event["id"], ("good.jpg", good), ("empty.jpg", b""), ("notes.jpg", b"hello world" * 10)
    )
    assert r.status_code == 201
    body = r.json()
    assert (body["stored"], body["rejected"]) == (1, 2)
    codes = [i["error"]["code"] if i["error"] else None for i in body["items"]]
    assert codes == [None, "empty_file", "unsupported_media_type"]
    assert _photo_rows(app) == 1


def test_upload_needs_files_and_a_known_event(
    client: TestClient, event: dict[str, Any], new_client: Any
) -> None:
    url = f"/api/events/{event['id']}/photos"
    assert_error(client.post(url, files={"album": (None, "no files here")}), 422, "validation_error")
    assert_error(client.post(url, data={"x": "1"}), 400, "bad_upload")
    assert_error(client.post(url, content=b"{}"), 400, "bad_upload")
    assert_error(upload(client, "00000000-0000-0000-0000-000000000000", ("a.jpg", b"x")), 404)
    other = new_client()
    signup(other)
    assert_error(upload(other, event["id"], ("a.jpg", b"x")), 404)
    anonymous = new_client()
    assert_error(upload(anonymous, event["id"], ("a.jpg", b"x")), 401)


def test_photo_list_filters_by_status_and_pages(
    client: TestClient, app: Any, event: dict[str, Any], dataset: Path
) -> None:
    files = sorted((dataset / "identities" / "Angelina_Jolie").iterdir())[:5]
    r = upload(client, event["id"], *[(f.name, f.read_bytes()) for f in files])
    assert r.json()["stored"] == 5
    assert len(client.get(f"/api/events/{event['id']}/photos?status=uploaded").json()["items"]) == 5
    run_jobs(app)
    assert client.get(f"/api/events/{event['id']}/photos?status=uploaded").json()["items"] == []
    seen: list[str] = []
    url = f"/api/events/{event['id']}/photos?status=indexed&limit=2"
    while url:
        page = client.get(url).json()
        seen += [p["id"] for p in page["items"]]
        url = (
            f"/api/events/{event['id']}/photos?status=indexed&limit=2&cursor={page['next_cursor']}"
            if page["next_cursor"]
            else ""
        )
    assert len(seen) == len(set(seen)) == 5
    assert_error(client.get(f"/api/events/{event['id']}/photos?status=nope"), 422)
    assert_error(client.get(f"/api/events/{event['id']}/photos?cursor=garbage!"), 422)


def test_deleting_a_photo_removes_its_objects(
    client: TestClient, app: Any, event: dict[str, Any], dataset: Path
) -> None:
    data = (dataset / "identities/Matt_Damon/4.jpg").read_bytes()
    photo_id = upload(client, event["id"], ("a.jpg", data)).json()["items"][0]["id"]
    run_jobs(app)
    assert len(_objects(app, event["id"])) == 3
    assert client.delete(f"/api/photos/{photo_id}").status_code == 204
    assert _objects(app, event["id"]) == []
    assert_error(client.get(f"/api/photos/{photo_id}"), 404)
    # the same file may come back afterwards
    assert upload(client, event["id"], ("a.jpg", data)).status_code == 201


def test_deleting_the_event_removes_every_object(
    client: TestClient, app: Any, event: dict[str, Any], dataset: Path
) -> None:
    files = sorted((dataset / "identities" / "Angelina_Jolie").iterdir())[:3]
    upload(client, event["id"], *[(f.name, f.read_bytes()) for f in files])
    run_jobs(app)
    assert len(_objects(app, event["id"])) == 9
    assert client.delete(f"/api/events/{event['id']}").status_code == 204
    assert _objects(app, event["id"]) == []
    assert _photo_rows(app) == 0


def test_archived_events_take_no_uploads(client: TestClient, event: dict[str, Any], dataset: Path) -> None:
    assert client.post(f"/api/events/{event['id']}/archive").status_code == 200
    data = (dataset / "identities/Matt_Damon/4.jpg").read_bytes()
    assert_error(upload(client, event["id"], ("a.jpg", data)), 409, "event_archived")


def test_failed_photos_can_be_reprocessed(
    client: TestClient, app: Any, event: dict[str, Any], dataset: Path
) -> None:
    data = (dataset / "identities/Matt_Damon/4.jpg").read_bytes()
    photo_id = upload(client, event["id"], ("a.jpg", data)).json()["items"][0]["id"]
    storage = app.state.ctx.storage
    with app.state.ctx.sessions() as db:
        key = db.get(Photo, uuid.UUID(photo_id)).object_key
    storage.delete(key)  # the original vanished from the store: no retry can help
    run_jobs(app)
    failed = client.get(f"/api/events/{event['id']}/photos?status=failed").json()["items"]
    assert [p["id"] for p in failed] == [photo_id]
    assert "missing" in failed[0]["error"]
    storage.put_stream(key, io.BytesIO(data))
    r = client.post(f"/api/events/{event['id']}/reprocess")
    assert r.status_code == 200 and r.json()["queued"] == 1
    run_jobs(app)
    photo = client.get(f"/api/photos/{photo_id}").json()
    assert photo["status"] == "indexed" and photo["error"] is None
