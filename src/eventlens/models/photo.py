from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from eventlens.db import Base, UTCDateTime, new_id, utcnow


class PhotoStatus(enum.StrEnum):
    uploaded = "uploaded"
    processing = "processing"
    indexed = "indexed"
    failed = "failed"


class PhotoSource(enum.StrEnum):
    web = "web"
    api = "api"
    cli = "cli"
    ftp = "ftp"
    direct = "direct"  # a browser straight to the S3 store (photos/direct.py)


class Photo(Base):
    __tablename__ = "photos"
    __table_args__ = (
        UniqueConstraint("event_id", "sha256", name="uq_photos_event_sha256"),
        Index("ix_photos_event_status", "event_id", "status"),
        Index("ix_photos_event_created", "event_id", "created_at"),
        Index("ix_photos_event_taken", "event_id", "taken_at"),  # the grid ordered by time taken
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    uploader_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    source: Mapped[PhotoSource] = mapped_column(
        Enum(PhotoSource, native_enum=False, length=10, validate_strings=True)
    )
    original_filename: Mapped[str] = mapped_column(String(500))
    album: Mapped[str | None] = mapped_column(String(200))  # e.g. the FTP sub-folder
    object_key: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    mime: Mapped[str] = mapped_column(String(50))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    camera: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[PhotoStatus] = mapped_column(
        Enum(PhotoStatus, native_enum=False, length=20, validate_strings=True), default=PhotoStatus.uploaded
    )
    error: Mapped[str | None] = mapped_column(Text)
    face_count: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # A worker owns a photo while processing it until lease_until; a crashed worker's lease runs out
    # and the sweep hands the photo to another. The token tells the owner apart from a later one.
    lease_token: Mapped[str | None] = mapped_column(String(36))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    has_preview: Mapped[bool] = mapped_column(default=False)
    # Kept from guests by the photographer (search, downloads, cover); still searchable for the owner.
    hidden: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def extension(self) -> str:
        return self.object_key.rsplit(".", 1)[-1]
