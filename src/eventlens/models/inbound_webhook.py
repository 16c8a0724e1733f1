from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from eventlens.db import Base, UTCDateTime, utcnow


class InboundWebhookMessage(Base):
    """A webhook message already handled (its Svix message id), so a replay of it is refused.

    Kept a little longer than the signature's timestamp tolerance: older replays fail that check anyway.
    """

    __tablename__ = "inbound_webhook_messages"

    message_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    source: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
