"""Browser uploads straight to the S3 store: presign → POST to the bucket → complete (scaled profile).

The bytes go to the real SeaweedFS server with the form the API signed; the API only signs and
registers. Every refusal leaves nothing behind: no row, no object.
"""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from eventlens.models import Photo
from tests.conftest import PROFILE
from tests.factories import assert_error, create_event, run_jobs, signup, upload

s3_only = pytest.mark.skipif(PROFILE != "scaled", reason="direct uploads need the S3 store (scaled profile)")


def _photo(dataset: Path) -> bytes:
    return sorted(dataset.glob("identities/*/*.jpg"))[0].read_bytes()


def _presign(client: TestClient, event_id: str, data: bytes, **override: Any) -> Any:
    body = {
        "filename": "фото свадьба.jpg",
        "size": len(data),
        "content_type": "image/jpeg",
        "sha256": hashlib.sha256(data).hexdigest(),
    } | override
    return client.post(f"/api/events/{event_id}/uploads/presign", json=body)


def _send(offer: dict[str, Any], data: bytes) -> httpx.Response:
    return httpx.post(offer["url"], data=offer["fields"], files={"file": ("x.jpg", data, "image/jpeg")})


def _objects(app: Any, event_id: str) -> list[str]:
    return list(app.state.ctx.storage.list_keys(f"events/{event_id}/"))


def _rows(app: Any) -> int:
    with app.state.ctx.sessions() as db:
        return db.query(Photo).count()


def test_with_the_local_store_the_api_says_where_to_send_instead(client: TestClient, dataset: Path) -> None:
    if PROFILE == "scaled":
        pytest.skip("the scaled profile's S3 store takes direct uploads")
    signup(client)
    event_id = create_event(client)["id"]
    assert_error(_presign(client, event_id, _photo(dataset)), 409, "direct_uploads_off")


@s3_only
def test_a_photo_sent_straight_to_the_bucket_is_registered_and_indexed(
    client: TestClient, app: Any, dataset: Path
) -> None:
    signup(client)
    event_id = create_event(client)["id"]
    data = _photo(dataset)
    r = _presign(client, event_id, data)
    assert r.status_code == 200, r.text
    offer = r.json()
    assert offer["duplicate_of"] is None and offer["expires_in"] > 0
    assert offer["url"].startswith(app.state.ctx.site.base_url) is False  # the bucket, not the API
    assert _send(offer, data).status_code in (200, 201, 204)
    done = client.post(
        f"/api/events/{event_id}/uploads/complete",
        json={"ticket": offer["ticket"], "filename": "фото свадьба.jpg"},
    )
    assert done.status_code == 201, done.text
    photo_id = done.json()["id"]
    assert done.json()["filename"] == "фото свадьба.jpg"
    assert run_jobs(app) >= 1
    photo = client.get(f"/api/photos/{photo_id}").json()
    assert photo["status"] == "indexed" and photo["face_count"] >= 1, photo
    assert photo["source"] == "direct"
    # Completing again (a retry after a lost answer) is the same photo, not a second one.
    again = client.post(
        f"/api/events/{event_id}/uploads/complete", json={"ticket": offer["ticket"], "filename": "x.jpg"}
    )
    assert again.status_code == 200 and again.json()["duplicate_of"] == photo_id
    # The same file again is known before anything is sent.
    dup = _presign(client, event_id, data).json()
    assert dup["duplicate_of"] == photo_id and dup["url"] is None and dup["ticket"] is None


@s3_only
def test_a_file_already_uploaded_through_the_api_is_not_sent_again(client: TestClient, dataset: Path) -> None:
    signup(client)
    event_id = create_event(client)["id"]
    data = _photo(dataset)
    first = upload(client, event_id, ("a.jpg", data)).json()["items"][0]["id"]
    assert _presign(client, event_id, data).json()["duplicate_of"] == first


