from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from eventlens.db import Base, UTCDateTime, new_id, utcnow


class PhotoBib(Base):
    """A number read on a photo (a race bib, a jersey). The box is in pixels of the upright original.

    Rows of a photo are replaced as a whole each time it is read; a guest's bib search looks them up
    by (event, number).
    """

    __tablename__ = "photo_bibs"
    __table_args__ = (Index("ix_photo_bibs_event_number", "event_id", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    photo_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(12))
    confidence: Mapped[float] = mapped_column(Float)
    box_x: Mapped[float] = mapped_column(Float)
    box_y: Mapped[float] = mapped_column(Float)
    box_w: Mapped[float] = mapped_column(Float)
    box_h: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
