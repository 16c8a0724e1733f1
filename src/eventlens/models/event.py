from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Enum, ForeignKey, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from eventlens.db import Base, UTCDateTime, new_id, utcnow


class EventStatus(enum.StrEnum):
    draft = "draft"
    published = "published"
    archived = "archived"


class FaceDetail(enum.StrEnum):
    """How hard processing looks for faces: ``crowd`` adds a full-resolution tiled pass (slower)."""

    standard = "standard"
    crowd = "crowd"


class Event(Base):
    __tablename__ = "events"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[EventStatus] = mapped_column(
        Enum(EventStatus, native_enum=False, length=20, validate_strings=True), default=EventStatus.draft
    )
    access_code_hash: Mapped[str | None] = mapped_column(String(255))
    retention_days: Mapped[int | None] = mapped_column(Integer)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # Photo chosen as cover; no FK so deleting that photo never blocks (the service clears it).
    cover_photo_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    face_detail: Mapped[FaceDetail] = mapped_column(
        Enum(FaceDetail, native_enum=False, length=20, validate_strings=True),
        default=FaceDetail.standard,
        server_default=FaceDetail.standard.value,
    )
    # Bumped by every transaction that writes or removes the event's faces (faces/service.py), and by
    # those that remove some: a search process compares them with its copy instead of counting faces.
    face_changes: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    face_removals: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
