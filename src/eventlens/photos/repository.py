"""Queries for photos, including the lease that lets one worker at a time process a photo."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session

from eventlens.models import Face, Photo, PhotoStatus


class PhotoRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def get(self, photo_id: uuid.UUID) -> Photo | None:
        return self.db.get(Photo, photo_id)

    def by_sha256(self, event_id: uuid.UUID, sha256: str) -> Photo | None:
        return self.db.scalar(select(Photo).where(Photo.event_id == event_id, Photo.sha256 == sha256))

    def existing_hashes(self, event_id: uuid.UUID, hashes: Sequence[str]) -> dict[str, uuid.UUID]:
        if not hashes:
            return {}
        rows = self.db.execute(
            select(Photo.sha256, Photo.id).where(Photo.event_id == event_id, Photo.sha256.in_(list(hashes)))
        )
        return {sha: pid for sha, pid in rows}

    def add(self, photo: Photo) -> Photo:
        self.db.add(photo)
        self.db.flush()
        return photo

    def page(
        self,
        event_id: uuid.UUID,
        *,
        status: PhotoStatus | None,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None,
    ) -> list[Photo]:
        """Newest first; ``after`` is the (created_at, id) of the last photo of the previous page."""
        q = select(Photo).where(Photo.event_id == event_id)
        if status is not None:
            q = q.where(Photo.status == status)
        if after is not None:
            created, pid = after
            q = q.where(or_(Photo.created_at < created, and_(Photo.created_at == created, Photo.id < pid)))
        q = q.order_by(Photo.created_at.desc(), Photo.id.desc()).limit(limit)
        return list(self.db.scalars(q))

    def ids_for_reprocess(self, event_id: uuid.UUID, *, only_failed: bool) -> list[uuid.UUID]:
        q = select(Photo.id).where(Photo.event_id == event_id)
        if only_failed:
            q = q.where(Photo.status == PhotoStatus.failed)
        else:
            q = q.where(Photo.status.in_([PhotoStatus.failed, PhotoStatus.indexed]))
        return list(self.db.scalars(q))

    def finished_ids(self, event_id: uuid.UUID | None) -> list[uuid.UUID]:
        q = select(Photo.id).where(Photo.status.in_([PhotoStatus.failed, PhotoStatus.indexed]))
        if event_id is not None:
            q = q.where(Photo.event_id == event_id)
        return list(self.db.scalars(q.order_by(Photo.created_at)))

    def reset_for_reprocess(self, photo_ids: Sequence[uuid.UUID]) -> None:
        if photo_ids:
            self.db.execute(
                update(Photo)
                .where(Photo.id.in_(list(photo_ids)))
                .values(
                    status=PhotoStatus.uploaded, error=None, attempts=0, lease_token=None, lease_until=None
                )
            )

    def claim(self, photo_id: uuid.UUID, token: str, now: datetime, lease: timedelta) -> bool:
        """Take the photo for processing unless it is done or another live worker holds it."""
        result = self.db.execute(
            update(Photo)
            .where(
                Photo.id == photo_id,
                or_(
                    Photo.status == PhotoStatus.uploaded,
                    and_(Photo.status == PhotoStatus.processing, Photo.lease_until < now),
                ),
            )
            .values(
                status=PhotoStatus.processing,
                lease_token=token,
                lease_until=now + lease,
                attempts=Photo.attempts + 1,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def owned(self, photo_id: uuid.UUID, token: str) -> Photo | None:
        """The photo when this worker still holds its lease (locked for the update that follows)."""
        return self.db.scalar(
            select(Photo)
            .where(Photo.id == photo_id, Photo.status == PhotoStatus.processing, Photo.lease_token == token)
            .with_for_update()
        )

    def replace_faces(self, photo: Photo, faces: Sequence[Face]) -> None:
        """The photo's faces become exactly ``faces``: running the job twice never duplicates them."""
        self.db.execute(delete(Face).where(Face.photo_id == photo.id))
        self.db.add_all(list(faces))

    def stale(self, now: datetime, uploaded_before: datetime, limit: int = 500) -> list[uuid.UUID]:
        """Photos whose job seems lost: leases that ran out, and uploads left unclaimed for a while."""
        q = (
            select(Photo.id)
            .where(
                or_(
                    and_(Photo.status == PhotoStatus.processing, Photo.lease_until < now),
                    and_(Photo.status == PhotoStatus.uploaded, Photo.updated_at < uploaded_before),
                )
            )
            .order_by(Photo.created_at)
            .limit(limit)
        )
        return list(self.db.scalars(q))

    def in_event(self, event_id: uuid.UUID, photo_ids: Sequence[uuid.UUID]) -> list[Photo]:
        """The event's photos among ``photo_ids`` (others' photos are simply not found)."""
        ids = list(dict.fromkeys(photo_ids))
        found: list[Photo] = []
        for i in range(0, len(ids), 500):
            batch = ids[i : i + 500]
            found.extend(
                self.db.scalars(select(Photo).where(Photo.event_id == event_id, Photo.id.in_(batch)))
            )
        return found

    def set_hidden(self, photo_ids: Sequence[uuid.UUID], hidden: bool) -> None:
        ids = list(photo_ids)
        for i in range(0, len(ids), 500):
            self.db.execute(
                update(Photo)
                .where(Photo.id.in_(ids[i : i + 500]))
                .values(hidden=hidden)
                .execution_options(synchronize_session="fetch")
            )

    def delete(self, photo: Photo) -> None:
        self.db.delete(photo)
        self.db.flush()

    def existing_ids(self, photo_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        """Which of these photos still have a row."""
        found: set[uuid.UUID] = set()
        ids = list(photo_ids)
        for i in range(0, len(ids), 500):
            batch = ids[i : i + 500]
            found.update(self.db.scalars(select(Photo.id).where(Photo.id.in_(batch))))
        return found
