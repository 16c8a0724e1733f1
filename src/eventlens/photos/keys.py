"""Where a photo's objects live in the store. Everything of an event is under ``events/{event_id}/``."""

from __future__ import annotations

import uuid


def event_prefix(event_id: uuid.UUID) -> str:
    return f"events/{event_id}/"


def original_key(event_id: uuid.UUID, photo_id: uuid.UUID, ext: str) -> str:
    return f"events/{event_id}/photos/{photo_id}.{ext}"


def preview_key(event_id: uuid.UUID, photo_id: uuid.UUID) -> str:
    return f"events/{event_id}/photos/{photo_id}.preview.webp"


def thumbnail_key(event_id: uuid.UUID, photo_id: uuid.UUID) -> str:
    return f"events/{event_id}/photos/{photo_id}.thumb.webp"


def all_keys(event_id: uuid.UUID, photo_id: uuid.UUID, ext: str) -> list[str]:
    return [
        original_key(event_id, photo_id, ext),
        preview_key(event_id, photo_id),
        thumbnail_key(event_id, photo_id),
    ]


def watermarked_prefix(event_id: uuid.UUID, photo_id: uuid.UUID | None = None) -> str:
    """Where a photo's watermarked renditions live (every photo's, without ``photo_id``)."""
    base = f"events/{event_id}/watermarked/"
    return base if photo_id is None else f"{base}{photo_id}/"


def watermarked_key(event_id: uuid.UUID, photo_id: uuid.UUID, fingerprint: str, name: str) -> str:
    """One watermarked rendition (``name``: preview.webp, thumb.webp, full.jpg) for one set of settings."""
    return f"{watermarked_prefix(event_id, photo_id)}{fingerprint}.{name}"
