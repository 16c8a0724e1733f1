from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Enum, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from eventlens.db import Base, UTCDateTime, new_id, utcnow


class Role(enum.StrEnum):
    admin = "admin"
    photographer = "photographer"


class User(Base):
    __tablename__ = "users"
    # An account from an OpenID Connect provider is that provider's subject: never matched by e-mail.
    __table_args__ = (UniqueConstraint("oidc_issuer", "oidc_subject", name="uq_users_oidc_identity"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # stored lower-cased
    name: Mapped[str] = mapped_column(String(200))
    # Shown on the guest pages of the account's events (instead of ``name``) with a link, when set.
    public_name: Mapped[str | None] = mapped_column(String(100))
    website: Mapped[str | None] = mapped_column(String(300))  # http(s) only, checked by auth.schemas
    password_hash: Mapped[str | None] = mapped_column(String(255))  # None for OIDC-only accounts
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=20, validate_strings=True), default=Role.photographer
    )
    oidc_issuer: Mapped[str | None] = mapped_column(String(500))
    oidc_subject: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.admin
