from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import (
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from eventlens.db import Base, UTCDateTime, new_id, utcnow


class NotifySubscription(Base):
    """A guest's "tell me when new photos of me arrive" for one event.

    It keeps the selfies' embeddings (float32 rows, never an image), the consent sentence the guest
    agreed to and when, and the address to write to. Deleting the row (unsubscribe, archive, event
    deletion) deletes the embeddings at once; its matches go with it.
    """

    __tablename__ = "notify_subscriptions"
    __table_args__ = (UniqueConstraint("event_id", "email", name="uq_notify_subscriptions_event_email"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320))  # lower-cased
    embeddings: Mapped[bytes] = mapped_column(LargeBinary)  # rows of float32, little-endian, unit length
    engine_id: Mapped[str] = mapped_column(String(64))
    consent_text: Mapped[str] = mapped_column(Text)
    consented_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NotifyMatch(Base):
    """A newly indexed photo that matched a subscription at the high tier; ``mail_id`` once mailed."""

    __tablename__ = "notify_matches"
    __table_args__ = (
        UniqueConstraint("subscription_id", "photo_id", name="uq_notify_matches_subscription_photo"),
        Index("ix_notify_matches_subscription_mail", "subscription_id", "mail_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    subscription_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("notify_subscriptions.id", ondelete="CASCADE")
    )
    photo_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), index=True)
    similarity: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    mail_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("notify_mails.id", ondelete="SET NULL"))


class MailStatus(enum.StrEnum):
    pending = "pending"  # made, waiting for the SMTP server to take it (or a retry)
    sent = "sent"
    dropped = "dropped"  # the guest unsubscribed before it went out


class NotifyMail(Base):
    """One e-mail (a batch of matches) to one subscriber; kept, without the address, for the counts."""

    __tablename__ = "notify_mails"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    subscription_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("notify_subscriptions.id", ondelete="SET NULL"), index=True
    )
    photo_count: Mapped[int] = mapped_column(Integer)
    status: Mapped[MailStatus] = mapped_column(
        Enum(MailStatus, native_enum=False, length=20, validate_strings=True), default=MailStatus.pending
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
