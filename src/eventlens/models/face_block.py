from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, LargeBinary, String, Uuid, false
from sqlalchemy.orm import Mapped, mapped_column

from eventlens.db import Base, UTCDateTime, new_id, utcnow


class BlockSource(enum.StrEnum):
    photographer = "photographer"  # hid a person's faces on the dashboard (or through the API)
    guest = "guest"  # asked with a selfie to be removed from the event's search


class PhotoDecision(enum.StrEnum):
    """What the photographer chose for the photos of a guest's removal request."""

    pending = "pending"
    hidden = "hidden"  # the photos left the guest gallery
    kept = "kept"  # the photos stay visible; the guest's faces stay unsearchable


class FaceBlock(Base):
    """One hidden person of one event (the blocklist): their reference embeddings, never an image.

    Faces hidden by the block point at it (``faces.hidden_by``) and are kept out of every search. A face
    indexed later (a new upload, a photo reprocessed) that matches the embeddings at the high tier is
    hidden on arrival. Deleting the row (unhide, or with the event: deletion, retention end) deletes the
    embeddings; the faces it hid become searchable again only through ``unhide``.
    """

    __tablename__ = "face_blocks"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    source: Mapped[BlockSource] = mapped_column(
        Enum(BlockSource, native_enum=False, length=20, validate_strings=True)
    )
    # Rows of float32, little-endian, unit length; empty with an engine that keeps no embeddings.
    embeddings: Mapped[bytes] = mapped_column(LargeBinary)
    engine_id: Mapped[str] = mapped_column(String(64))
    # New faces of the person take their photo out of the guest gallery too.
    hide_photos: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    photo_decision: Mapped[PhotoDecision | None] = mapped_column(
        Enum(PhotoDecision, native_enum=False, length=20, validate_strings=True)
    )  # guests' requests only
    face_count: Mapped[int] = mapped_column(Integer, default=0)  # faces hidden when the block was made
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the guest's confirmation
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
