"""Queries for faces: what the index loads (searchable faces only), and a photo's faces."""

from __future__ import annotations

import uuid
from datetime import datetime

import numpy as np
from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from eventlens.faces.index import FaceRows, Snapshot, as_matrix
from eventlens.models import Face


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
