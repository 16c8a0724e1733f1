"""An event's photos a page at a time, by upload time or by time taken, with the next page's cursor."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session

from eventlens.errors import Invalid
from eventlens.faces.repository import FaceRepository
from eventlens.models import Event, Face, Photo, PhotoStatus
from eventlens.photos.repository import PhotoRepository

PhotoSort = Literal["uploaded", "taken"]
PhotoOrder = Literal["asc", "desc"]


def default_order(sort: PhotoSort) -> PhotoOrder:
    """Newest uploads first; by time taken, the event as it happened (earliest first)."""
    return "asc" if sort == "taken" else "desc"


def photo_page(
    db: Session,
    event: Event,
    *,
    limit: int,
    sort: PhotoSort = "uploaded",
    order: PhotoOrder | None = None,
    cursor: str | None = None,
    status: PhotoStatus | None = None,
) -> tuple[list[Photo], str | None]:
    """Up to ``limit`` photos after ``cursor`` in the order asked, and the next page's cursor.

    Ties (the same taken or upload time) are broken by upload time, then id, so no photo is shown
    twice or skipped between pages. Photos without a taken time come last when sorting by it, in
    either order, by upload time among themselves. A cursor only works with the sort and order that
    made it (422 otherwise)."""
    order = order or default_order(sort)
    after = _decode(cursor, sort, order)
    rows = PhotoRepository(db).page(
        event.id,
        status=status,
        limit=limit + 1,
        by_taken=sort == "taken",
        descending=order == "desc",
        after=after,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, _encode(rows[-1], sort, order) if more and rows else None


def _encode(photo: Photo, sort: PhotoSort, order: PhotoOrder) -> str:
    taken = photo.taken_at.isoformat() if photo.taken_at else ""
    raw = f"{sort}|{order}|{taken}|{photo.created_at.isoformat()}|{photo.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(
    cursor: str | None, sort: PhotoSort, order: PhotoOrder
) -> tuple[datetime | None, datetime, uuid.UUID] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor.encode() + b"=" * (-len(cursor) % 4)).decode()
        made_sort, made_order, taken, created, row_id = raw.split("|")
        if (made_sort, made_order) != (sort, order):
            raise ValueError("made for another order")
        times = [datetime.fromisoformat(t) if t else None for t in (taken, created)]
        if times[1] is None or any(t is not None and t.tzinfo is None for t in times):
            raise ValueError("cursor time without zone")
        return times[0], times[1], uuid.UUID(row_id)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise Invalid("cursor: not one this server gave out for this sort and order", field="cursor") from exc


def known_hashes(db: Session, event: Event, hashes: list[str]) -> dict[str, uuid.UUID]:
    """Which of these SHA-256 digests (lower case) the event already holds, and as which photo."""
    return PhotoRepository(db).existing_hashes(event.id, [h.lower() for h in hashes])


def faces_of(db: Session, photo: Photo) -> list[Face]:
    """The photo's faces (boxes in original pixels), searchable or not."""
    return FaceRepository(db).for_photo(photo.id)
