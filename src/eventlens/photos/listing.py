"""An event's photos a page at a time, newest first, with the cursor of the next page."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from eventlens.faces.repository import FaceRepository
from eventlens.models import Event, Face, Photo, PhotoStatus
from eventlens.pagination import decode_cursor, encode_cursor
from eventlens.photos.repository import PhotoRepository


def photo_page(
    db: Session, event: Event, *, limit: int, cursor: str | None = None, status: PhotoStatus | None = None
) -> tuple[list[Photo], str | None]:
    """Up to ``limit`` photos after ``cursor``; the next page's cursor, or None on the last page."""
    # One row more than asked tells whether there is a next page; its cursor is the last shown row's.
    rows = PhotoRepository(db).page(event.id, status=status, limit=limit + 1, after=decode_cursor(cursor))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1].created_at, rows[-1].id) if more and rows else None


def known_hashes(db: Session, event: Event, hashes: list[str]) -> dict[str, uuid.UUID]:
    """Which of these SHA-256 digests (lower case) the event already holds, and as which photo."""
    return PhotoRepository(db).existing_hashes(event.id, [h.lower() for h in hashes])


def faces_of(db: Session, photo: Photo) -> list[Face]:
    """The photo's faces (boxes in original pixels), searchable or not."""
    return FaceRepository(db).for_photo(photo.id)
