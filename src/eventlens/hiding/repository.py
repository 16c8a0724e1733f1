"""Queries for hiding: the blocklist rows, the faces they hide, and the counters the search index reads."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from eventlens.models import BlockSource, Event, Face, FaceBlock, Photo

# SQLite binds at most 32,766 parameters per statement.
ID_CHUNK = 1000


def _chunks(ids: Sequence[uuid.UUID]) -> list[list[uuid.UUID]]:
    unique = list(dict.fromkeys(ids))
    return [unique[i : i + ID_CHUNK] for i in range(0, len(unique), ID_CHUNK)]


class HidingRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    # --- faces

    def faces(self, event_id: uuid.UUID, face_ids: Sequence[uuid.UUID]) -> list[Face]:
        """The event's faces among ``face_ids`` (others: unknown, or another event's), hidden or not."""
        found: list[Face] = []
        for part in _chunks(face_ids):
            found += self.db.scalars(select(Face).where(Face.event_id == event_id, Face.id.in_(part)))
        return found

    def visible_faces_of(
        self, event_id: uuid.UUID, photo_ids: Sequence[uuid.UUID], engine_id: str
    ) -> list[Face]:
        """The searchable, not hidden faces of these photos of the event."""
        found: list[Face] = []
        for part in _chunks(photo_ids):
            found += self.db.scalars(
                select(Face).where(
                    Face.event_id == event_id,
                    Face.photo_id.in_(part),
                    Face.engine_id == engine_id,
                    Face.searchable.is_(True),
                    Face.hidden_by.is_(None),
                )
            )
        return found

    def hide(self, face_ids: Sequence[uuid.UUID], block_id: uuid.UUID) -> None:
        for part in _chunks(face_ids):
            self.db.execute(
                update(Face)
                .where(Face.id.in_(part))
                .values(hidden_by=block_id)
                .execution_options(synchronize_session="fetch")
            )

    def unhide(self, block_id: uuid.UUID) -> int:
        result = self.db.execute(
            update(Face)
            .where(Face.hidden_by == block_id)
            .values(hidden_by=None)
            .execution_options(synchronize_session="fetch")
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def hidden_photo_ids(self, block_id: uuid.UUID) -> list[uuid.UUID]:
        """The photos with a face the block hides, oldest upload first."""
        q = (
            select(Face.photo_id, func.min(Photo.created_at))
            .join(Photo, Photo.id == Face.photo_id)
            .where(Face.hidden_by == block_id)
            .group_by(Face.photo_id)
            .order_by(func.min(Photo.created_at))
        )
        return [row[0] for row in self.db.execute(q)]

    def hidden_face_count(self, block_id: uuid.UUID) -> int:
        return int(self.db.scalar(select(func.count(Face.id)).where(Face.hidden_by == block_id)) or 0)

    def set_photos_hidden(self, photo_ids: Sequence[uuid.UUID], hidden: bool) -> None:
        for part in _chunks(photo_ids):
            self.db.execute(
                update(Photo)
                .where(Photo.id.in_(part))
                .values(hidden=hidden)
                .execution_options(synchronize_session="fetch")
            )

    def index_changed(self, event_id: uuid.UUID) -> None:
        """Bump the event's face counters: every process's search index reloads the event at its next
        search (a removal counter changed), so hidden faces drop out and unhidden ones come back."""
        self.db.execute(
            update(Event)
            .where(Event.id == event_id)
            .values(face_changes=Event.face_changes + 1, face_removals=Event.face_removals + 1)
            .execution_options(synchronize_session=False)
        )

    # --- the blocklist

    def add_block(self, block: FaceBlock) -> None:
        self.db.add(block)
        self.db.flush()

    def block(self, event_id: uuid.UUID, block_id: uuid.UUID) -> FaceBlock | None:
        found = self.db.get(FaceBlock, block_id)
        return found if found is not None and found.event_id == event_id else None

    def blocks(self, event_id: uuid.UUID, engine_id: str) -> list[FaceBlock]:
        q = select(FaceBlock).where(FaceBlock.event_id == event_id, FaceBlock.engine_id == engine_id)
        return list(self.db.scalars(q.order_by(FaceBlock.created_at)))

    def has_blocks(self, event_id: uuid.UUID) -> bool:
        return self.db.scalar(select(FaceBlock.id).where(FaceBlock.event_id == event_id).limit(1)) is not None

    def requests(self, event_id: uuid.UUID) -> list[FaceBlock]:
        """The guests' removal requests of the event, newest first."""
        q = select(FaceBlock).where(FaceBlock.event_id == event_id, FaceBlock.source == BlockSource.guest)
        return list(self.db.scalars(q.order_by(FaceBlock.created_at.desc())))

    def delete_block(self, block_id: uuid.UUID) -> None:
        self.db.execute(delete(FaceBlock).where(FaceBlock.id == block_id))