@s3_only
def test_the_bucket_refuses_more_bytes_than_announced(client: TestClient, app: Any, dataset: Path) -> None:
    signup(client)
    event_id = create_event(client)["id"]
    data = _photo(dataset)
    offer = _presign(client, event_id, data, size=len(data) - 100).json()
    assert _send(offer, data).status_code == 400  # the policy's content-length-range
    assert _objects(app, event_id) == []


@s3_only
def test_fewer_bytes_than_announced_are_refused_and_deleted(
    client: TestClient, app: Any, dataset: Path
) -> None:
    signup(client)
    event_id = create_event(client)["id"]
    data = _photo(dataset)
    offer = _presign(client, event_id, data).json()
    assert _send(offer, data[: len(data) // 2]).status_code in (200, 201, 204)
    r = client.post(
        f"/api/events/{event_id}/uploads/complete", json={"ticket": offer["ticket"], "filename": "a.jpg"}
    )
    assert_error(r, 422, "invalid_photo")
    assert _objects(app, event_id) == [] and _rows(app) == 0


@s3_only
def test_something_that_is_not_an_image_is_refused_and_deleted(client: TestClient, app: Any) -> None:
    signup(client)
    event_id = create_event(client)["id"]
    data = b"%PDF-1.7 not a photo at all" * 100
    offer = _presign(client, event_id, data).json()
    assert _send(offer, data).status_code in (200, 201, 204)
    r = client.post(
        f"/api/events/{event_id}/uploads/complete", json={"ticket": offer["ticket"], "filename": "a.jpg"}
    )
    assert_error(r, 415, "unsupported_media_type")
    assert _objects(app, event_id) == [] and _rows(app) == 0


@s3_only
def test_bytes_that_do_not_match_the_announced_checksum_fail_in_the_worker(
    client: TestClient, app: Any, dataset: Path
) -> None:
    signup(client)
    event_id = create_event(client)["id"]
    data = _photo(dataset)
    offer = _presign(client, event_id, data, sha256="0" * 64).json()
    assert _send(offer, data).status_code in (200, 201, 204)
    r = client.post(
        f"/api/events/{event_id}/uploads/complete", json={"ticket": offer["ticket"], "filename": "a.jpg"}
    )
    assert r.status_code == 201, r.text
    run_jobs(app)
    photo = client.get(f"/api/photos/{r.json()['id']}").json()
    assert photo["status"] == "failed" and "checksum" in photo["error"], photo


@s3_only
def test_a_ticket_works_only_for_its_own_event_and_unchanged(client: TestClient, dataset: Path) -> None:
    signup(client)
    event_id = create_event(client)["id"]
    other_id = create_event(client, name="Other")["id"]
    data = _photo(dataset)
    ticket = _presign(client, event_id, data).json()["ticket"]
    elsewhere = client.post(
        f"/api/events/{other_id}/uploads/complete", json={"ticket": ticket, "filename": "a"}
    )
    assert_error(elsewhere, 422, "upload_ticket_invalid")
    forged = ticket[:-4] + ("0000" if not ticket.endswith("0000") else "1111")
    r = client.post(f"/api/events/{event_id}/uploads/complete", json={"ticket": forged, "filename": "a"})
    assert_error(r, 422, "upload_ticket_invalid")
    garbage = client.post(
        f"/api/events/{event_id}/uploads/complete", json={"ticket": "%%%.", "filename": "a"}
    )
    assert_error(garbage, 422, "upload_ticket_invalid")


@s3_only
def test_what_cannot_be_a_photo_is_refused_before_signing(
    client: TestClient, new_client: Any, dataset: Path
) -> None:
    signup(client)
    event_id = create_event(client)["id"]
    data = _photo(dataset)
    assert_error(_presign(client, event_id, data, content_type="application/pdf"), 415)
    assert_error(_presign(client, event_id, data, size=10**12), 413)
    assert_error(_presign(client, event_id, data, size=0), 422)
    assert_error(_presign(client, event_id, data, sha256="not-a-hash"), 422)
    stranger = new_client()
    signup(stranger)
    assert_error(_presign(stranger, event_id, data), 404)
    assert_error(_presign(stranger, str(uuid.uuid4()), data), 404)
