"""Queries for the venue's live screen: an event's shown photos, newest first, and what changed."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import false, select
from sqlalchemy.orm import Session

from eventlens.models import Photo, PhotoStatus


class LiveRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def latest(self, event_id: uuid.UUID, *, faces_only: bool, limit: int) -> list[Photo]:
        """The event's most recently indexed photos guests may see, newest first."""
        q = select(Photo).where(
            Photo.event_id == event_id,
            Photo.status == PhotoStatus.indexed,
            Photo.hidden == false(),
            Photo.has_preview.is_(True),
        )
        if faces_only:
            q = q.where(Photo.face_count > 0)
        return list(self.db.scalars(q.order_by(Photo.updated_at.desc(), Photo.id).limit(limit)))

    def changed_since(self, event_id: uuid.UUID, since: datetime, *, limit: int) -> list[Photo]:
        """The event's photos whose row changed after ``since``, oldest change first."""
        q = select(Photo).where(Photo.event_id == event_id, Photo.updated_at > since)
        return list(self.db.scalars(q.order_by(Photo.updated_at).limit(limit)))
