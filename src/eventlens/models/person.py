from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String, Uuid, false
from sqlalchemy.orm import Mapped, mapped_column

from eventlens.db import Base, UTCDateTime, new_id, utcnow


class Person(Base):
    """One person of an event: the faces (``faces.person_id``) the clustering put together.

    ``centroid_sum`` is the float32 sum of the embeddings that joined the person and ``centroid_count``
    how many: a new face joins the nearest normalised sum without reading the person's faces. A face
    that leaves with its photo is not taken out of the sum (it still showed this person); a split
    recomputes both sides. ``curated``: the photographer named, merged or split it, so a regroup keeps
    it as it is. A person whose faces are all gone is no longer listed, and its row is removed the next
    time the event's people change.
    """

    __tablename__ = "people"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    name: Mapped[str | None] = mapped_column(String(200))  # the photographer's own label, never public
    # No foreign key: a cover face that went is simply replaced when listed.
    cover_face_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    centroid_sum: Mapped[bytes] = mapped_column(LargeBinary)
    centroid_count: Mapped[int] = mapped_column(Integer, default=0)
    engine_id: Mapped[str] = mapped_column(String(50))
    curated: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
