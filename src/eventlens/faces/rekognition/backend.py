"""AWS Rekognition as the face backend: one collection per event, faces indexed and searched in AWS.

Rekognition never hands out embeddings, so the faces table keeps what it does return: each face's box
(as with every engine, in pixels of the upright original) and its FaceId, by which a match is mapped
back to a photo and by which the face is deleted again. Similarity is Rekognition's (0-100) divided by
100, so guests get the same answer as with an offline engine: photos best first, tiers "high" and
"possible" at the two configured thresholds.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from botocore.exceptions import ClientError
from PIL import Image
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from eventlens.db import session_scope
from eventlens.faces.backend import FaceBackend, NoFaceFound, SearchResult
from eventlens.faces.engine.base import SkipReason
from eventlens.faces.index import Match
from eventlens.faces.rekognition.calls import PacedCalls, error_code
from eventlens.faces.rekognition.images import jpeg_under
from eventlens.faces.repository import FaceRepository
from eventlens.models import Face, Photo
from eventlens.photos import imaging

log = logging.getLogger("eventlens.faces")

ENGINE_ID = "rekognition"
# IndexFaces indexes at most 100 faces of one image (the largest); the others come back unindexed.
MAX_FACES_PER_PHOTO = 100
# SearchFacesByImage returns at most 4,096 matches.
MAX_MATCHES = 4096
# DeleteFaces takes at most 4,096 FaceIds per call.
DELETE_BATCH = 4096
# Rekognition finds faces down to ~40 px in a 1920 x 1080 frame: photos are sent at this long side
# (crowd events: at up to CROWD_SIDE, the JPEG still under 5 MB), selfies at the side they are decoded at.
ANALYSIS_SIDE = 1920
CROWD_SIDE = 4096
# Why Rekognition left a detected face out of the collection (UnindexedFaces[].Reasons).
_REASONS = {"SMALL_BOUNDING_BOX": SkipReason.too_small, "LOW_SHARPNESS": SkipReason.blurry}
LOW_QUALITY = "low_quality"
LANDMARKS = ("eyeLeft", "eyeRight", "nose", "mouthLeft", "mouthRight")


class RekognitionBackend(FaceBackend):
    def __init__(
        self,
        calls: PacedCalls,
        sessions: sessionmaker[Session],
        *,
        collection_prefix: str,
        match_threshold: float,
        possible_threshold: float,
    ) -> None:
        """``match_threshold`` and ``possible_threshold`` are Rekognition similarities (0-100); the lower
        is sent as FaceMatchThreshold."""
        self.calls = calls
        self.sessions = sessions
        self.prefix = collection_prefix
        self.match_threshold = match_threshold
        self.possible_threshold = min(possible_threshold, match_threshold)
        self._model = "aws"
        self._known: set[str] = set()  # collections this process knows exist
        self._lock = threading.Lock()

    @property
    def engine_id(self) -> str:
        return ENGINE_ID

    @property
    def version(self) -> str:
        return self._model

    @property
    def analysis_side(self) -> int:
        return ANALYSIS_SIDE

    def collection_name(self, event_id: uuid.UUID) -> str:
        return f"{self.prefix}{event_id}"

    # --- indexing ---------------------------------------------------------------------------------

    def index_photo(self, photo: Photo, analysed: imaging.Analysed, *, tiles: bool = False) -> list[Face]:
        name = self.ensure_collection(photo.event_id)
        jpeg = jpeg_under(analysed.image, CROWD_SIDE if tiles else ANALYSIS_SIDE)
        params: dict[str, Any] = {
            "CollectionId": name,
            "Image": {"Bytes": jpeg},
            "ExternalImageId": str(photo.id),
            "DetectionAttributes": ["DEFAULT"],
            "MaxFaces": MAX_FACES_PER_PHOTO,
            "QualityFilter": "AUTO",
        }
        try:
            answer = self.calls("IndexFaces", "index_faces", **params)
        except ClientError as exc:
            if error_code(exc) != "ResourceNotFoundException":
                raise
            # The collection was deleted behind our back (by hand in the console): make it again.
            with self._lock:
                self._known.discard(name)
            self.ensure_collection(photo.event_id)
            answer = self.calls("IndexFaces", "index_faces", **params)
        if answer.get("FaceModelVersion"):
            self._model = f"aws-{answer['FaceModelVersion']}"
        width, height = analysed.original_size
        rows = [
            self._row(photo, rec["FaceDetail"], width, height, external_id=rec["Face"]["FaceId"])
            for rec in answer.get("FaceRecords", [])
        ]
        for unindexed in answer.get("UnindexedFaces", []):
            reasons = unindexed.get("Reasons", [])
            reason = next((_REASONS[r] for r in reasons if r in _REASONS), LOW_QUALITY)
            rows.append(self._row(photo, unindexed["FaceDetail"], width, height, skip=reason))
        return sorted(rows, key=lambda f: f.box_w * f.box_h, reverse=True)

    def _row(
        self,
        photo: Photo,
        detail: dict[str, Any],
        width: int,
        height: int,
        *,
        external_id: str | None = None,
        skip: str | None = None,
    ) -> Face:
        # Boxes and landmarks are ratios of the image sent, which is the upright original scaled.
        box = detail["BoundingBox"]
        x, y = max(0.0, box["Left"]) * width, max(0.0, box["Top"]) * height
        w = min(box["Width"] * width, width - x)
        h = min(box["Height"] * height, height - y)
        points = {p["Type"]: (p["X"] * width, p["Y"] * height) for p in detail.get("Landmarks", [])}
        landmarks = [list(points[t]) for t in LANDMARKS] if all(t in points for t in LANDMARKS) else None
        return Face(
            photo_id=photo.id,
            event_id=photo.event_id,
            box_x=x,
            box_y=y,
            box_w=w,
            box_h=h,
            score=float(detail.get("Confidence", 0.0)) / 100.0,
            landmarks=landmarks,
            embedding=b"",
            engine_id=ENGINE_ID,
            engine_version=self._model,
            searchable=skip is None,
            skip_reason=skip,
            external_id=external_id,
        )

    def ensure_collection(self, event_id: uuid.UUID) -> str:
        """The event's collection, created on its first photo and recorded so the event's deletion
        deletes it. Made before it is recorded: a record never names a collection that does not exist."""
        name = self.collection_name(event_id)
        with self._lock:
            if name in self._known:
                return name
        with session_scope(self.sessions) as db:
            recorded = FaceRepository(db).has_collection(name)
        if not recorded:
            try:
                self.calls("CreateCollection", "create_collection", CollectionId=name)
                log.info("rekognition.collection_created name=%s", name)
            except ClientError as exc:
                if error_code(exc) != "ResourceAlreadyExistsException":
                    raise
            try:
                with session_scope(self.sessions) as db:
                    FaceRepository(db).add_collection(name, event_id, ENGINE_ID)
            except IntegrityError:
                pass  # another worker recorded it first
        with self._lock:
            self._known.add(name)
        return name

    # --- search -----------------------------------------------------------------------------------

    def search(self, event_id: uuid.UUID, selfies: Iterable[np.ndarray], limit: int = 500) -> SearchResult:
        name = self.collection_name(event_id)
        with session_scope(self.sessions) as db:
            repo = FaceRepository(db)
            if not repo.has_collection(name):
                # No photo of the event indexed yet: nothing to find, and no call to pay for.
                return SearchResult([], 0, [])
            searched = repo.searchable_count(event_id, ENGINE_ID)
        best: dict[str, float] = {}  # FaceId -> best similarity (0-1) over the selfies
        skipped: list[int] = []
        sent = 0
        for i, pixels in enumerate(selfies):
            jpeg = jpeg_under(Image.fromarray(pixels), ANALYSIS_SIDE)
            del pixels
            try:
                answer = self.calls(
                    "SearchFacesByImage",
                    "search_faces_by_image",
                    CollectionId=name,
                    Image={"Bytes": jpeg},
                    MaxFaces=MAX_MATCHES,
                    FaceMatchThreshold=self.possible_threshold,
                )
            except ClientError as exc:
                code = error_code(exc)
                if code == "InvalidParameterException":
                    skipped.append(i)  # "There are no faces in the image"
                    sent += 1
                    continue
                if code == "ResourceNotFoundException":
                    return SearchResult([], searched, skipped)
                raise
            for match in answer.get("FaceMatches", []):
                face_id = match["Face"]["FaceId"]
                best[face_id] = max(best.get(face_id, 0.0), float(match["Similarity"]) / 100.0)
            sent += 1
        if sent == len(skipped):
            raise NoFaceFound
        return SearchResult(self._matches(event_id, best, limit), searched, skipped)

    def _matches(self, event_id: uuid.UUID, best: dict[str, float], limit: int) -> list[Match]:
        """One match per photo (its best face), best first; faces unknown here are left out: a face
        indexed by a job that then lost its photo, or one whose deletion is still queued."""
        with session_scope(self.sessions) as db:
            faces = FaceRepository(db).by_external_ids(event_id, list(best))
        per_photo: dict[uuid.UUID, tuple[float, tuple[float, float, float, float]]] = {}
        for face in faces:
            sim = best[face.external_id]
            if face.photo_id not in per_photo or sim > per_photo[face.photo_id][0]:
                per_photo[face.photo_id] = (sim, face.box)
        high = self.match_threshold / 100.0
        ranked = sorted(per_photo.items(), key=lambda kv: -kv[1][0])[:limit]
        return [
            Match(photo_id, sim, box, "high" if sim >= high else "possible")
            for photo_id, (sim, box) in ranked
        ]

    # --- removal ----------------------------------------------------------------------------------

    def delete_faces(self, event_id: uuid.UUID, external_ids: Sequence[str]) -> None:
        name = self.collection_name(event_id)
        ids = list(dict.fromkeys(external_ids))
        for start in range(0, len(ids), DELETE_BATCH):
            try:
                self.calls(
                    "DeleteFaces",
                    "delete_faces",
                    CollectionId=name,
                    FaceIds=ids[start : start + DELETE_BATCH],
                )
            except ClientError as exc:
                if error_code(exc) == "ResourceNotFoundException":
                    return  # the collection went with its event: so did the faces
                raise
        log.info("rekognition.faces_deleted collection=%s count=%d", name, len(ids))

    def drop_collection(self, name: str) -> None:
        try:
            self.calls("DeleteCollection", "delete_collection", CollectionId=name)
            log.info("rekognition.collection_deleted name=%s", name)
        except ClientError as exc:
            if error_code(exc) != "ResourceNotFoundException":
                raise
        with self._lock:
            self._known.discard(name)
