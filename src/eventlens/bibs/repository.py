"""Bib rows: replaced per photo, looked up per (event, number)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, false, select
from sqlalchemy.orm import Session

from eventlens.models import Photo, PhotoBib, PhotoStatus


class BibRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def replace(self, photo: Photo, rows: Sequence[PhotoBib]) -> None:
        self.db.execute(delete(PhotoBib).where(PhotoBib.photo_id == photo.id))
        self.db.add_all(rows)

    def numbers_of(self, photo_id: uuid.UUID) -> list[PhotoBib]:
        return list(
            self.db.scalars(
                select(PhotoBib).where(PhotoBib.photo_id == photo_id).order_by(PhotoBib.confidence.desc())
            )
        )

    def find(self, event_id: uuid.UUID, number: str) -> list[PhotoBib]:
        """The best read of ``number`` on each ready, visible photo of the event, most confident first."""
        rows = self.db.scalars(
            select(PhotoBib)
            .join(Photo, Photo.id == PhotoBib.photo_id)
            .where(
                PhotoBib.event_id == event_id,
                PhotoBib.number == number,
                Photo.status == PhotoStatus.indexed,
                Photo.hidden == false(),
            )
            .order_by(PhotoBib.confidence.desc())
        )
        best: dict[uuid.UUID, PhotoBib] = {}
        for row in rows:
            best.setdefault(row.photo_id, row)
        return list(best.values())

    def indexed_photo_ids(self, event_id: uuid.UUID) -> list[uuid.UUID]:
        return list(
            self.db.scalars(
                select(Photo.id)
                .where(Photo.event_id == event_id, Photo.status == PhotoStatus.indexed)
                .order_by(Photo.id)
            )
        )
