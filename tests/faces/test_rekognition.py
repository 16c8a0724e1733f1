"""AWS Rekognition as the face backend, through the real app, queue and database.

AWS cannot be reached here: the app's own boto3 client is put behind botocore's Stubber, which checks
every request against Rekognition's real service model (parameter names, types, lengths, patterns) and
every canned answer against its output shape. Everything else (upload, processing, jobs, guest search,
deletion) is the product's code.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import ANY, Stubber
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from eventlens.app import create_app
from eventlens.config import Settings
from eventlens.db import session_scope
from eventlens.faces.rekognition.backend import RekognitionBackend
from eventlens.faces.rekognition.images import MAX_IMAGE_BYTES
from eventlens.models import Face, FaceCollection, Photo, PhotoStatus
from eventlens.photos import processing
from tests.factories import assert_error, create_event, run_jobs, signup, upload

PHOTOS = [f"identities/Angelina_Jolie/{n}.jpg" for n in (1, 2, 3)]
SELFIE = "identities/Angelina_Jolie/6.jpg"
PREFIX = "eltest-"


@pytest.fixture
def rek_settings(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    # Stubbed calls are never signed or sent, but boto3 wants a credential chain that resolves.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    return settings.model_copy(
        update={
            "face_engine": "rekognition",
            "aws_region": "eu-west-1",
            "rekognition_collection_prefix": PREFIX,
        }
    )


@pytest.fixture
def rek_app(rek_settings: Settings) -> Any:
    return create_app(rek_settings)


@pytest.fixture
def rek(rek_app: Any) -> Iterator[Rek]:
    backend = rek_app.state.ctx.faces
    assert isinstance(backend, RekognitionBackend)
    with Stubber(backend.calls.client) as stubber:
        helper = Rek(backend, stubber)
        yield helper
        stubber.assert_no_pending_responses()


@pytest.fixture
def rc(rek_app: Any) -> Iterator[TestClient]:
    with TestClient(rek_app, base_url="https://testserver") as c:
        yield c


class Rek:
    """Canned Rekognition answers, and what the app sent."""

    def __init__(self, backend: RekognitionBackend, stubber: Stubber) -> None:
        self.backend = backend
        self.stubber = stubber
        self.images: list[bytes] = []  # image bytes of every IndexFaces / SearchFacesByImage call
        self.sleeps: list[float] = []
        backend.calls.sleep = self.sleeps.append
        events = backend.calls.client.meta.events
        for op in ("IndexFaces", "SearchFacesByImage"):
            events.register(f"provide-client-params.rekognition.{op}", self._capture)

    def _capture(self, params: dict[str, Any], **_kw: Any) -> None:
        self.images.append(params["Image"]["Bytes"])

    def create_collection(self, event_id: str) -> None:
        self.stubber.add_response(
            "create_collection",
            {
                "CollectionArn": f"arn:aws:rekognition:eu-west-1:123456789012:collection/{PREFIX}{event_id}",
                "FaceModelVersion": "7.0",
                "StatusCode": 200,
            },
            {"CollectionId": f"{PREFIX}{event_id}"},
        )

    def index_faces(
        self, event_id: str, photo_id: str, faces: list[dict[str, Any]], unindexed: int = 0
    ) -> list[str]:
        """Expect IndexFaces for the photo; answer with ``faces`` (boxes as ratios). Returns their FaceIds."""
        ids = [str(uuid.uuid4()) for _ in faces]
        records = [
            {
                "Face": {
                    "FaceId": fid,
                    "BoundingBox": box,
                    "ImageId": str(uuid.uuid4()),
                    "ExternalImageId": photo_id,
                    "Confidence": 99.9,
                },
                "FaceDetail": {"BoundingBox": box, "Confidence": 99.9, "Landmarks": _landmarks(box)},
            }
            for fid, box in zip(ids, faces, strict=True)
        ]
        small = {"Width": 0.01, "Height": 0.012, "Left": 0.9, "Top": 0.05}
        skipped = [
            {"Reasons": ["SMALL_BOUNDING_BOX"], "FaceDetail": {"BoundingBox": small, "Confidence": 80.0}}
        ] * unindexed
        self.stubber.add_response(
            "index_faces",
            {"FaceRecords": records, "FaceModelVersion": "7.0", "UnindexedFaces": skipped},
            {
                "CollectionId": f"{PREFIX}{event_id}",
                "Image": {"Bytes": ANY},
                "ExternalImageId": photo_id,
                "DetectionAttributes": ["DEFAULT"],
                "MaxFaces": 100,
                "QualityFilter": "AUTO",
            },
        )
        return ids

    def search(self, event_id: str, matches: dict[str, float]) -> None:
        self.stubber.add_response(
            "search_faces_by_image",
            {
                "SearchedFaceBoundingBox": {"Width": 0.4, "Height": 0.5, "Left": 0.3, "Top": 0.2},
                "SearchedFaceConfidence": 99.9,
                "FaceMatches": [
                    {"Similarity": sim, "Face": {"FaceId": fid, "ExternalImageId": str(uuid.uuid4())}}
                    for fid, sim in sorted(matches.items(), key=lambda kv: -kv[1])
                ],
                "FaceModelVersion": "7.0",
            },
            {
                "CollectionId": f"{PREFIX}{event_id}",
                "Image": {"Bytes": ANY},
                "MaxFaces": 4096,
                "FaceMatchThreshold": 80.0,
            },
        )

    def no_face(self, operation: str = "search_faces_by_image") -> None:
        self.stubber.add_client_error(
            operation, "InvalidParameterException", "There are no faces in the image. Should be at least 1."
        )

    def throttle(self, operation: str, code: str = "ThrottlingException") -> None:
        self.stubber.add_client_error(operation, code, "Rate exceeded", http_status_code=400)

    def delete_faces(self, event_id: str, face_ids: list[str]) -> None:
        self.stubber.add_response(
            "delete_faces",
            {"DeletedFaces": face_ids},
            {"CollectionId": f"{PREFIX}{event_id}", "FaceIds": face_ids},
        )

    def delete_collection(self, event_id: str) -> None:
        self.stubber.add_response(
            "delete_collection", {"StatusCode": 200}, {"CollectionId": f"{PREFIX}{event_id}"}
        )


def _landmarks(box: dict[str, float]) -> list[dict[str, Any]]:
    x, y, w, h = box["Left"], box["Top"], box["Width"], box["Height"]
    spots = {
        "eyeLeft": (0.3, 0.4),
        "eyeRight": (0.7, 0.4),
        "nose": (0.5, 0.6),
        "mouthLeft": (0.35, 0.8),
        "mouthRight": (0.65, 0.8),
    }
    return [{"Type": t, "X": x + w * fx, "Y": y + h * fy} for t, (fx, fy) in spots.items()]


BOX = {"Width": 0.25, "Height": 0.3, "Left": 0.4, "Top": 0.2}
BOX2 = {"Width": 0.1, "Height": 0.12, "Left": 0.05, "Top": 0.5}


def _upload_one(rc: TestClient, app: Any, event_id: str, dataset: Path, name: str) -> str:
    r = upload(rc, event_id, (Path(name).name, (dataset / name).read_bytes()))
    assert r.status_code == 201 and r.json()["stored"] == 1, r.text
    return str(r.json()["items"][0]["id"])


def _faces(app: Any, photo_id: str) -> list[Face]:
    with session_scope(app.state.ctx.sessions) as db:
        rows = list(db.scalars(select(Face).where(Face.photo_id == uuid.UUID(photo_id))))
        db.expunge_all()
    return rows


def _collections(app: Any) -> list[str]:
    with session_scope(app.state.ctx.sessions) as db:
        return list(db.scalars(select(FaceCollection.name)))


def test_photos_are_indexed_in_the_events_collection_created_on_the_first_photo(
    rc: TestClient, rek_app: Any, rek: Rek, dataset: Path
) -> None:
    signup(rc)
    event = create_event(rc, name="Gala")
    eid = event["id"]
    # The first photo makes the collection; the second finds it.
    rek.create_collection(eid)
    first = _upload_one(rc, rek_app, eid, dataset, PHOTOS[0])
    face_ids = rek.index_faces(eid, first, [BOX, BOX2], unindexed=1)
    run_jobs(rek_app)
    second = _upload_one(rc, rek_app, eid, dataset, PHOTOS[1])
    rek.index_faces(eid, second, [BOX])
    run_jobs(rek_app)

    assert _collections(rek_app) == [f"{PREFIX}{eid}"]
    photo = rc.get(f"/api/photos/{first}").json()
    assert photo["status"] == "indexed" and photo["face_count"] == 2, "the unindexed face is not searchable"
    faces = rc.get(f"/api/photos/{first}/faces").json()["items"]
    assert len(faces) == 3
    width, height = Image.open(dataset / PHOTOS[0]).size
    big = max(faces, key=lambda f: f["width"])
    assert big["x"] == pytest.approx(BOX["Left"] * width, abs=0.01)
    assert big["y"] == pytest.approx(BOX["Top"] * height, abs=0.01)
    assert big["width"] == pytest.approx(BOX["Width"] * width, abs=0.01)
    assert big["engine_id"] == "rekognition" and big["engine_version"] == "aws-7.0"
    assert big["landmarks"] is not None and len(big["landmarks"]) == 5
    assert [f["skip_reason"] for f in faces if not f["searchable"]] == ["too_small"]
    assert {f.external_id for f in _faces(rek_app, first) if f.searchable} == set(face_ids)
    # What Rekognition got: a JPEG within its byte limit, no bigger than the analysis copy.
    for sent in rek.images:
        assert sent[:3] == b"\xff\xd8\xff" and len(sent) <= MAX_IMAGE_BYTES
        assert max(Image.open(io.BytesIO(sent)).size) <= 1920


def _indexed_event(rc: TestClient, app: Any, rek: Rek, dataset: Path) -> dict[str, Any]:
    """A published event of three photos: A (one face), B (one face), C (two faces)."""
    signup(rc)
    event = create_event(rc, name="Race")
    eid = event["id"]
    rek.create_collection(eid)
    ids, faces = [], []
    for name, boxes in zip(PHOTOS, [[BOX], [BOX], [BOX, BOX2]], strict=True):
        pid = _upload_one(rc, app, eid, dataset, name)
        faces.append(rek.index_faces(eid, pid, boxes))
        run_jobs(app)
        ids.append(pid)
    assert rc.post(f"/api/events/{eid}/publish").status_code == 200
    rek.stubber.assert_no_pending_responses()
    return {"id": eid, "slug": event["slug"], "photos": ids, "faces": faces}


def _search(client: TestClient, slug: str, *selfies: bytes) -> Any:
    parts = [("selfie", (f"me-{i}.jpg", data)) for i, data in enumerate(selfies)]
    return client.post(f"/api/public/events/{slug}/search", files=parts)


def test_guest_search_maps_similarity_to_tiers_best_over_several_selfies(
    rc: TestClient, rek_app: Any, rek: Rek, dataset: Path
) -> None:
    ev = _indexed_event(rc, rek_app, rek, dataset)
    a, b, c = ev["photos"]
    (fa,), (fb,), (fc1, fc2) = ev["faces"]
    selfie = (dataset / SELFIE).read_bytes()
    # Selfie 1 finds A well and B weakly; selfie 2 finds B well, C's second face weakly, and a face the
    # database does not know (indexed by a job that lost its photo): left out.
    rek.search(ev["id"], {fa: 99.2, fb: 84.0})
    rek.search(ev["id"], {fb: 95.5, fc2: 82.5, str(uuid.uuid4()): 99.9})
    r = _search(TestClient(rek_app, base_url="https://testserver"), ev["slug"], selfie, selfie)
    assert r.status_code == 200, r.text
    got = [(m["photo_id"], m["tier"], m["similarity"]) for m in r.json()["matches"]]
    assert got == [(a, "high", 0.992), (b, "high", 0.955), (c, "possible", 0.825)]
    assert r.json()["skipped_selfies"] == []
    c_match = r.json()["matches"][2]["face_box"]
    width = Image.open(dataset / PHOTOS[2]).size[0]
    assert c_match["x"] == pytest.approx(BOX2["Left"] * width, abs=0.01), "the box of the face that matched"
    assert fc1 not in {m["photo_id"] for m in r.json()["matches"]}
    for sent in rek.images[-2:]:
        assert sent[:3] == b"\xff\xd8\xff" and len(sent) <= MAX_IMAGE_BYTES


def test_a_selfie_without_a_face_is_skipped_and_none_with_a_face_is_422(
    rc: TestClient, rek_app: Any, rek: Rek, dataset: Path
) -> None:
    ev = _indexed_event(rc, rek_app, rek, dataset)
    (fa,) = ev["faces"][0]
    selfie = (dataset / SELFIE).read_bytes()
    guest = TestClient(rek_app, base_url="https://testserver")
    rek.no_face()
    rek.search(ev["id"], {fa: 97.0})
    r = _search(guest, ev["slug"], selfie, selfie)
    assert r.status_code == 200, r.text
    assert r.json()["skipped_selfies"] == [0]
    assert [m["photo_id"] for m in r.json()["matches"]] == [ev["photos"][0]]
    rek.no_face()
    assert_error(_search(guest, ev["slug"], selfie), 422, "no_face_found")


def test_deleting_a_photo_deletes_its_faces_from_the_collection(
    rc: TestClient, rek_app: Any, rek: Rek, dataset: Path
) -> None:
    ev = _indexed_event(rc, rek_app, rek, dataset)
    c = ev["photos"][2]
    assert rc.delete(f"/api/photos/{c}").status_code == 204
    rek.delete_faces(ev["id"], sorted(ev["faces"][2]))
    assert run_jobs(rek_app) == 1
    rek.stubber.assert_no_pending_responses()


def test_reprocessing_replaces_the_faces_in_the_collection(
    rc: TestClient, rek_app: Any, rek: Rek, dataset: Path
) -> None:
    ev = _indexed_event(rc, rek_app, rek, dataset)
    r = rc.post(f"/api/events/{ev['id']}/reprocess", json={"scope": "all"})
    assert r.status_code == 200 and r.json()["queued"] == 3, r.text
    new_ids: list[list[str]] = []
    for pid, old in zip(ev["photos"], ev["faces"], strict=True):
        new_ids.append(rek.index_faces(ev["id"], pid, [BOX] * len(old)))
        rek.delete_faces(ev["id"], sorted(old))
        # One photo at a time so the Stubber sees the calls in this order.
        with session_scope(rek_app.state.ctx.sessions) as db:
            pending = db.get(Photo, uuid.UUID(pid))
            assert pending is not None and pending.status == PhotoStatus.uploaded
        processing.process(rek_app.state.ctx, uuid.UUID(pid))
        _run_named(rek_app, "faces.delete")
    rek.stubber.assert_no_pending_responses()
    for pid, ids in zip(ev["photos"], new_ids, strict=True):
        assert {f.external_id for f in _faces(rek_app, pid)} == set(ids)
    run_jobs(rek_app)  # the queued photos.process jobs find their photos done: no call


def _run_named(app: Any, name: str) -> None:
    """Run the queued jobs called ``name`` (leave the others)."""
    huey = app.state.ctx.queue.huey
    keep = []
    while (task := huey.dequeue()) is not None:
        if task.name.endswith(name.replace(".", "_")) or name in task.name:
            huey.execute(task)
        else:
            keep.append(task)
    for task in keep:
        huey.enqueue(task)


def test_deleting_the_event_deletes_its_collection(
    rc: TestClient, rek_app: Any, rek: Rek, dataset: Path
) -> None:
    ev = _indexed_event(rc, rek_app, rek, dataset)
    other = create_event(rc, name="Never had a photo")
    assert rc.delete(f"/api/events/{other['id']}").status_code == 204
    assert run_jobs(rek_app) == 0, "an event without a collection sends nothing to AWS"
    assert rc.delete(f"/api/events/{ev['id']}").status_code == 204
    rek.delete_collection(ev["id"])
    assert run_jobs(rek_app) == 1
    assert _collections(rek_app) == []


def test_throttling_is_retried_with_backoff_then_succeeds(
    rc: TestClient, rek_app: Any, rek: Rek, dataset: Path
) -> None:
    signup(rc)
    eid = create_event(rc, name="Busy")["id"]
    rek.create_collection(eid)
    r = upload(rc, eid, ("a.jpg", (dataset / PHOTOS[0]).read_bytes()))
    pid = str(r.json()["items"][0]["id"])
    rek.throttle("index_faces")
    rek.throttle("index_faces", "ProvisionedThroughputExceededException")
    rek.index_faces(eid, pid, [BOX])
    run_jobs(rek_app)
    assert rc.get(f"/api/photos/{pid}").json()["status"] == "indexed"
    assert len(rek.sleeps) == 2 and rek.sleeps[1] > 0
    assert rek.sleeps[0] <= rek.backend.calls.backoff and rek.sleeps[1] <= 2 * rek.backend.calls.backoff


def test_throttled_past_every_retry_the_photo_is_kept_for_the_queues_retry(
    rc: TestClient, rek_app: Any, rek: Rek, dataset: Path
) -> None:
    signup(rc)
    eid = create_event(rc, name="Very busy")["id"]
    rek.backend.calls.attempts = 2
    rek.create_collection(eid)
    r = upload(rc, eid, ("a.jpg", (dataset / PHOTOS[0]).read_bytes()))
    pid = uuid.UUID(r.json()["items"][0]["id"])
    rek.throttle("index_faces")
    rek.throttle("index_faces")
    run_jobs(rek_app)  # the job fails; huey schedules its retry
    with session_scope(rek_app.state.ctx.sessions) as db:
        photo = db.get(Photo, pid)
        assert photo is not None and photo.status == PhotoStatus.uploaded and photo.error is None
    assert rek_app.state.ctx.queue.huey.scheduled_count() == 1, "the queue retries it"
    # The retry: this time Rekognition answers.
    rek.index_faces(eid, str(pid), [BOX])
    processing.process(rek_app.state.ctx, pid)
    assert rc.get(f"/api/photos/{pid}").json()["status"] == "indexed"


def test_a_search_throttled_past_every_retry_is_503(
    rc: TestClient, rek_app: Any, rek: Rek, dataset: Path
) -> None:
    ev = _indexed_event(rc, rek_app, rek, dataset)
    rek.backend.calls.attempts = 2
    rek.throttle("search_faces_by_image")
    rek.throttle("search_faces_by_image")
    r = _search(
        TestClient(rek_app, base_url="https://testserver"), ev["slug"], (dataset / SELFIE).read_bytes()
    )
    assert_error(r, 503, "busy")
    assert r.headers["Retry-After"] == "5"


def test_an_event_without_indexed_photos_answers_without_calling_aws(
    rc: TestClient, rek_app: Any, rek: Rek, dataset: Path
) -> None:
    signup(rc)
    event = create_event(rc, name="Empty")
    assert rc.post(f"/api/events/{event['id']}/publish").status_code == 200
    r = _search(
        TestClient(rek_app, base_url="https://testserver"), event["slug"], (dataset / SELFIE).read_bytes()
    )
    assert r.status_code == 200 and r.json()["matches"] == []


def test_hidden_faces_are_left_out_of_its_answers_and_removal_by_selfie_is_409(
    rc: TestClient, rek_app: Any, rek: Rek, dataset: Path
) -> None:
    from eventlens.hiding import service as hiding

    ev = _indexed_event(rc, rek_app, rek, dataset)
    a, b, _c = ev["photos"]
    (fa,), (fb,), _ = ev["faces"]
    with session_scope(rek_app.state.ctx.sessions) as db:
        hidden = hiding.hide_faces(
            db,
            uuid.UUID(ev["id"]),
            [f.id for f in _faces(rek_app, a)],
            photos_too=False,
            source="photographer",
        )
    assert len(hidden.face_ids) == 1
    selfie = (dataset / SELFIE).read_bytes()
    guest = TestClient(rek_app, base_url="https://testserver")
    rek.search(ev["id"], {fa: 99.2, fb: 95.5})  # AWS still holds the face: the database drops it
    r = _search(guest, ev["slug"], selfie)
    assert [m["photo_id"] for m in r.json()["matches"]] == [b]
    r = guest.post(
        f"/api/public/events/{ev['slug']}/removals",
        files=[("selfie", ("me.jpg", selfie, "image/jpeg"))],
        data={"confirm": "true"},
    )
    assert_error(r, 409, "removal_unavailable")
    assert len(rek.images) == 4, "three photos indexed, one search: the removal sent nothing to AWS"
