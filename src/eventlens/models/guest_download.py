from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from eventlens.db import Base, UTCDateTime, new_id, utcnow


class GuestDownload(Base):
    """A guest downloaded one photo or a ZIP of several (for the event's stats)."""

    __tablename__ = "guest_downloads"
    __table_args__ = (Index("ix_guest_downloads_event_created", "event_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    photo_count: Mapped[int] = mapped_column(Integer)
