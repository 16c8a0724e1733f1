"""Queries for photos, including the lease that lets one worker at a time process a photo."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

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
        by_taken: bool,
        descending: bool,
        after: tuple[datetime | None, datetime, uuid.UUID] | None,
    ) -> list[Photo]:
        """By (taken_at, created_at, id) or (created_at, id), in either direction. Photos without a
        taken time come after all the others (whatever the direction), by upload time among
        themselves. ``after`` is the (taken_at, created_at, id) of the previous page's last photo."""
        q = select(Photo).where(Photo.event_id == event_id)
        if status is not None:
            q = q.where(Photo.status == status)
        cols: list[InstrumentedAttribute[Any]] = [Photo.created_at, Photo.id]
        if by_taken:
            if after is not None:
                taken, created, pid = after
                if taken is None:  # the previous page ended among the undated: only they are left
                    q = q.where(Photo.taken_at.is_(None), _beyond(cols, [created, pid], descending))
                else:
                    dated = and_(
                        Photo.taken_at.is_not(None),
                        _beyond([Photo.taken_at, *cols], [taken, created, pid], descending),
                    )
                    q = q.where(or_(dated, Photo.taken_at.is_(None)))
            order = [Photo.taken_at.is_(None), Photo.taken_at, *cols]
            keys = [order[0], *(c.desc() if descending else c.asc() for c in order[1:])]
        else:
            if after is not None:
                q = q.where(_beyond(cols, [after[1], after[2]], descending))
            keys = [c.desc() if descending else c.asc() for c in cols]
        return list(self.db.scalars(q.order_by(*keys).limit(limit)))

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

    def renew(self, photo_id: uuid.UUID, token: str, until: datetime) -> bool:
        """Push this worker's lease out to ``until``; False when the lease is no longer ours."""
        result = self.db.execute(
            update(Photo)
            .where(Photo.id == photo_id, Photo.status == PhotoStatus.processing, Photo.lease_token == token)
            .values(lease_until=until)
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

    def oldest_waiting(self) -> datetime | None:
        """When the photo waiting longest for processing arrived (None: nothing waits)."""
        return self.db.scalar(
            select(func.min(Photo.created_at)).where(
                Photo.status.in_([PhotoStatus.uploaded, PhotoStatus.processing])
            )
        )

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


def _beyond(
    cols: Sequence[InstrumentedAttribute[Any]], values: Sequence[Any], descending: bool
) -> ColumnElement[bool]:
    """Rows after ``values`` in the lexicographic order of ``cols`` (each descending or ascending)."""
    first, rest = cols[0], cols[1:]
    past = first < values[0] if descending else first > values[0]
    if not rest:
        return past
    return or_(past, and_(first == values[0], _beyond(rest, values[1:], descending)))
