"""Queries for faces: what the index loads (searchable faces only), a photo's faces, and the faces and
collections an external index (Rekognition) holds."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import delete, func, select, true
from sqlalchemy.orm import Session

from eventlens.faces.index import FaceRows, Snapshot, as_matrix
from eventlens.models import Face, FaceCollection


class FaceRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def snapshot(self, event_id: uuid.UUID, engine_id: str) -> Snapshot:
        count, newest = self.db.execute(
            # count(*), not count(id): both aggregates then come from ix_faces_event_engine alone.
            select(func.count(), func.max(Face.created_at)).where(
                Face.event_id == event_id, Face.engine_id == engine_id, Face.searchable == true()
            )
        ).one()
        return Snapshot(int(count or 0), newest)

    def rows(self, event_id: uuid.UUID, engine_id: str, after: datetime | None, dim: int) -> FaceRows:
        q = select(
            Face.photo_id, Face.box_x, Face.box_y, Face.box_w, Face.box_h, Face.embedding, Face.created_at
        ).where(Face.event_id == event_id, Face.engine_id == engine_id, Face.searchable == true())
        if after is not None:
            q = q.where(Face.created_at > after)
        rows = self.db.execute(q.order_by(Face.created_at)).all()
        boxes = np.array([(r.box_x, r.box_y, r.box_w, r.box_h) for r in rows], dtype=np.float32)
        newest = rows[-1].created_at if rows else after
        return FaceRows(
            as_matrix([r.embedding for r in rows], dim), [r.photo_id for r in rows], boxes, newest
        )

    def for_photo(self, photo_id: uuid.UUID) -> list[Face]:
        return list(self.db.scalars(select(Face).where(Face.photo_id == photo_id).order_by(Face.box_x)))

    def count_for_event(self, event_id: uuid.UUID) -> int:
        return int(self.db.scalar(select(func.count(Face.id)).where(Face.event_id == event_id)) or 0)

    # --- faces in an external index ----------------------------------------------------------------

    def external_ids(self, photo_id: uuid.UUID) -> list[str]:
        """The external index's ids of the photo's faces (empty for faces of a local engine)."""
        q = select(Face.external_id).where(Face.photo_id == photo_id, Face.external_id.is_not(None))
        return sorted(fid for fid in self.db.scalars(q) if fid)

    def by_external_ids(self, event_id: uuid.UUID, external_ids: Sequence[str]) -> list[ExternalFace]:
        """The event's searchable faces among ``external_ids`` (others: unknown, or not the event's)."""
        found: list[ExternalFace] = []
        ids = list(dict.fromkeys(external_ids))
        for start in range(0, len(ids), ID_CHUNK):
            q = select(Face.external_id, Face.photo_id, Face.box_x, Face.box_y, Face.box_w, Face.box_h).where(
                Face.event_id == event_id,
                Face.searchable == true(),
                Face.external_id.in_(ids[start : start + ID_CHUNK]),
            )
            found += [
                ExternalFace(str(r.external_id), r.photo_id, (r.box_x, r.box_y, r.box_w, r.box_h))
                for r in self.db.execute(q)
            ]
        return found

    def has_collection(self, name: str) -> bool:
        return self.db.get(FaceCollection, name) is not None

    def add_collection(self, name: str, event_id: uuid.UUID, engine_id: str) -> None:
        self.db.add(FaceCollection(name=name, event_id=event_id, engine_id=engine_id))

    def collections_of(self, event_id: uuid.UUID) -> list[str]:
        return list(self.db.scalars(select(FaceCollection.name).where(FaceCollection.event_id == event_id)))

    def delete_collection(self, name: str) -> None:
        self.db.execute(delete(FaceCollection).where(FaceCollection.name == name))


# SQLite binds at most 32,766 parameters per statement; a search may name 4,096 faces.
ID_CHUNK = 1000


@dataclass(frozen=True)
class ExternalFace:
    external_id: str
    photo_id: uuid.UUID
    box: tuple[float, float, float, float]
