"""Queries for the guest side: published events by slug, their photos, search and download counts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import false, func, select
from sqlalchemy.orm import Session

from eventlens.models import Event, EventStatus, GuestDownload, GuestSearch, Photo, PhotoStatus, User


class GuestRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def published(self, slug: str) -> Event | None:
        return self.db.scalar(select(Event).where(Event.slug == slug, Event.status == EventStatus.published))

    def owner(self, event: Event) -> User | None:
        return self.db.get(User, event.owner_id)

    def indexed_count(self, event_id: uuid.UUID) -> int:
        q = select(func.count(Photo.id)).where(
            Photo.event_id == event_id, Photo.status == PhotoStatus.indexed, Photo.hidden == false()
        )
        return int(self.db.scalar(q) or 0)

    def first_with_faces(self, event_id: uuid.UUID) -> uuid.UUID | None:
        """The automatic cover: the earliest-taken shown photo with a face (upload time breaks ties)."""
        q = (
            select(Photo.id)
            .where(
                Photo.event_id == event_id,
                Photo.status == PhotoStatus.indexed,
                Photo.hidden == false(),
                Photo.face_count > 0,
            )
            .order_by(Photo.taken_at.is_(None), Photo.taken_at, Photo.created_at, Photo.id)
            .limit(1)
        )
        return self.db.scalar(q)

    def photos(self, event_id: uuid.UUID, photo_ids: Sequence[uuid.UUID]) -> list[Photo]:
        """The event's ready photos among ``photo_ids`` that guests may see, in the order asked."""
        if not photo_ids:
            return []
        rows = self.db.scalars(
            select(Photo).where(
                Photo.event_id == event_id,
                Photo.id.in_(list(photo_ids)),
                Photo.status == PhotoStatus.indexed,
                Photo.hidden == false(),
            )
        )
        by_id = {p.id: p for p in rows}
        return [by_id[i] for i in dict.fromkeys(photo_ids) if i in by_id]

    def logo(self, event_id: uuid.UUID, photo_id: uuid.UUID) -> Photo | None:
        """The event's logo photo: any of its photos with a preview, hidden ones too (a logo is often
        uploaded as a photo and hidden from guests' searches)."""
        photo = self.db.get(Photo, photo_id)
        return photo if photo is not None and photo.event_id == event_id and photo.has_preview else None

    def record_search(self, event_id: uuid.UUID, result_count: int, duration_ms: int) -> None:
        self.db.add(GuestSearch(event_id=event_id, result_count=result_count, duration_ms=duration_ms))

    def record_download(self, event_id: uuid.UUID, photo_count: int) -> None:
        self.db.add(GuestDownload(event_id=event_id, photo_count=photo_count))
