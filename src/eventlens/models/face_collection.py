from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from eventlens.db import Base, UTCDateTime, utcnow


class FaceCollection(Base):
    """An event's collection in an external face index (a Rekognition collection).

    No foreign key to the event on purpose: the row outlives the event until the collection itself is
    deleted (a job after the event's deletion), so a failed deletion is retried and nothing is left
    behind in the cloud account.
    """

    __tablename__ = "face_collections"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    engine_id: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
