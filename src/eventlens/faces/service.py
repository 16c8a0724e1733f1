"""Faces: index a photo's faces in the processing job; search an event's faces with a selfie."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from eventlens.db import session_scope
from eventlens.faces.backend import SearchResult
from eventlens.faces.index import FaceIndexCache, FaceRows, Snapshot
from eventlens.faces.repository import FaceRepository
from eventlens.jobs.after_commit import enqueue_after_commit
from eventlens.models import Face, Photo
from eventlens.photos import imaging

if TYPE_CHECKING:
    from eventlens.faces.engine.base import FaceEngine

log = logging.getLogger("eventlens.faces")


def detect_faces(
    engine: FaceEngine, photo: Photo, analysed: imaging.Analysed, *, tiles: bool = False
) -> list[Face]:
    """Face rows for the photo decoded in ``analysed``: boxes in pixels of the upright original.

    With ``tiles`` (crowd events; ``analysed`` is then the full-resolution decode) the engine adds a
    tiled pass that finds small faces. Faces the engine calls too small or blurred to recognise are
    kept with ``searchable`` false and the reason, so the dashboard shows them but search skips them.
    """
    image = analysed.image if analysed.image.mode == "RGB" else analysed.image.convert("RGB")
    pixels = np.asarray(image, dtype=np.uint8)  # a full-resolution copy is big: no second one
    sx = analysed.original_size[0] / analysed.image.width
    sy = analysed.original_size[1] / analysed.image.height
    rows: list[Face] = []
    for face in engine.detect_and_embed(pixels, tiles=tiles):
        x, y, w, h = analysed.to_original(face.box)  # scales (x, y, w, h) like (x0, y0, x1, y1)
        landmarks = None
        if face.landmarks is not None:
            landmarks = [[float(px) * sx, float(py) * sy] for px, py in face.landmarks]
        reason = engine.skip_reason(face)
        rows.append(
            Face(
                photo_id=photo.id,
                event_id=photo.event_id,
                box_x=float(x),
                box_y=float(y),
                box_w=float(w),
                box_h=float(h),
                score=float(face.score),
                landmarks=landmarks,
                embedding=np.asarray(face.embedding, dtype="<f4").tobytes(),
                engine_id=engine.engine_id,
                engine_version=engine.version,
                searchable=reason is None,
                skip_reason=reason,
            )
        )
    return rows


class FaceSearch:
    """Selfie search over per-event in-memory indexes (one per process, shared by request threads)."""

    def __init__(self, sessions: sessionmaker[Session], engine: FaceEngine) -> None:
        self.engine = engine
        self.sessions = sessions
        self.cache = FaceIndexCache(engine.dim, self._snapshot, self._rows)

    def _snapshot(self, event_id: uuid.UUID) -> Snapshot:
        with session_scope(self.sessions) as db:
            return FaceRepository(db).snapshot(event_id)

    def _rows(self, event_id: uuid.UUID, engine_id: str, after: datetime | None) -> FaceRows:
        with session_scope(self.sessions) as db:
            return FaceRepository(db).rows(event_id, engine_id, after, self.engine.dim)

    def search(self, event_id: uuid.UUID, embeddings: np.ndarray, limit: int = 500) -> SearchResult:
        """The event's photos of the person in ``embeddings`` (one selfie's, or one row per selfie).

        Matches at the engine's match threshold are tier "high"; those between its possible threshold and
        that are tier "possible" and come after every high one.
        """
        index = self.cache.get(event_id, self.engine.engine_id)
        matches = index.search(
            embeddings, self.engine.match_threshold, limit, possible=self.engine.possible_threshold
        )
        return SearchResult(matches, len(index))


# Jobs that remove faces from an external index (faces/tasks.py), sent once the rows are gone.
DELETE_JOB = "faces.delete"
DROP_COLLECTION_JOB = "faces.drop_collection"


def forget_photo_faces(db: Session, photo: Photo) -> None:
    """Before the photo's faces are written, deleted or replaced (in that transaction).

    The event's face counters are bumped, so every process's index sees the change at its next search
    without scanning the faces. Faces in an external index are removed there by a job sent after the
    commit (a rollback keeps the faces everywhere), retried by the queue; a local engine's faces have
    no external id: nothing is sent.
    """
    repo = FaceRepository(db)
    repo.faces_changing(photo.event_id, photo.id)
    ids = repo.external_ids(photo.id)
    if ids:
        enqueue_after_commit(db, DELETE_JOB, str(photo.event_id), ids)


def forget_event_collections(db: Session, event_id: uuid.UUID) -> None:
    """Before the event is deleted: have its external collections deleted (a job each, after the commit)."""
    for name in FaceRepository(db).collections_of(event_id):
        enqueue_after_commit(db, DROP_COLLECTION_JOB, name)


def collection_dropped(sessions: sessionmaker[Session], name: str) -> None:
    with session_scope(sessions) as db:
        FaceRepository(db).delete_collection(name)


def reindex_ids(sessions: sessionmaker[Session], event_id: uuid.UUID | None) -> list[uuid.UUID]:
    """Mark the event's (or every) finished photo for processing again; return their ids."""
    from eventlens.photos.repository import PhotoRepository

    with session_scope(sessions) as db:
        repo = PhotoRepository(db)
        ids = repo.finished_ids(event_id)
        repo.reset_for_reprocess(ids)
    return ids
