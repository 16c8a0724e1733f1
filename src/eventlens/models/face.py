from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, LargeBinary, String, Uuid, true
from sqlalchemy.orm import Mapped, mapped_column

from eventlens.db import Base, UTCDateTime, new_id, utcnow


class Face(Base):
    """One detected face. The box is in pixels of the upright (EXIF-rotated) original.

    A face too small or too blurred to recognise is kept (its box shows on the dashboard) with
    ``searchable`` false and the reason in ``skip_reason``; the search index never loads it.
    A hidden face (``hidden_by``: the person asked not to be found, or the photographer hid them) is
    kept out of every search the same way, until it is unhidden (``hiding/service.py``).
    Engines without embeddings (Rekognition) store an empty ``embedding`` and their own id of the face.
    """

    __tablename__ = "faces"
    # searchable before created_at: the index's freshness check (count and newest searchable face)
    # still reads the index alone.
    __table_args__ = (Index("ix_faces_event_engine", "event_id", "engine_id", "searchable", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    photo_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    box_x: Mapped[float] = mapped_column(Float)
    box_y: Mapped[float] = mapped_column(Float)
    box_w: Mapped[float] = mapped_column(Float)
    box_h: Mapped[float] = mapped_column(Float)
    score: Mapped[float] = mapped_column(Float)
    landmarks: Mapped[list[Any] | None] = mapped_column(JSON)  # [[x, y] * 5]
    embedding: Mapped[bytes] = mapped_column(LargeBinary)  # float32, L2-normalised, little-endian
    engine_id: Mapped[str] = mapped_column(String(50))
    engine_version: Mapped[str] = mapped_column(String(50))
    searchable: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    skip_reason: Mapped[str | None] = mapped_column(String(20))  # too_small | blurry | low_quality
    # The face's id in an external index (Rekognition's FaceId), to delete it there with the photo.
    external_id: Mapped[str | None] = mapped_column(String(64), index=True)
    hidden_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("face_blocks.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The person (people/) the face belongs to; null until grouped, and for faces search skips.
    person_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
